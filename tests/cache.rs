//! The warm cache: identical findings, and cross-file facts stay right when one file changes.

use std::path::Path;

use assert_cmd::Command;

fn json(dir: &Path, extra: &[&str]) -> serde_json::Value {
    let out = Command::cargo_bin("n1lint")
        .unwrap()
        .current_dir(dir)
        .args(["--format", "json", "."])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.code().unwrap() <= 1,
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn findings(v: &serde_json::Value) -> Vec<(String, String, u64)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["path"].as_str().unwrap().to_string(),
                f["start"]["line"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn warm_run_matches_cold_run_and_follows_cross_file_changes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("models.py"), "from django.db import models\n\nclass User(models.Model):\n    name = models.CharField(max_length=10)\n").unwrap();
    std::fs::write(
        d.join("helpers.py"),
        "from .models import User\n\ndef load_user(uid):\n    return User.objects.get(id=uid)\n",
    )
    .unwrap();
    std::fs::write(
        d.join("views.py"),
        "from .helpers import load_user\n\ndef names(request):\n    out = []\n    for uid in request.GET.getlist(\"id\"):\n        out.append(load_user(uid).name)\n    return out\n",
    )
    .unwrap();

    let uncached = json(d, &["--no-cache"]);
    let cold = json(d, &[]);
    assert!(
        d.join(".n1lint_cache").is_dir(),
        "the cache folder is created"
    );
    let warm = json(d, &[]);
    assert_eq!(findings(&uncached), findings(&cold));
    assert_eq!(findings(&cold), findings(&warm));
    assert_eq!(
        uncached["findings"], warm["findings"],
        "the warm run reports the same objects"
    );
    assert!(findings(&warm)
        .iter()
        .any(|(r, p, l)| r == "n-plus-one" && p == "views.py" && *l == 6));

    // The helper stops querying: the loop in the unchanged file is no longer an N+1.
    std::fs::write(
        d.join("helpers.py"),
        "from .models import User\n\ndef load_user(uid):\n    return {\"id\": uid}\n",
    )
    .unwrap();
    let after = json(d, &[]);
    assert!(
        !findings(&after)
            .iter()
            .any(|(r, p, _)| r == "n-plus-one" && p == "views.py"),
        "a stale cross-file fact survived: {:?}",
        findings(&after)
    );
    assert_eq!(findings(&after), findings(&json(d, &["--no-cache"])));
}

#[test]
fn a_damaged_cache_is_ignored_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("q.py"),
        "def f(cur):\n    cur.execute(\"SELECT * FROM t\")\n",
    )
    .unwrap();
    let first = json(d, &[]);
    // Overwrite every cache entry with garbage that claims huge lengths.
    let mut stack = vec![d.join(".n1lint_cache")];
    let mut damaged = 0;
    while let Some(p) = stack.pop() {
        for e in std::fs::read_dir(&p).unwrap().flatten() {
            let q = e.path();
            if q.is_dir() {
                stack.push(q);
            } else if !q.ends_with("CACHEDIR.TAG") && !q.ends_with(".gitignore") {
                std::fs::write(&q, [0xff_u8; 64]).unwrap();
                damaged += 1;
            }
        }
    }
    assert!(
        damaged >= 2,
        "expected facts and run entries, found {damaged}"
    );
    let second = json(d, &[]);
    assert_eq!(findings(&first), findings(&second));
}
