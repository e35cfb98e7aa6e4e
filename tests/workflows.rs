//! n1lint in real workflows: `--baseline` / `--write-baseline`, `--diff REF`, the project
//! context of runs on named files (pre-commit), and `--format markdown`.

mod common;
use common::{write, Out};

use std::path::Path;
use std::process::Command as Std;

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

const MODELS: &str = "from django.db import models\n\n\nclass User(models.Model):\n    name = models.CharField(max_length=20)\n";

/// One `SELECT *` in `load` and one N+1 in `names`.
const VIEWS: &str = "\
from .models import User


def load(cur):
    cur.execute(\"SELECT * FROM users\")


def names(request):
    out = []
    for x in request.GET.getlist(\"id\"):
        out.append(User.objects.get(id=x).name)
    return out
";

fn project() -> TempDir {
    common::project("n1lint-wf-")
}

fn run(cwd: &Path, args: &[&str]) -> Out {
    let out = Command::new(env!("CARGO_BIN_EXE_n1lint"))
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        // Never find a repository above the temporary directories.
        .env("GIT_CEILING_DIRECTORIES", std::env::temp_dir())
        .args(args)
        .output()
        .expect("run n1lint");
    Out {
        code: out.status.code().expect("exit code"),
        stdout: String::from_utf8(out.stdout).expect("UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("UTF-8"),
    }
}

/// (path, line, rule) of every finding, from `--format json`.
fn findings(cwd: &Path, args: &[&str]) -> Vec<(String, u64, String)> {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let out = run(cwd, &all);
    assert!(
        out.code == 0 || out.code == 1,
        "exit {}: {}",
        out.code,
        out.stderr
    );
    let v: Value = serde_json::from_str(&out.stdout).expect("JSON");
    v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["path"].as_str().expect("path").to_string(),
                f["start"]["line"].as_u64().expect("line"),
                f["rule"].as_str().expect("rule").to_string(),
            )
        })
        .collect()
}

fn f(path: &str, line: u64, rule: &str) -> (String, u64, String) {
    (path.to_string(), line, rule.to_string())
}

// ---------------------------------------------------------------------------------------
// Baseline

fn baselined_project() -> TempDir {
    let d = project();
    write(d.path(), "shop/models.py", MODELS);
    write(d.path(), "shop/views.py", VIEWS);
    let out = run(d.path(), &["--write-baseline", "n1lint-baseline.json"]);
    assert_eq!(out.code, 0, "writing a baseline succeeds: {}", out.stderr);
    assert!(out.stdout.is_empty(), "no report: {}", out.stdout);
    assert!(
        out.stderr.contains("n1lint-baseline.json with 2 findings"),
        "{}",
        out.stderr
    );
    d
}

#[test]
fn baseline_file_is_sorted_relative_json_without_line_numbers() {
    let d = baselined_project();
    let text = std::fs::read_to_string(d.path().join("n1lint-baseline.json")).expect("read");
    let v: Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(v["version"], 1);
    let entries = v["findings"].as_array().expect("findings");
    let keys: Vec<(String, String, String)> = entries
        .iter()
        .map(|e| {
            assert_eq!(e["count"], 1);
            assert!(e.get("line").is_none(), "no line numbers: {e}");
            assert_eq!(e["code"].as_str().expect("code").len(), 16);
            (
                e["path"].as_str().expect("path").into(),
                e["rule"].as_str().expect("rule").into(),
                e["scope"].as_str().expect("scope").into(),
            )
        })
        .collect();
    assert_eq!(
        keys,
        vec![
            ("shop/views.py".into(), "n-plus-one".into(), "names".into()),
            ("shop/views.py".into(), "select-star".into(), "load".into()),
        ]
    );
    assert!(
        text.ends_with("}\n") && text.contains("\n  \"findings\": [\n"),
        "{text}"
    );
    // The same findings give the same bytes.
    run(d.path(), &["--write-baseline", "again.json"]);
    let again = std::fs::read_to_string(d.path().join("again.json")).expect("read");
    assert_eq!(text, again);
}

