//! The pre-commit hook: `.pre-commit-hooks.yaml` checked, and the real `pre-commit` tool
//! run in a temporary repository with one commit it must block and one it must let through.
//!
//! `pre-commit` comes from PyPI (`pip install pre-commit`; `.ci/run` installs it). When it is
//! missing the test prints why and passes, unless `CI` is set: in CI a missing pre-commit
//! fails the test. The hook definition is the repository's own `.pre-commit-hooks.yaml`,
//! used as a `repo: local` hook with `language: system` and the freshly built binary as
//! `entry`: `language: rust` would `cargo install` this repository first, which takes minutes.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

const MANIFEST: &str = include_str!("../.pre-commit-hooks.yaml");

const MODELS: &str = "from django.db import models\n\n\nclass User(models.Model):\n    name = models.CharField(max_length=20)\n";
const VIEWS: &str = "from .models import User\n\n\ndef names(request):\n    out = []\n    for x in request.GET.getlist(\"id\"):\n        out.append(User.objects.get(id=x).name)\n    return out\n";
const CLEAN: &str =
    "def names(cur):\n    cur.execute(\"SELECT id, name FROM users\")\n    return cur.fetchall()\n";

/// `key: value` lines of the one hook in the manifest (a list of one mapping).
fn manifest_fields() -> Vec<(String, String)> {
    let mut fields = Vec::new();
    let mut items = 0;
    for line in MANIFEST.lines() {
        let t = line.trim_end();
        if t.trim_start().starts_with('#') || t.trim().is_empty() {
            continue;
        }
        let body = if let Some(rest) = t.strip_prefix("- ") {
            items += 1;
            rest
        } else if let Some(rest) = t.strip_prefix("  ") {
            assert!(!rest.starts_with(' '), "flat mapping expected: {t}");
            rest
        } else {
            panic!("unexpected line in .pre-commit-hooks.yaml: {t}");
        };
        let (k, v) = body
            .split_once(": ")
            .unwrap_or_else(|| panic!("`key: value` expected: {t}"));
        fields.push((k.to_string(), v.trim().trim_matches('"').to_string()));
    }
    assert_eq!(items, 1, "one hook");
    fields
}

fn field(name: &str) -> String {
    manifest_fields()
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("{name} missing from .pre-commit-hooks.yaml"))
}

#[test]
fn hooks_manifest_defines_the_n1lint_hook() {
    assert_eq!(field("id"), "n1lint");
    assert_eq!(field("entry"), "n1lint");
    assert_eq!(field("language"), "rust");
    assert_eq!(
        field("require_serial"),
        "true",
        "one process: the project is read once"
    );
    let types: Vec<String> = field("types_or")
        .trim_start_matches('[')
        .trim_end_matches(']')
        .split(',')
        .map(|s| s.trim().to_string())
        .collect();
    assert_eq!(types, ["javascript", "jsx", "ts", "tsx", "python", "ruby"]);
    let keys: Vec<String> = manifest_fields().into_iter().map(|(k, _)| k).collect();
    let mut unique = keys.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), keys.len(), "no key twice: {keys:?}");
}

fn pre_commit_available() -> bool {
    Command::new("pre-commit")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// In CI a missing pre-commit is a failure; elsewhere the test is skipped with a message.
fn require_pre_commit(test: &str) -> bool {
    if pre_commit_available() {
        return true;
    }
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
    assert!(
        !ci,
        "CI is set but `pre-commit` is not installed: `.ci/run` installs it with `pip install pre-commit`"
    );
    // Straight to standard error: the test harness hides what `eprintln!` prints in a
    // passing test, and a skip must be seen.
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED {test}: `pre-commit` is not installed (pip install pre-commit); set CI=true to make this a failure"
    );
    false
}

struct Repo {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    home: PathBuf,
}

