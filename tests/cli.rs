//! End-to-end tests of the `n1lint` binary: exit codes, output formats, configuration,
//! suppressions, walking, determinism. Each test builds its own temporary project.

mod common;
use common::{write, Out};

use std::collections::BTreeSet;
use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

/// A Python file with one `SELECT *` at line 2, column 25.
const BAD_PY: &str = "def load(cur):\n    cur.execute(\"SELECT * FROM users\")\n";
/// The same without the wildcard.
const GOOD_PY: &str = "def load(cur):\n    cur.execute(\"SELECT id, name FROM users\")\n";

fn project() -> TempDir {
    common::project("n1lint-cli-")
}

/// Runs n1lint with `cwd` as its current directory.
fn run(cwd: &Path, args: &[&str]) -> Out {
    let out = Command::new(env!("CARGO_BIN_EXE_n1lint"))
        .current_dir(cwd)
        .env_remove("NO_COLOR")
        .args(args)
        .output()
        .expect("run n1lint");
    Out {
        code: out
            .status
            .code()
            .expect("exit code (not killed by a signal)"),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    }
}

fn json(cwd: &Path, args: &[&str]) -> (i32, Value) {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let out = run(cwd, &all);
    let v: Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "--format json is not JSON ({e}):\n{}\nstderr: {}",
            out.stdout, out.stderr
        )
    });
    (out.code, v)
}

/// The rules these tests are about. Other rules are being added; the fixtures here are
/// written so that they should not fire, and `found` ignores them if they do.
const RULES_UNDER_TEST: [&str; 2] = ["select-star", "unused-suppression"];

/// (path, line, rule) of every finding of [`RULES_UNDER_TEST`] in a JSON report.
fn found(v: &Value) -> Vec<(String, u64, String)> {
    v["findings"]
        .as_array()
        .expect("findings is an array")
        .iter()
        .filter(|f| {
            f["rule"]
                .as_str()
                .is_some_and(|r| RULES_UNDER_TEST.contains(&r))
        })
        .map(|f| {
            (
                f["path"].as_str().expect("path").to_string(),
                f["start"]["line"].as_u64().expect("start.line"),
                f["rule"].as_str().expect("rule").to_string(),
            )
        })
        .collect()
}

fn t(path: &str, line: u64, rule: &str) -> (String, u64, String) {
    (path.to_string(), line, rule.to_string())
}

// ---------------------------------------------------------------------------------------
// Exit codes

#[test]
fn clean_file_exits_0() {
    let d = project();
    write(d.path(), "app.py", GOOD_PY);
    let out = run(d.path(), &[]);
    assert_eq!(
        out.code, 0,
        "stdout: {}\nstderr: {}",
        out.stdout, out.stderr
    );
    assert!(
        out.stdout.contains("0 findings in 0 files"),
        "{}",
        out.stdout
    );
}

#[test]
fn finding_exits_1() {
    let d = project();
    write(d.path(), "app.py", BAD_PY);
    let out = run(d.path(), &[]);
    assert_eq!(
        out.code, 1,
        "stdout: {}\nstderr: {}",
        out.stdout, out.stderr
    );
    assert!(out.stdout.contains("select-star"), "{}", out.stdout);
}