#[test]
fn baseline_hides_recorded_findings_and_says_how_many() {
    let d = baselined_project();
    let out = run(d.path(), &["--baseline", "n1lint-baseline.json"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("0 findings in 0 files") && out.stdout.contains("2 baselined"),
        "{}",
        out.stdout
    );
    let out = run(
        d.path(),
        &["--baseline", "n1lint-baseline.json", "--format", "json"],
    );
    assert_eq!(out.code, 0);
    assert!(
        out.stderr.contains("not reported: 2 baselined"),
        "{}",
        out.stderr
    );
    let out = run(
        d.path(),
        &[
            "--baseline",
            "n1lint-baseline.json",
            "--format",
            "json",
            "-q",
        ],
    );
    assert!(out.stderr.is_empty(), "--quiet: {}", out.stderr);
}

#[test]
fn baseline_survives_inserted_lines_moves_reformatting_and_renamed_neighbours() {
    let d = baselined_project();
    // Lines inserted above, the two functions swapped, the flagged call reformatted, and a
    // new unrelated function.
    let changed = "\
from .models import User
import os


def helper():
    return os.getcwd()


def names(request):
    out = []
    for x in request.GET.getlist(\"id\"):
        out.append(
            User.objects.get(id=x).name
        )
    return out


def load(cur):
    cur.execute(
        \"SELECT * FROM users\"
    )
";
    write(d.path(), "shop/views.py", changed);
    assert_eq!(
        findings(d.path(), &[]).len(),
        2,
        "the findings are still there"
    );
    assert_eq!(
        findings(d.path(), &["--baseline", "n1lint-baseline.json"]),
        vec![],
        "and still baselined"
    );
    // Renaming the unrelated function changes nothing either.
    write(
        d.path(),
        "shop/views.py",
        changed.replace("def helper", "def cwd_helper"),
    );
    assert_eq!(
        findings(d.path(), &["--baseline", "n1lint-baseline.json"]),
        vec![]
    );
}

#[test]
fn baseline_reports_a_second_copy_of_a_baselined_pattern() {
    let d = baselined_project();
    let dup = VIEWS.replace(
        "    cur.execute(\"SELECT * FROM users\")\n",
        "    cur.execute(\"SELECT * FROM users\")\n    cur.execute(\"SELECT * FROM users\")\n",
    );
    write(d.path(), "shop/views.py", dup);
    assert_eq!(
        findings(d.path(), &["--baseline", "n1lint-baseline.json"]),
        vec![f("shop/views.py", 6, "select-star")],
        "the first copy is the baselined one, the second is new"
    );
    // The same pattern in another function is another identity.
    let other =
        format!("{VIEWS}\n\ndef load_again(cur):\n    cur.execute(\"SELECT * FROM users\")\n");
    write(d.path(), "shop/views.py", other);
    assert_eq!(
        findings(d.path(), &["--baseline", "n1lint-baseline.json"]),
        vec![f("shop/views.py", 16, "select-star")]
    );
}

#[test]
fn baseline_paths_do_not_depend_on_the_working_directory() {
    let d = baselined_project();
    let shop = d.path().join("shop");
    let out = run(&shop, &["--baseline", "../n1lint-baseline.json", "."]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("2 baselined"), "{}", out.stdout);
}

#[test]
fn fixed_findings_are_reported_as_stale() {
    let d = baselined_project();
    write(
        d.path(),
        "shop/views.py",
        VIEWS.replace("SELECT * FROM", "SELECT id FROM"),
    );
    let out = run(d.path(), &["--baseline", "n1lint-baseline.json"]);
    assert_eq!(out.code, 0);
    assert!(
        out.stderr
            .contains("1 baselined finding is no longer found"),
        "{}",
        out.stderr
    );
}

#[test]
fn bad_or_missing_baseline_exits_2() {
    let d = baselined_project();
    let out = run(d.path(), &["--baseline", "missing.json"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("missing.json"), "{}", out.stderr);
    write(d.path(), "bad.json", "{\"version\": 1}");
    let out = run(d.path(), &["--baseline", "bad.json"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("not an n1lint baseline"),
        "{}",
        out.stderr
    );
    let out = run(
        d.path(),
        &["--baseline", "a.json", "--write-baseline", "b.json"],
    );
    assert_eq!(out.code, 2, "the two options conflict");
}

// ---------------------------------------------------------------------------------------
// --diff

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Std::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=n1lint test",
            "-c",
            "user.email=test@example.com",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        // A file that does not exist: git reads no global config (not `/dev/null`, which a
        // broken machine may have replaced with a regular file).
        .env(
            "GIT_CONFIG_GLOBAL",
            dir.join(".n1lint-test-no-global-gitconfig"),
        )
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn repo() -> TempDir {
    let d = project();
    git(d.path(), &["init", "-q"]);
    write(d.path(), "shop/models.py", MODELS);
    write(d.path(), "shop/views.py", VIEWS);
    git(d.path(), &["add", "."]);
    git(d.path(), &["commit", "-q", "-m", "base"]);
    d
}

#[test]
fn diff_reports_only_changed_lines_committed_staged_unstaged_and_untracked() {
    let d = repo();
    let base = git(d.path(), &["rev-parse", "HEAD"]);
    assert_eq!(
        findings(d.path(), &["--diff", "HEAD"]),
        vec![],
        "nothing changed"
    );
    // Committed after the base: a new function at the end of views.py.
    let committed = format!("{VIEWS}\n\ndef two(cur):\n    cur.execute(\"SELECT * FROM a\")\n");
    write(d.path(), "shop/views.py", &committed);
    git(d.path(), &["commit", "-q", "-am", "two"]);
    // Staged: a new file.
    write(
        d.path(),
        "shop/staged.py",
        "def s(cur):\n    cur.execute(\"SELECT * FROM b\")\n",
    );
    git(d.path(), &["add", "shop/staged.py"]);
    // Unstaged: one more function in views.py.
    write(
        d.path(),
        "shop/views.py",
        format!("{committed}\n\ndef three(cur):\n    cur.execute(\"SELECT * FROM c\")\n"),
    );
    // Untracked.
    write(
        d.path(),
        "shop/new.py",
        "def n(cur):\n    cur.execute(\"SELECT * FROM d\")\n",
    );
    let all = findings(d.path(), &[]);
    assert_eq!(all.len(), 6, "{all:?}");
    assert_eq!(
        findings(d.path(), &["--diff", &base]),
        vec![
            f("shop/new.py", 2, "select-star"),
            f("shop/staged.py", 2, "select-star"),
            f("shop/views.py", 16, "select-star"),
            f("shop/views.py", 20, "select-star"),
        ]
    );
    assert_eq!(
        findings(d.path(), &["--diff", "HEAD"]),
        vec![
            f("shop/new.py", 2, "select-star"),
            f("shop/staged.py", 2, "select-star"),
            f("shop/views.py", 20, "select-star"),
        ]
    );
    let out = run(d.path(), &["--diff", "HEAD"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stdout.contains("3 findings in 3 files")
            && out.stdout.contains("3 not on changed lines"),
        "{}",
        out.stdout
    );
    // From a subdirectory, with a path argument.
    assert_eq!(
        findings(&d.path().join("shop"), &["--diff", "HEAD", "new.py"]).len(),
        1
    );
}

#[test]
fn diff_keeps_a_finding_whose_related_location_changed() {
    let d = repo();
    // Only the loop header changes: the query line is old, the loop it is in is new.
    write(
        d.path(),
        "shop/views.py",
        VIEWS.replace(
            "for x in request.GET.getlist(\"id\"):",
            "for x in sorted(request.GET.getlist(\"id\")):",
        ),
    );
    assert_eq!(
        findings(d.path(), &["--diff", "HEAD"]),
        vec![f("shop/views.py", 11, "n-plus-one")]
    );
    // A change elsewhere in the file selects neither.
    write(
        d.path(),
        "shop/views.py",
        VIEWS.replace("    return out\n", "    return list(out)\n"),
    );
    assert_eq!(findings(d.path(), &["--diff", "HEAD"]), vec![]);
}

#[test]
fn diff_outside_a_repository_or_with_an_unknown_ref_exits_2() {
    let d = project();
    write(
        d.path(),
        "a.py",
        "def s(cur):\n    cur.execute(\"SELECT * FROM b\")\n",
    );
    let out = run(d.path(), &["--diff", "main"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("not inside a git repository"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty());

    // The repository is the one holding the first path, not the working directory.
    let r = repo();
    write(
        r.path(),
        "shop/new.py",
        "def n(cur):\n    cur.execute(\"SELECT * FROM d\")\n",
    );
    let out = run(
        d.path(),
        &["--diff", "HEAD", &r.path().to_string_lossy(), "-q"],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(
        out.stdout.matches("select-star").count(),
        1,
        "{}",
        out.stdout
    );

    let d = repo();
    let out = run(d.path(), &["--diff", "origin/no-such-branch"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("unknown git revision `origin/no-such-branch`"),
        "{}",
        out.stderr
    );
    let out = run(d.path(), &["--diff=-p"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
}

#[test]
fn diff_and_baseline_together() {
    let d = repo();
    run(d.path(), &["--write-baseline", "n1lint-baseline.json"]);
    // A second copy of the baselined SELECT * on a new line of the same function.
    write(
        d.path(),
        "shop/views.py",
        VIEWS.replace(
            "    cur.execute(\"SELECT * FROM users\")\n",
            "    cur.execute(\"SELECT * FROM users\")\n    cur.execute(\"SELECT * FROM users\")\n",
        ),
    );
    assert_eq!(
        findings(
            d.path(),
            &["--diff", "HEAD", "--baseline", "n1lint-baseline.json"]
        ),
        vec![f("shop/views.py", 6, "select-star")]
    );
}

// ---------------------------------------------------------------------------------------
// Project context for named files

#[test]
fn named_files_get_facts_from_the_rest_of_the_project() {
    let d = repo();
    // The model is in models.py, the loop in views.py; models.py has a finding of its own.
    write(
        d.path(),
        "shop/models.py",
        format!("{MODELS}\n\ndef raw(cur):\n    cur.execute(\"SELECT * FROM users\")\n"),
    );
    // A whole-project run first: its cached result must not stand in for the run on one file.
    assert_eq!(findings(d.path(), &[]).len(), 3);
    assert_eq!(
        findings(d.path(), &["shop/views.py"]),
        vec![
            f("shop/views.py", 5, "select-star"),
            f("shop/views.py", 11, "n-plus-one"),
        ],
        "the N+1 needs the model from models.py; models.py's own finding is not reported"
    );
    assert_eq!(
        findings(d.path(), &["shop/views.py", "--no-project-context"]),
        vec![f("shop/views.py", 5, "select-star")],
        "without the context the model is unknown"
    );
    // Also from a subdirectory, and with an n1lint.toml as the root marker.
    assert_eq!(findings(&d.path().join("shop"), &["views.py"]).len(), 2);
    let p = project();
    write(p.path(), "n1lint.toml", "");
    write(p.path(), "a/models.py", MODELS);
    write(p.path(), "b/views.py", VIEWS);
    assert_eq!(findings(p.path(), &["b/views.py"]).len(), 2);
    let out = run(p.path(), &["b/views.py", "--stats"]);
    assert!(out.stdout.contains("(1 file scanned"), "{}", out.stdout);
    assert!(
        out.stderr
            .contains("project context: 1 more files read for facts only"),
        "{}",
        out.stderr
    );
}

// ---------------------------------------------------------------------------------------
// Markdown

#[test]
fn markdown_groups_by_area_with_counts_per_rule() {
    let d = project();
    write(d.path(), "shop/models.py", MODELS);
    write(d.path(), "shop/views.py", VIEWS);
    let out = run(d.path(), &["--format", "markdown"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let md = out.stdout;
    assert!(md.starts_with("## n1lint: 2 findings in 1 file\n"), "{md}");
    assert!(md.contains("| Database | `n-plus-one` | 1 |"), "{md}");
    assert!(md.contains("| Database | `select-star` | 1 |"), "{md}");
    assert!(md.contains("\n### Database (2)\n"), "{md}");
    assert!(md.contains("- `shop/views.py:5` **select-star**: "), "{md}");
    assert!(
        md.contains("- `shop/views.py:11` **n-plus-one**: `User.objects.get`"),
        "{md}"
    );

    let clean = project();
    write(
        clean.path(),
        "a.py",
        "def s(cur):\n    cur.execute(\"SELECT id FROM b\")\n",
    );
    let out = run(clean.path(), &["--format", "markdown"]);
    assert_eq!(out.code, 0);
    assert_eq!(out.stdout, "## n1lint: no findings\n\n1 file scanned.\n");
}