impl Repo {
    fn cmd(&self, program: &str, args: &[&str]) -> Output {
        Command::new(program)
            .current_dir(&self.dir)
            .args(args)
            .env("HOME", &self.home)
            .env("PRE_COMMIT_HOME", self.home.join("pre-commit"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", self.home.join("gitconfig"))
            .env("GIT_AUTHOR_NAME", "n1lint test")
            .env("GIT_AUTHOR_EMAIL", "test@example.com")
            .env("GIT_COMMITTER_NAME", "n1lint test")
            .env("GIT_COMMITTER_EMAIL", "test@example.com")
            .env("NO_COLOR", "1")
            .env_remove("GIT_DIR")
            .env_remove("GIT_INDEX_FILE")
            .env_remove("GIT_WORK_TREE")
            .output()
            .unwrap_or_else(|e| panic!("run {program}: {e}"))
    }

    fn ok(&self, program: &str, args: &[&str]) -> String {
        let o = self.cmd(program, args);
        assert!(
            o.status.success(),
            "{program} {args:?} failed:\n{}",
            text(&o)
        );
        text(&o)
    }

    fn write(&self, rel: &str, content: &str) {
        let p = self.dir.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, content).expect("write");
    }
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The repository's hook, as a `repo: local` hook running the built binary.
fn local_config(bin: &Path) -> String {
    let mut s = String::from("repos:\n  - repo: local\n    hooks:\n");
    for line in MANIFEST.lines() {
        if line.trim_start().starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let line = match line.trim_start_matches("- ").trim() {
            "entry: n1lint" => {
                line.replace("entry: n1lint", &format!("entry: '{}'", bin.display()))
            }
            "language: rust" => line.replace("language: rust", "language: system"),
            _ => line.to_string(),
        };
        s.push_str(&format!("      {line}\n"));
    }
    s
}

fn repo() -> Repo {
    let tmp = tempfile::Builder::new()
        .prefix("n1lint-pre-commit-")
        .tempdir()
        .expect("temporary directory");
    let dir = tmp.path().join("repo");
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::create_dir_all(&home).expect("mkdir");
    std::fs::write(home.join("gitconfig"), "").expect("write");
    let r = Repo {
        _tmp: tmp,
        dir,
        home,
    };
    r.ok("git", &["-c", "init.defaultBranch=main", "init", "-q"]);
    r.ok("git", &["config", "commit.gpgsign", "false"]);
    r
}

#[test]
fn pre_commit_blocks_a_commit_with_a_finding_and_passes_a_clean_one() {
    if !require_pre_commit("pre_commit_blocks_a_commit_with_a_finding_and_passes_a_clean_one") {
        return;
    }
    let started = Instant::now();
    let r = repo();
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_n1lint"));
    r.write(".pre-commit-config.yaml", &local_config(&bin));
    r.ok(
        "pre-commit",
        &["validate-config", ".pre-commit-config.yaml"],
    );
    // The real manifest passes pre-commit's own schema.
    r.ok(
        "pre-commit",
        &[
            "validate-manifest",
            &Path::new(env!("CARGO_MANIFEST_DIR"))
                .join(".pre-commit-hooks.yaml")
                .to_string_lossy(),
        ],
    );
    // The model is committed before the hook is installed: the staged view needs it.
    r.write("shop/models.py", MODELS);
    r.write("README.txt", "SELECT * FROM users\n");
    r.ok("git", &["add", "."]);
    r.ok("git", &["commit", "-q", "-m", "models"]);
    r.ok("pre-commit", &["install"]);

    // A staged file with an N+1: the hook fails and the commit does not happen.
    r.write("shop/views.py", VIEWS);
    r.ok("git", &["add", "shop/views.py"]);
    let o = r.cmd("git", &["commit", "-m", "views"]);
    let out = text(&o);
    assert!(!o.status.success(), "the commit must be blocked:\n{out}");
    assert!(out.contains("n1lint") && out.contains("Failed"), "{out}");
    assert!(
        out.contains("shop/views.py:7:") && out.contains("n-plus-one"),
        "the finding, found with the model from the unstaged-for-this-commit models.py:\n{out}"
    );
    assert_eq!(
        r.ok("git", &["rev-list", "--count", "HEAD"]).trim(),
        "1",
        "nothing was committed"
    );

    // The same file fixed: the hook passes and the commit is made.
    r.write(
        "shop/views.py",
        "from .models import User\n\n\ndef names(ids):\n    return [u.name for u in User.objects.filter(id__in=ids)]\n",
    );
    r.write("shop/clean.py", CLEAN);
    r.ok("git", &["add", "shop"]);
    let o = r.cmd("git", &["commit", "-m", "views"]);
    let out = text(&o);
    assert!(o.status.success(), "the commit must pass:\n{out}");
    assert!(out.contains("n1lint") && out.contains("Passed"), "{out}");
    assert_eq!(r.ok("git", &["rev-list", "--count", "HEAD"]).trim(), "2");

    // A change to a file of no type the hook takes: the hook is skipped.
    r.write("README.txt", "SELECT * FROM orders\n");
    r.ok("git", &["add", "README.txt"]);
    let out = r.ok("pre-commit", &["run"]);
    assert!(out.contains("(no files to check)Skipped"), "{out}");
    eprintln!(
        "pre-commit test took {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
