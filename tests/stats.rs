//! `--stats` says what n1lint understood: handlers per framework.

use assert_cmd::Command;

#[test]
fn stats_count_handlers_per_framework() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("app.js"),
        "const express = require('express');\nconst app = express();\napp.get('/a', (req, res) => res.send('a'));\napp.post('/b', async (req, res) => res.send('b'));\n",
    )
    .unwrap();
    std::fs::create_dir_all(d.join("shop")).unwrap();
    std::fs::write(
        d.join("shop/views.py"),
        "def index(request):\n    return None\n\ndef helper(x):\n    return x\n",
    )
    .unwrap();
    std::fs::write(
        d.join("posts_controller.rb"),
        "class PostsController < ApplicationController\n  def index\n  end\n\n  def show\n  end\n\n  private\n\n  def load_post\n  end\nend\n",
    )
    .unwrap();
    let out = Command::cargo_bin("n1lint")
        .unwrap()
        .current_dir(d)
        .args(["--stats", "--no-cache", "."])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    let line = |fw: &str| {
        err.lines()
            .find(|l| l.trim_start().starts_with(fw))
            .map(|l| l.split_whitespace().last().unwrap().to_string())
    };
    assert_eq!(line("express").as_deref(), Some("2"), "{err}");
    assert_eq!(line("django").as_deref(), Some("1"), "{err}");
    assert_eq!(
        line("rails").as_deref(),
        Some("2"),
        "private methods are not actions: {err}"
    );
    assert!(err.contains("handlers found: 5"), "{err}");
}