#[test]
fn missing_path_exits_2_and_names_it() {
    let d = project();
    write(d.path(), "app.py", BAD_PY);
    let out = run(d.path(), &["app.py", "no-such-dir/missing.py"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("no-such-dir/missing.py"),
        "{}",
        out.stderr
    );
    assert!(
        out.stdout.is_empty(),
        "no report on a usage error: {}",
        out.stdout
    );
}

#[cfg(unix)]
#[test]
fn unreadable_input_named_on_the_command_line_exits_2() {
    let d = project();
    write(d.path(), "app.py", BAD_PY);
    std::os::unix::fs::symlink("nowhere.py", d.path().join("broken.py")).unwrap();
    let out = run(d.path(), &["app.py", "broken.py"]);
    assert_eq!(
        out.code, 2,
        "stdout: {}\nstderr: {}",
        out.stdout, out.stderr
    );
    assert!(out.stderr.contains("broken.py"), "{}", out.stderr);
    // In a walked directory a broken link is not an input: it is passed over.
    let out = run(d.path(), &[]);
    assert_eq!(out.code, 1, "{}", out.stderr);
}

#[test]
fn unknown_select_rule_exits_2() {
    let d = project();
    write(d.path(), "app.py", BAD_PY);
    let out = run(d.path(), &["--select", "select-star,no-such-rule"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("no-such-rule"), "{}", out.stderr);
    let out = run(d.path(), &["--ignore", "not-a-rule"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("not-a-rule"), "{}", out.stderr);
}

#[test]
fn bad_config_exits_2_and_points_at_the_line() {
    let d = project();
    write(d.path(), "app.py", BAD_PY);
    write(
        d.path(),
        "n1lint.toml",
        "ignore = [\"select-star\"]\n\nfrobnicate = 1\n",
    );
    let out = run(d.path(), &[]);
    assert_eq!(
        out.code, 2,
        "stdout: {}\nstderr: {}",
        out.stdout, out.stderr
    );
    assert!(out.stderr.contains("frobnicate"), "{}", out.stderr);
    assert!(
        out.stderr.contains("n1lint.toml:3:1"),
        "file and line: {}",
        out.stderr
    );

    // A value error in a table points at its own line too.
    write(
        d.path(),
        "n1lint.toml",
        "[severity]\nselect-star = \"loud\"\n",
    );
    let out = run(d.path(), &[]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("loud"), "{}", out.stderr);
    assert!(out.stderr.contains("n1lint.toml:2:"), "{}", out.stderr);
}

#[test]
fn exit_zero_with_findings() {
    let d = project();
    write(d.path(), "app.py", BAD_PY);
    let out = run(d.path(), &["--exit-zero"]);
    assert_eq!(out.code, 0);
    assert!(
        out.stdout.contains("select-star"),
        "findings still reported: {}",
        out.stdout
    );
}

// ---------------------------------------------------------------------------------------
// Formats

#[test]
fn json_has_the_documented_fields() {
    let d = project();
    write(d.path(), "src/app.py", BAD_PY);
    let (code, v) = json(d.path(), &["--select", "select-star"]);
    assert_eq!(code, 1);
    assert_eq!(v["files_scanned"], 1);
    let findings = v["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 1, "{v:#}");
    let f = &findings[0];
    assert_eq!(f["rule"], "select-star");
    assert_eq!(f["severity"], "warning");
    assert_eq!(f["path"], "src/app.py");
    assert_eq!(f["start"]["line"], 2);
    assert_eq!(f["start"]["column"], 25);
    assert_eq!(f["end"]["line"], 2);
    assert_eq!(f["end"]["column"], 26);
    assert!(
        f["message"]
            .as_str()
            .is_some_and(|m| m.contains("SELECT *")),
        "{f:#}"
    );
    assert!(f["help"].as_str().is_some_and(|h| !h.is_empty()), "{f:#}");
    assert!(f["related"].is_array(), "{f:#}");
    let fp = f["fingerprint"].as_str().expect("fingerprint");
    assert!(
        fp.len() >= 8 && fp.chars().all(|c| c.is_ascii_hexdigit()),
        "{fp}"
    );
}

#[test]
fn fingerprints_differ_between_findings_and_survive_line_moves() {
    let d = project();
    write(
        d.path(),
        "app.py",
        "def a(cur):\n    cur.execute(\"SELECT * FROM users\")\n\ndef b(cur):\n    cur.execute(\"SELECT * FROM orders\")\n",
    );
    let (_, v1) = json(d.path(), &["--select", "select-star"]);
    let fps1: Vec<&str> = v1["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap())
        .collect();
    assert_eq!(fps1.len(), 2);
    assert_ne!(fps1[0], fps1[1]);
    // Blank lines above the code move it but do not change what it is.
    write(
        d.path(),
        "app.py",
        "\n\n\ndef a(cur):\n    cur.execute(\"SELECT * FROM users\")\n\ndef b(cur):\n    cur.execute(\"SELECT * FROM orders\")\n",
    );
    let (_, v2) = json(d.path(), &["--select", "select-star"]);
    let fps2: Vec<&str> = v2["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap())
        .collect();
    assert_eq!(fps1, fps2);
    assert_eq!(v2["findings"][0]["start"]["line"], 5);
}

#[test]
fn sarif_is_2_1_0_with_rules_and_relative_uris() {
    let d = project();
    write(d.path(), "src/app.py", BAD_PY);
    write(
        d.path(),
        "web/routes.js",
        "const rows = db.query(\"SELECT * FROM orders\");\n",
    );
    let out = run(d.path(), &["--format", "sarif"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let v: Value = serde_json::from_str(&out.stdout).expect("SARIF is JSON");
    assert_eq!(v["version"], "2.1.0");
    let run0 = &v["runs"][0];
    let rules = run0["tool"]["driver"]["rules"]
        .as_array()
        .expect("runs[0].tool.driver.rules");
    let ids: Vec<&str> = rules
        .iter()
        .map(|r| r["id"].as_str().expect("rule id"))
        .collect();
    assert!(ids.contains(&"select-star"), "{ids:?}");
    assert!(ids.contains(&"unused-suppression"), "{ids:?}");
    let results: Vec<&Value> = run0["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| {
            r["ruleId"]
                .as_str()
                .is_some_and(|id| RULES_UNDER_TEST.contains(&id))
        })
        .collect();
    assert_eq!(results.len(), 2, "{}", out.stdout);
    let mut uris = BTreeSet::new();
    for r in &results {
        let idx = r["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(
            rules[idx]["id"], r["ruleId"],
            "ruleIndex points at the rule"
        );
        let loc = &r["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        let uri = loc["artifactLocation"]["uri"].as_str().expect("uri");
        assert!(
            !uri.starts_with('/') && !uri.contains(':') && !uri.contains('\\'),
            "relative: {uri}"
        );
        uris.insert(uri.to_string());
        let region = &loc["region"];
        for k in ["startLine", "startColumn", "endLine", "endColumn"] {
            assert!(
                region[k].as_u64().is_some_and(|n| n >= 1),
                "1-based {k}: {region}"
            );
        }
    }
    assert_eq!(
        uris,
        BTreeSet::from(["src/app.py".to_string(), "web/routes.js".to_string()])
    );
    let py = results
        .iter()
        .find(|r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "src/app.py")
        .unwrap();
    let region = &py["locations"][0]["physicalLocation"]["region"];
    assert_eq!(region["startLine"], 2);
    assert_eq!(region["startColumn"], 25);
}

#[test]
fn github_annotations() {
    let d = project();
    write(d.path(), "app.py", BAD_PY);
    write(
        d.path(),
        "b.rb",
        "rows = conn.execute(\"SELECT * FROM t\")\n",
    );
    let out = run(d.path(), &["--format", "github", "--select", "select-star"]);
    assert_eq!(out.code, 1);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", out.stdout);
    for l in &lines {
        assert!(l.starts_with("::warning file="), "{l}");
    }
    assert!(
        lines[0].starts_with("::warning file=app.py,line=2,col=25,"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].starts_with("::warning file=b.rb,line=1,"),
        "{}",
        lines[1]
    );
}

#[test]
fn text_has_no_ansi_codes_and_a_summary() {
    let d = project();
    write(d.path(), "app.py", BAD_PY);
    write(d.path(), "clean.py", GOOD_PY);
    let out = run(d.path(), &["--format", "text", "--select", "select-star"]);
    assert_eq!(out.code, 1);
    assert!(
        !out.stdout.contains('\x1b'),
        "no escape codes without a terminal: {:?}",
        out.stdout
    );
    assert!(
        out.stdout.contains("app.py:2:25 select-star"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("cur.execute(\"SELECT * FROM users\")"),
        "source shown: {}",
        out.stdout
    );
    let summary = out.stdout.lines().last().expect("a summary line");
    assert!(
        summary.starts_with("1 finding in 1 file (2 files scanned in "),
        "{summary}"
    );
    assert!(summary.ends_with(" s)"), "{summary}");

    let quiet = run(d.path(), &["--quiet", "--select", "select-star"]);
    assert_eq!(quiet.code, 1);
    assert!(
        quiet.stdout.contains("app.py:2:25 select-star"),
        "{}",
        quiet.stdout
    );
    assert!(
        !quiet.stdout.contains("scanned in"),
        "--quiet drops the summary: {}",
        quiet.stdout
    );
}

#[test]
fn output_file_is_written_atomically() {
    let d = project();
    write(d.path(), "app.py", BAD_PY);
    let out_dir = project();
    let report = out_dir.path().join("report.json");
    let report_arg = report.to_str().expect("UTF-8 temp path");
    let out = run(d.path(), &["--format", "json", "-o", report_arg]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stdout.is_empty(),
        "nothing on stdout with -o: {}",
        out.stdout
    );
    let text = std::fs::read_to_string(&report).expect("report written");
    let v: Value = serde_json::from_str(&text).expect("report is JSON");
    assert_eq!(found(&v), vec![t("app.py", 2, "select-star")]);
    let names: Vec<String> = std::fs::read_dir(out_dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        vec!["report.json".to_string()],
        "no temporary file left behind"
    );

    // Overwriting works too, and text goes to the file as well.
    let out = run(d.path(), &["-o", report_arg]);
    assert_eq!(out.code, 1);
    assert!(out.stdout.is_empty());
    let text = std::fs::read_to_string(&report).unwrap();
    assert!(
        text.contains("select-star") && !text.trim_start().starts_with('{'),
        "{text}"
    );
}

/// `-o /dev/null`, a pipe, a terminal: the report goes into it, and the node stays what it
/// was (a rename of a temporary file over `/dev/null` once made it a regular file).
#[cfg(unix)]
#[test]
fn output_into_a_pipe_keeps_the_pipe() {
    use std::os::unix::fs::FileTypeExt;
    let d = project();
    write(d.path(), "app.py", BAD_PY);
    let out_dir = project();
    let pipe = out_dir.path().join("report.pipe");
    let c_path = std::ffi::CString::new(pipe.to_str().expect("UTF-8 temp path")).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0, "mkfifo");
    let reader = {
        let pipe = pipe.clone();
        std::thread::spawn(move || std::fs::read_to_string(pipe))
    };
    let out = run(
        d.path(),
        &["--format", "json", "-o", pipe.to_str().unwrap()],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    // Checked before joining the reader: had the pipe been replaced, nothing would ever
    // write to the one the reader waits on.
    let kind = std::fs::symlink_metadata(&pipe)
        .expect("still there")
        .file_type();
    assert!(kind.is_fifo(), "-o replaced the pipe with {kind:?}");
    let text = reader
        .join()
        .unwrap()
        .expect("the report came through the pipe");
    assert!(text.contains("select-star"), "{text}");
}

#[cfg(unix)]
#[test]
fn output_file_has_ordinary_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let d = project();
    write(d.path(), "app.py", BAD_PY);
    let out_dir = project();
    // What a newly created file gets here under the current umask.
    let reference = write(out_dir.path(), "reference", "");
    let expected = std::fs::metadata(&reference).unwrap().permissions().mode() & 0o777;
    let report = out_dir.path().join("new.json");
    run(
        d.path(),
        &["--format", "json", "-o", report.to_str().unwrap()],
    );
    let mode = std::fs::metadata(&report)
        .expect("report written")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(
        mode, expected,
        "new report: {mode:o}, new file: {expected:o}"
    );

    // Replacing a report keeps the mode of the file it replaces.
    let existing = write(out_dir.path(), "existing.json", "{}");
    std::fs::set_permissions(&existing, std::fs::Permissions::from_mode(0o640)).unwrap();
    run(
        d.path(),
        &["--format", "json", "-o", existing.to_str().unwrap()],
    );
    let mode = std::fs::metadata(&existing).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640, "{mode:o}");
    assert!(std::fs::read_to_string(&existing)
        .unwrap()
        .contains("select-star"));
}

// ---------------------------------------------------------------------------------------
// Rule selection and configuration

/// One `select-star` (line 2) and one suppression naming an unknown rule (line 3).
const TWO_RULES_PY: &str =
    "def load(cur):\n    cur.execute(\"SELECT * FROM users\")\n    x = 1  # n1lint-ignore: bogus-rule\n";

#[test]
fn select_and_ignore_change_what_is_reported() {
    let d = project();
    write(d.path(), "app.py", TWO_RULES_PY);
    let (code, v) = json(d.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(
        found(&v),
        vec![
            t("app.py", 2, "select-star"),
            t("app.py", 3, "unused-suppression")
        ]
    );

    let (_, v) = json(d.path(), &["--select", "select-star"]);
    assert_eq!(found(&v), vec![t("app.py", 2, "select-star")]);

    let (_, v) = json(d.path(), &["--ignore", "select-star"]);
    assert_eq!(found(&v), vec![t("app.py", 3, "unused-suppression")]);

    let (code, v) = json(d.path(), &["--ignore", "select-star,unused-suppression"]);
    assert_eq!(code, 0);
    assert_eq!(found(&v), vec![]);
}

#[test]
fn config_is_discovered_in_the_current_directory() {
    let d = project();
    write(d.path(), "app.py", BAD_PY);
    assert_eq!(run(d.path(), &[]).code, 1, "fires without a config");
    write(d.path(), "n1lint.toml", "ignore = [\"select-star\"]\n");
    let out = run(d.path(), &[]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(!out.stdout.contains("select-star"), "{}", out.stdout);
}

#[test]
fn config_is_discovered_in_a_parent_directory() {
    let d = project();
    write(d.path(), "n1lint.toml", "ignore = [\"select-star\"]\n");
    write(d.path(), "sub/app.py", BAD_PY);
    let out = run(&d.path().join("sub"), &[]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
}

#[test]
fn config_flag_takes_a_path() {
    let d = project();
    write(d.path(), "app.py", BAD_PY);
    let elsewhere = project();
    let cfg = write(
        elsewhere.path(),
        "custom.toml",
        "ignore = [\"select-star\"]\n",
    );
    let out = run(d.path(), &["--config", cfg.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    // --config wins over a discovered n1lint.toml.
    write(
        d.path(),
        "n1lint.toml",
        "[severity]\nselect-star = \"error\"\n",
    );
    assert_eq!(run(d.path(), &["--config", cfg.to_str().unwrap()]).code, 0);
    assert_eq!(run(d.path(), &[]).code, 1);
    // A --config that does not exist is an error, not a silent default.
    let out = run(d.path(), &["--config", "missing.toml"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("missing.toml"), "{}", out.stderr);
}

#[test]
fn severity_from_config() {
    let d = project();
    write(d.path(), "app.py", BAD_PY);
    let (_, v) = json(d.path(), &[]);
    assert_eq!(v["findings"][0]["severity"], "warning");
    write(
        d.path(),
        "n1lint.toml",
        "[severity]\nselect-star = \"error\"\n",
    );
    let (code, v) = json(d.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(v["findings"][0]["severity"], "error");
    let gh = run(d.path(), &["--format", "github"]);
    assert!(
        gh.stdout.starts_with("::error file=app.py,"),
        "{}",
        gh.stdout
    );
    let sarif: Value = serde_json::from_str(&run(d.path(), &["--format", "sarif"]).stdout).unwrap();
    assert_eq!(sarif["runs"][0]["results"][0]["level"], "error");

    write(
        d.path(),
        "n1lint.toml",
        "[severity]\nselect-star = \"off\"\n",
    );
    assert_eq!(json(d.path(), &[]).0, 0);
}

#[test]
fn per_file_ignores() {
    let d = project();
    write(d.path(), "legacy/old.py", BAD_PY);
    write(d.path(), "legacy/deep/older.py", BAD_PY);
    write(d.path(), "src/new.py", BAD_PY);
    write(
        d.path(),
        "n1lint.toml",
        "[per-file-ignores]\n\"legacy/**\" = [\"select-star\"]\n",
    );
    let (code, v) = json(d.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(found(&v), vec![t("src/new.py", 2, "select-star")]);
}

#[test]
fn exclude_is_relative_to_the_current_directory_whatever_the_roots() {
    let d = project();
    write(d.path(), "src/a.py", SQL);
    write(d.path(), "gen/b.py", SQL);
    write(d.path(), "src/gen/c.py", SQL);
    write(d.path(), "n1lint.toml", "exclude = [\"gen/**\"]\n");
    let expected = set(&["src/a.py", "src/gen/c.py"]);
    assert_eq!(walked_paths(d.path(), &[]), expected);
    // Walking `gen` and `src` as separate roots must not re-anchor the pattern at each.
    assert_eq!(walked_paths(d.path(), &["gen", "src"]), expected);
    let abs = d.path().to_str().unwrap();
    assert_eq!(walked_paths(d.path(), &[abs]), expected);
}

// ---------------------------------------------------------------------------------------
// Suppressions

#[test]
fn trailing_suppression() {
    let d = project();
    write(
        d.path(),
        "app.py",
        "def f(cur):\n    cur.execute(\"SELECT * FROM users\")  # n1lint-ignore: select-star -- legacy view\n    cur.execute(\"SELECT * FROM orders\")\n",
    );
    let (_, v) = json(d.path(), &[]);
    assert_eq!(found(&v), vec![t("app.py", 3, "select-star")]);
}

#[test]
fn own_line_suppression_covers_the_next_line() {
    let d = project();
    write(
        d.path(),
        "app.py",
        "def f(cur):\n    # n1lint-ignore: select-star -- legacy view\n    cur.execute(\"SELECT * FROM users\")\n    cur.execute(\"SELECT * FROM orders\")\n",
    );
    let (_, v) = json(d.path(), &[]);
    assert_eq!(found(&v), vec![t("app.py", 4, "select-star")]);
}

#[test]
fn trailing_suppression_on_the_last_line_of_a_statement() {
    let d = project();
    write(
        d.path(),
        "app.py",
        "def f(cur):\n    cur.execute(\n        \"SELECT * FROM users\"\n    )  # n1lint-ignore: select-star -- legacy view\n    cur.execute(\n        \"SELECT * FROM orders\"\n    )\n",
    );
    let (_, v) = json(d.path(), &[]);
    assert_eq!(found(&v), vec![t("app.py", 6, "select-star")]);
}

#[test]
fn file_wide_suppression() {
    let d = project();
    write(
        d.path(),
        "gen.py",
        "# n1lint-ignore-file: select-star -- generated code\ndef f(cur):\n    cur.execute(\"SELECT * FROM users\")\n    cur.execute(\"SELECT * FROM orders\")\n",
    );
    write(d.path(), "other.py", BAD_PY);
    let (_, v) = json(d.path(), &[]);
    assert_eq!(
        found(&v),
        vec![t("other.py", 2, "select-star")],
        "only the file with the comment"
    );
}

#[test]
fn javascript_line_comments() {
    let d = project();
    write(
        d.path(),
        "a.js",
        "function f(db) {\n  const a = db.query(\"SELECT * FROM users\"); // n1lint-ignore: select-star -- legacy\n  // n1lint-ignore: select-star\n  const b = db.query(\"SELECT * FROM orders\");\n  const c = db.query(\"SELECT * FROM items\");\n  return [a, b, c];\n}\n",
    );
    let (_, v) = json(d.path(), &[]);
    assert_eq!(found(&v), vec![t("a.js", 5, "select-star")]);
}

#[test]
fn ruby_hash_comments() {
    let d = project();
    write(
        d.path(),
        "a.rb",
        "def f(conn)\n  conn.execute(\"SELECT * FROM users\") # n1lint-ignore: select-star -- legacy\n  # n1lint-ignore: select-star\n  conn.execute(\"SELECT * FROM orders\")\n  conn.execute(\"SELECT * FROM items\")\nend\n",
    );
    let (_, v) = json(d.path(), &[]);
    assert_eq!(found(&v), vec![t("a.rb", 5, "select-star")]);
}

#[test]
fn unused_and_unknown_suppressions_are_reported() {
    let d = project();
    write(
        d.path(),
        "app.py",
        "def f(cur):\n    cur.execute(\"SELECT id FROM users\")  # n1lint-ignore: select-star -- nothing here\n    cur.execute(\"SELECT id FROM users\")  # n1lint-ignore: no-such-rule\n    cur.execute(\"SELECT * FROM users\")  # n1lint-ignore: select-star\n",
    );
    let (code, v) = json(d.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(
        found(&v),
        vec![
            t("app.py", 2, "unused-suppression"),
            t("app.py", 3, "unused-suppression")
        ]
    );
    let msgs: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert!(msgs[0].contains("select-star"), "{msgs:?}");
    assert!(msgs[1].contains("no-such-rule"), "{msgs:?}");
}

// ---------------------------------------------------------------------------------------
// Determinism

fn determinism_tree(root: &Path) -> usize {
    let mut expected = 0;
    for i in 0..32 {
        let dir = format!("pkg{}/mod{}", i % 5, i % 3);
        let pad = "\n".repeat(i % 4);
        let (name, body) = match i % 5 {
            0 => (
                format!("{dir}/q{i}.py"),
                format!("{pad}def q{i}(cur):\n    cur.execute(\"SELECT * FROM t{i}\")\n    cur.execute(\"SELECT id FROM u\")\n"),
            ),
            1 => (
                format!("{dir}/q{i}.js"),
                format!("{pad}export async function q{i}(db) {{\n  return db.query(`SELECT * FROM t{i}`);\n}}\n"),
            ),
            2 => (
                format!("{dir}/q{i}.ts"),
                format!("{pad}export async function q{i}(db: Db): Promise<Row[]> {{\n  return db.query(\"SELECT * FROM t{i} WHERE a = 1\");\n}}\n"),
            ),
            3 => (
                format!("{dir}/q{i}.rb"),
                format!("{pad}def q{i}(conn)\n  conn.execute(\"SELECT * FROM t{i}\")\n  conn.execute(\"SELECT * FROM v{i}\") # n1lint-ignore: select-star\nend\n"),
            ),
            _ => (
                format!("{dir}/q{i}.py"),
                format!("{pad}def q{i}(cur):\n    x = 1  # n1lint-ignore: select-star\n    cur.execute(\"SELECT * FROM a{i}\")\n    cur.execute(\"SELECT * FROM b{i}\")\n"),
            ),
        };
        // One finding per file; the `rb` kind suppresses its second; the last kind has
        // two and an unused suppression (trailing on `x = 1`, so it covers that line only).
        expected += if i % 5 == 4 { 3 } else { 1 };
        write(root, &name, body);
    }
    expected
}

#[test]
fn json_is_byte_identical_across_jobs_and_runs() {
    let d = project();
    let expected = determinism_tree(d.path());
    let a = run(d.path(), &["--format", "json", "--jobs", "1"]);
    let b = run(d.path(), &["--format", "json", "--jobs", "8"]);
    let c = run(d.path(), &["--format", "json", "--jobs", "8"]);
    assert_eq!(a.code, 1, "{}", a.stderr);
    assert_eq!(a.stdout, b.stdout, "--jobs 1 and --jobs 8 differ");
    assert_eq!(b.stdout, c.stdout, "two runs differ");
    let v: Value = serde_json::from_str(&a.stdout).unwrap();
    assert_eq!(v["files_scanned"], 32);
    let f = found(&v);
    assert_eq!(a.code, if f.is_empty() { 0 } else { 1 });
    assert_eq!(f.len(), expected, "{f:?}");
    assert_eq!(
        f.iter().filter(|x| x.2 == "unused-suppression").count(),
        6,
        "{f:?}"
    );
    let files: BTreeSet<&str> = f.iter().map(|x| x.0.as_str()).collect();
    assert_eq!(files.len(), 32, "every file has a finding");
    let mut sorted = f.clone();
    sorted.sort();
    assert_eq!(f, sorted, "findings sorted by path and line");
    // Same for SARIF, which has no timings either.
    let s1 = run(d.path(), &["--format", "sarif", "--jobs", "1"]);
    let s8 = run(d.path(), &["--format", "sarif", "--jobs", "8"]);
    assert_eq!(s1.stdout, s8.stdout);
}

// ---------------------------------------------------------------------------------------
// Walking

const SQL: &str = "q = \"SELECT * FROM t\"\n";

fn walked_paths(root: &Path, args: &[&str]) -> BTreeSet<String> {
    let (_, v) = json(root, args);
    found(&v).into_iter().map(|x| x.0).collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn gitignore_without_a_git_directory() {
    let d = project();
    write(d.path(), "src/a.py", SQL);
    write(d.path(), "ignored/b.py", SQL);
    write(d.path(), "src/generated_c.py", SQL);
    write(d.path(), ".gitignore", "ignored/\ngenerated_*.py\n");
    assert_eq!(walked_paths(d.path(), &[]), set(&["src/a.py"]));
}

#[test]
fn gitignore_with_a_git_directory() {
    let d = project();
    std::fs::create_dir(d.path().join(".git")).unwrap();
    write(d.path(), "src/a.py", SQL);
    write(d.path(), "ignored/b.py", SQL);
    write(d.path(), ".gitignore", "ignored/\n");
    assert_eq!(walked_paths(d.path(), &[]), set(&["src/a.py"]));
}

#[test]
fn n1lintignore() {
    let d = project();
    write(d.path(), "src/a.py", SQL);
    write(d.path(), "gen/b.py", SQL);
    write(d.path(), "src/c.rb", "x = \"SELECT * FROM t\"\n");
    write(d.path(), ".n1lintignore", "gen/\n*.rb\n");
    assert_eq!(walked_paths(d.path(), &[]), set(&["src/a.py"]));
}

#[test]
fn default_excludes_and_hidden_directories() {
    let d = project();
    write(d.path(), "src/a.py", SQL);
    write(
        d.path(),
        "node_modules/pkg/index.js",
        "db.query(\"SELECT * FROM t\");\n",
    );
    write(
        d.path(),
        "web/node_modules/pkg/index.js",
        "db.query(\"SELECT * FROM t\");\n",
    );
    write(d.path(), ".hidden/b.py", SQL);
    write(d.path(), "src/.cache/c.py", SQL);
    assert_eq!(walked_paths(d.path(), &[]), set(&["src/a.py"]));
    // Named on the command line, a file inside node_modules is checked.
    assert_eq!(
        walked_paths(d.path(), &["node_modules/pkg/index.js"]),
        set(&["node_modules/pkg/index.js"])
    );
    // --no-default-excludes walks node_modules (hidden folders stay skipped).
    assert_eq!(
        walked_paths(d.path(), &["--no-default-excludes"]),
        set(&[
            "node_modules/pkg/index.js",
            "src/a.py",
            "web/node_modules/pkg/index.js"
        ])
    );
}

fn stats_lang_count(stderr: &str, lang: &str) -> Option<u64> {
    stderr.lines().find_map(|l| {
        let mut w = l.split_whitespace();
        if w.next() == Some(lang) {
            w.next()?.parse().ok()
        } else {
            None
        }
    })
}

#[test]
fn stats_counts_languages_and_skipped_files() {
    let d = project();
    write(d.path(), "a.py", GOOD_PY);
    write(d.path(), "b.py", GOOD_PY);
    write(d.path(), "c.js", "const x = 1;\n");
    write(d.path(), "d.rb", "x = 1\n");
    write(d.path(), "big.py", "x = 1\n".repeat(200_000)); // 1.2 MB
    write(d.path(), "latin1.py", b"s = \"caf\xe9\"\n");
    let out = run(d.path(), &["--stats"]);
    assert_eq!(out.code, 0, "skipped files are not errors: {}", out.stderr);
    assert_eq!(
        stats_lang_count(&out.stderr, "python"),
        Some(2),
        "{}",
        out.stderr
    );
    assert_eq!(
        stats_lang_count(&out.stderr, "javascript"),
        Some(1),
        "{}",
        out.stderr
    );
    assert_eq!(
        stats_lang_count(&out.stderr, "ruby"),
        Some(1),
        "{}",
        out.stderr
    );
    assert_eq!(
        stats_lang_count(&out.stderr, "typescript"),
        None,
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("files scanned: 4"), "{}", out.stderr);
    assert!(out.stderr.contains("files skipped: 2"), "{}", out.stderr);
    let big = out
        .stderr
        .lines()
        .find(|l| l.contains("big.py"))
        .expect("big.py listed");
    assert!(big.contains("larger than"), "{big}");
    let bad = out
        .stderr
        .lines()
        .find(|l| l.contains("latin1.py"))
        .expect("latin1.py listed");
    assert!(bad.contains("UTF-8"), "{bad}");

    // With a finding the exit code is 1, not 2.
    write(d.path(), "e.py", BAD_PY);
    let out = run(d.path(), &["--stats"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(
        stats_lang_count(&out.stderr, "python"),
        Some(3),
        "{}",
        out.stderr
    );

    // The JSON report lists the skipped files with a reason.
    let (_, v) = json(d.path(), &[]);
    let skipped: Vec<&str> = v["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["path"].as_str().unwrap())
        .collect();
    assert_eq!(skipped, vec!["big.py", "latin1.py"]);
}

// ---------------------------------------------------------------------------------------
// Subcommands

#[test]
fn rules_lists_the_rules() {
    let d = project();
    let out = run(d.path(), &["rules"]);
    assert_eq!(out.code, 0);
    let ids: Vec<&str> = out
        .stdout
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(ids.contains(&"select-star"), "{}", out.stdout);
    assert!(ids.contains(&"unused-suppression"), "{}", out.stdout);
}

/// The bodies of the fenced code blocks of a markdown text.
fn code_blocks(md: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur: Option<String> = None;
    for line in md.lines() {
        if line.trim_start().starts_with("```") {
            match cur.take() {
                Some(b) => out.push(b),
                None => cur = Some(String::new()),
            }
        } else if let Some(b) = cur.as_mut() {
            b.push_str(line);
            b.push('\n');
        }
    }
    assert!(cur.is_none(), "unclosed code block in:\n{md}");
    out
}

#[test]
fn explain_prints_markdown_with_examples() {
    let d = project();
    let out = run(d.path(), &["explain", "select-star"]);
    assert_eq!(out.code, 0);
    assert!(out.stdout.starts_with("# select-star"), "{}", out.stdout);
    let blocks = code_blocks(&out.stdout);
    assert!(
        blocks.iter().any(|b| b.contains("SELECT *")),
        "a bad example: {blocks:?}"
    );
    assert!(
        blocks
            .iter()
            .any(|b| b.contains("SELECT") && !b.contains('*')),
        "a good example: {blocks:?}"
    );

    let out = run(d.path(), &["explain", "nope"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("nope"), "{}", out.stderr);
    assert!(out.stdout.is_empty());
}

// ---------------------------------------------------------------------------------------
// Columns

#[test]
fn columns_count_code_points() {
    let d = project();
    // `é` is 2 bytes, `日本` 6 bytes, `😀` 4 bytes and 2 UTF-16 units: the `*` is at
    // code point 34, 34 and 31.
    write(
        d.path(),
        "u.py",
        "def f(cur):\n    q = \"é\"; cur.execute(\"SELECT * FROM t\")\n",
    );
    write(
        d.path(),
        "u.js",
        "const q = \"日本\"; db.query(`SELECT * FROM t`);\n",
    );
    write(
        d.path(),
        "u.rb",
        "q = \"😀\"; conn.execute(\"SELECT * FROM t\")\n",
    );
    let (_, v) = json(d.path(), &["--select", "select-star"]);
    let cols: Vec<(String, u64, u64, u64)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["start"]["line"].as_u64().unwrap(),
                f["start"]["column"].as_u64().unwrap(),
                f["end"]["column"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        cols,
        vec![
            ("u.js".to_string(), 1, 34, 35),
            ("u.py".to_string(), 2, 34, 35),
            ("u.rb".to_string(), 1, 31, 32),
        ]
    );
    // SARIF declares code points and uses the same numbers.
    let s: Value = serde_json::from_str(
        &run(d.path(), &["--format", "sarif", "--select", "select-star"]).stdout,
    )
    .unwrap();
    assert_eq!(s["runs"][0]["columnKind"], "unicodeCodePoints");
    let starts: Vec<u64> = s["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["region"]["startColumn"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(starts, vec![34, 34, 31]);
}

#[test]
fn byte_order_mark_does_not_shift_columns() {
    let d = project();
    write(d.path(), "bom.py", format!("\u{feff}{BAD_PY}"));
    let (_, v) = json(d.path(), &["--select", "select-star"]);
    assert_eq!(v["findings"][0]["start"]["line"], 2);
    assert_eq!(v["findings"][0]["start"]["column"], 25);
    // The text report still underlines the `*`.
    let out = run(d.path(), &[]);
    assert!(
        out.stdout.contains("bom.py:2:25 select-star"),
        "{}",
        out.stdout
    );
}

/// A model instance saved in a loop over a parameter (not the rows of a query): reported
/// only with `[write-in-loop] all-instance-writes = true`.
const INSTANCE_WRITE_PY: &str = "from django.db import models\n\n\nclass Fee(models.Model):\n    amount = models.IntegerField()\n\n\ndef add_fees(amounts):\n    for amount in amounts:\n        fee = Fee(amount=amount)\n        fee.save()\n";

#[test]
fn all_instance_writes_reports_writes_outside_query_loops() {
    let d = project();
    write(d.path(), "app.py", INSTANCE_WRITE_PY);
    let saves = |v: &Value| {
        v["findings"]
            .as_array()
            .expect("findings is an array")
            .iter()
            .filter(|f| f["rule"] == "write-in-loop" && f["start"]["line"] == 11)
            .count()
    };
    let (_, v) = json(d.path(), &["--select", "write-in-loop", "--no-cache"]);
    assert_eq!(saves(&v), 0, "{v}");
    write(
        d.path(),
        "n1lint.toml",
        "[write-in-loop]\nall-instance-writes = true\n",
    );
    let (_, v) = json(d.path(), &["--select", "write-in-loop", "--no-cache"]);
    assert_eq!(saves(&v), 1, "{v}");
}

/// `--fix` rewrites the log messages it can, leaves the rest reported, and a second run
/// finds nothing more to fix; `sequential-await`'s rewrite is not applied.
#[test]
fn fix_rewrites_log_messages_and_reports_the_rest() {
    let dir = project();
    let views = "import logging\nfrom django.http import JsonResponse\n\nlogger = logging.getLogger(__name__)\n\n\ndef show(request, job):\n    logger.debug(f\"job {job.id} took {job.secs:.1f}s\")\n    logger.debug(\"job %s\" % job.id)\n    return JsonResponse({})\n";
    write(dir.path(), "shop/views.py", views);
    let awaits = "export async function load(db) {\n  const a = await db.user.findMany();\n  const b = await db.post.findMany();\n  return [a, b];\n}\n";
    write(dir.path(), "api/load.js", awaits);
    let before = run(dir.path(), &["--no-cache", "--format", "json", "."]);
    let rules = |o: &Out| -> Vec<String> {
        let v: Value = serde_json::from_str(&o.stdout).expect("JSON report");
        let mut r: Vec<String> = v["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| {
                format!(
                    "{}:{}",
                    f["rule"].as_str().unwrap_or(""),
                    f["start"]["line"]
                )
            })
            .collect();
        r.sort();
        r
    };
    assert_eq!(
        rules(&before),
        ["sequential-await:2", "sync-logging:8", "sync-logging:9"],
        "{}",
        before.stdout
    );
    // The JSON report carries each fix, and whether `--fix` applies it.
    let v: Value = serde_json::from_str(&before.stdout).expect("JSON report");
    let applied: BTreeSet<(String, bool)> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| !f["fix"].is_null())
        .map(|f| {
            (
                format!(
                    "{}:{}",
                    f["rule"].as_str().unwrap_or(""),
                    f["start"]["line"]
                ),
                f["fix"]["applied_by_fix_flag"] == true,
            )
        })
        .collect();
    assert_eq!(
        applied,
        BTreeSet::from([
            ("sequential-await:2".to_string(), false),
            ("sync-logging:8".to_string(), true)
        ])
    );
    // The summary counts what `--fix` would change (not the await rewrite).
    let text = run(dir.path(), &["--no-cache", "."]);
    assert!(
        text.stdout.contains("; 1 fixable with `--fix`)"),
        "{}",
        text.stdout
    );
    let fixed = run(
        dir.path(),
        &["--no-cache", "--fix", "--format", "json", "."],
    );
    assert_eq!(fixed.code, 1, "findings are left: {}", fixed.stderr);
    assert!(
        fixed.stderr.contains("fixed 1 finding in 1 file"),
        "{}",
        fixed.stderr
    );
    assert_eq!(rules(&fixed), ["sequential-await:2", "sync-logging:9"]);
    let now = std::fs::read_to_string(dir.path().join("shop/views.py")).expect("views.py");
    assert_eq!(
        now,
        views.replace(
            "f\"job {job.id} took {job.secs:.1f}s\"",
            "\"job %s took %.1fs\", job.id, job.secs"
        )
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("api/load.js")).expect("load.js"),
        awaits
    );
    let again = run(
        dir.path(),
        &["--no-cache", "--fix", "--format", "json", "."],
    );
    assert!(
        again.stderr.contains("fixed 0 findings in 0 files"),
        "{}",
        again.stderr
    );
    assert_eq!(rules(&again), ["sequential-await:2", "sync-logging:9"]);
}

#[test]
fn fix_removes_suppressions_that_suppress_nothing() {
    let dir = project();
    // Line 2 is a real `SELECT *`, kept quiet by the comment above it.
    let src = "def load(cur):\n    # n1lint-ignore: select-star -- legacy report\n    cur.execute(\"SELECT * FROM users\")\n\n\ndef other(x):\n    # n1lint-ignore: n-plus-one -- old loop\n    y = x + 1  # n1lint-ignore: select-star, sync-io\n    z = y  # n1lint-ignore: sync-io, select-stars\n    w = z  # see ticket 12 n1lint-ignore: sync-io\n    return w\n";
    write(dir.path(), "app/jobs.py", src);
    let crlf = "function g(a) {\r\n  // n1lint-ignore: sync-io\r\n  return a; /* n1lint-ignore: select-star */\r\n}\r\n";
    write(dir.path(), "app/g.js", crlf);
    // A file that does not parse: a suppression may only look unused there, so it stays.
    let broken = "def broken(\n    x = 1  # n1lint-ignore: sync-io\nclass (:\n";
    write(dir.path(), "app/broken.py", broken);
    let fixed = run(
        dir.path(),
        &["--no-cache", "--fix", "--format", "json", "."],
    );
    assert_eq!(fixed.code, 1, "findings are left: {}", fixed.stderr);
    assert!(
        fixed.stderr.contains("fixed 6 findings in 2 files"),
        "{}",
        fixed.stderr
    );
    let now = std::fs::read_to_string(dir.path().join("app/jobs.py")).expect("jobs.py");
    assert_eq!(
        now,
        "def load(cur):\n    # n1lint-ignore: select-star -- legacy report\n    cur.execute(\"SELECT * FROM users\")\n\n\ndef other(x):\n    y = x + 1\n    z = y  # n1lint-ignore: select-stars\n    w = z  # see ticket 12 n1lint-ignore: sync-io\n    return w\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("app/g.js")).expect("g.js"),
        "function g(a) {\r\n  return a;\r\n}\r\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("app/broken.py")).expect("broken.py"),
        broken
    );
    // What is left is reported where it is now: the unknown rule id (for the user to
    // correct), the comment with other text in it, and the unparsed file's suppression.
    let v: Value = serde_json::from_str(&fixed.stdout).expect("JSON report");
    let left: Vec<String> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            format!(
                "{}:{}:{}",
                f["path"].as_str().unwrap_or(""),
                f["start"]["line"],
                f["message"].as_str().unwrap_or("")
            )
        })
        .collect();
    assert_eq!(
        left,
        [
            "app/broken.py:2:suppression of `sync-io` suppresses nothing",
            "app/jobs.py:8:suppression names an unknown rule `select-stars`",
            "app/jobs.py:9:suppression of `sync-io` suppresses nothing",
        ],
        "{}",
        fixed.stdout
    );
}
