//! Hostile input: whatever a repository holds (binary junk, broken encodings, half-written
//! files, generated monsters, odd paths), a run ends with findings or a note per file, a
//! documented exit code, and a report that parses. Inputs are generated here, in temporary
//! directories; nothing large is committed.
//!
//! `tests/regressions/` holds inputs found by fuzzing (see `fuzz/`): each is replayed
//! through the binary.

mod common;
use common::{write, Out};

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

/// Longer than any run here should take; a run killed at this limit is a hang.
const HANG: Duration = Duration::from_secs(120);

fn project() -> TempDir {
    common::project("n1lint-hostile-")
}

fn run_env(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Out {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_n1lint"));
    cmd.current_dir(cwd)
        .env_remove("N1LINT_TEST_PANIC")
        .env_remove("N1LINT_TEST_TIME_BUDGET_MS")
        .args(args)
        .timeout(HANG);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run n1lint");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    Out {
        code: out.status.code().unwrap_or_else(|| {
            panic!("n1lint was killed (a hang past {HANG:?}, or a crash): {stderr}")
        }),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr,
    }
}

fn run(cwd: &Path, args: &[&str]) -> Out {
    run_env(cwd, args, &[])
}

fn parse(out: &Out) -> Value {
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "the report is not JSON ({e}):\n{}\nstderr: {}",
            out.stdout, out.stderr
        )
    })
}

/// Runs with `--format json` and `--format sarif`, checks both parse and agree on what was
/// skipped, and returns the exit code, the JSON report and stderr (of the JSON run).
fn reports(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, Value, String) {
    let mut a = vec!["--format", "json"];
    a.extend_from_slice(args);
    let out = run_env(cwd, &a, env);
    let json = parse(&out);
    let mut a = vec!["--format", "sarif"];
    a.extend_from_slice(args);
    let sarif_out = run_env(cwd, &a, env);
    assert_eq!(sarif_out.code, out.code, "{}", sarif_out.stderr);
    let sarif = parse(&sarif_out);
    let run = &sarif["runs"][0];
    assert_eq!(
        run["results"].as_array().map(Vec::len),
        json["findings"].as_array().map(Vec::len),
        "SARIF and JSON report the same findings"
    );
    let notes = run["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .expect("SARIF notifications");
    let skipped = json["skipped"].as_array().expect("skipped is an array");
    let errors = json["errors"].as_array().expect("errors is an array");
    assert_eq!(notes.len(), skipped.len() + errors.len(), "{notes:#?}");
    assert_eq!(
        run["invocations"][0]["executionSuccessful"],
        Value::Bool(errors.is_empty())
    );
    (out.code, json, out.stderr)
}

/// path → reason of every skipped file.
fn skipped(v: &Value) -> BTreeMap<String, String> {
    v["skipped"]
        .as_array()
        .expect("skipped is an array")
        .iter()
        .map(|s| {
            (
                s["path"].as_str().expect("path").to_string(),
                s["reason"].as_str().expect("reason").to_string(),
            )
        })
        .collect()
}

/// (path, line, column) of every finding of `rule`.
fn findings(v: &Value, rule: &str) -> Vec<(String, u64, u64)> {
    v["findings"]
        .as_array()
        .expect("findings is an array")
        .iter()
        .filter(|f| f["rule"] == rule)
        .map(|f| {
            (
                f["path"].as_str().expect("path").to_string(),
                f["start"]["line"].as_u64().expect("line"),
                f["start"]["column"].as_u64().expect("column"),
            )
        })
        .collect()
}

fn files_scanned(v: &Value) -> usize {
    v["files_scanned"].as_u64().expect("files_scanned") as usize
}

fn nested(open: &str, middle: &str, close: &str, n: usize) -> String {
    let mut s = String::with_capacity(n * (open.len() + close.len()) + middle.len());
    for _ in 0..n {
        s.push_str(open);
    }
    s.push_str(middle);
    for _ in 0..n {
        s.push_str(close);
    }
    s
}

const SELECT_PY: &str = "def load(cur):\n    cur.execute(\"SELECT * FROM users\")\n";

#[test]
fn any_content_gives_findings_or_a_note() {
    let d = project();
    let root = d.path();
    let mut files: Vec<(&str, Vec<u8>)> = vec![
        ("encoding/latin1.py", b"x = '\xe9t\xe9'\n".to_vec()),
        (
            "encoding/bom.py",
            [b"\xEF\xBB\xBF".as_slice(), SELECT_PY.as_bytes()].concat(),
        ),
        ("encoding/bom_only.js", b"\xEF\xBB\xBF".to_vec()),
        ("encoding/nul.py", b"x = 1\0\n".to_vec()),
        (
            "encoding/junk.rb",
            (0..=255u8).cycle().take(10_000).collect(),
        ),
        (
            "lines/crlf.py",
            SELECT_PY.replace('\n', "\r\n").into_bytes(),
        ),
        ("lines/cr.py", SELECT_PY.replace('\n', "\r").into_bytes()),
        (
            "lines/tabs.py",
            SELECT_PY.replace("    ", "\t").into_bytes(),
        ),
        (
            "lines/mixed.js",
            b"// a\r\n// b\rconst q = db.query(\"SELECT * FROM t\");\n".to_vec(),
        ),
        (
            "lines/long_line.js",
            format!(
                "const q = 'SELECT * FROM t'; {}\n",
                "x = 1; ".repeat(30_000)
            )
            .into_bytes(),
        ),
        ("empty/empty.py", Vec::new()),
        ("empty/empty.ts", Vec::new()),
        ("empty/blank.rb", b"\n\n   \n\t\n".to_vec()),
        ("broken/string.py", b"x = \"SELECT * FROM t\n".to_vec()),
        ("broken/string.rb", b"x = 'SELECT * FROM t\n".to_vec()),
        (
            "broken/template.js",
            b"const q = `SELECT * FROM ${t\n".to_vec(),
        ),
        (
            "broken/comment.js",
            b"/* SELECT * FROM t\nconst x = 1;\n".to_vec(),
        ),
        (
            "broken/heredoc.rb",
            b"sql = <<~SQL\n  SELECT * FROM t\n".to_vec(),
        ),
        // A comment line naming the `<<` operator with a long quoted word after it: not a
        // heredoc (the scanner reads none in a comment), so the file is analysed.
        (
            "broken/comment_heredoc.rb",
            format!(
                "  # appends with `<<'{}\n  c.execute(\"SELECT * FROM t\")\n",
                "w".repeat(300)
            )
            .into_bytes(),
        ),
        (
            "broken/docstring.py",
            b"def f():\n    \"\"\"never closed\n".to_vec(),
        ),
        // The string sits inside an ERROR node: nothing is reported from it.
        (
            "broken/in_error.py",
            b"def f(c):\n    c.execute(\"SELECT * FROM t\") )))\n".to_vec(),
        ),
        // The error is elsewhere: the finding stands.
        (
            "broken/error_after.rb",
            b"def f(c)\n  c.execute(\"SELECT * FROM t\") }}}\nend\n".to_vec(),
        ),
        (
            "broken/half.tsx",
            b"export function A() { return <div className=\"x\">{items.map(i =>".to_vec(),
        ),
        (
            "deep/parens.py",
            nested("(\n", "1", "\n)", 100_000).into_bytes(),
        ),
        (
            "deep/calls.js",
            nested("f(\n", "", "\n)", 100_000).into_bytes(),
        ),
        (
            "deep/blocks.ts",
            nested("{\n", "", "\n}", 100_000).into_bytes(),
        ),
        (
            "deep/arrays.rb",
            nested("[\n", "", "\n]", 100_000).into_bytes(),
        ),
        ("deep/unclosed.py", "[\n".repeat(100_000).into_bytes()),
        ("broken/defs.rb", "def (\n".repeat(60_000).into_bytes()),
        (
            "deep/chain.rb",
            format!("{}b\n", "a.\n".repeat(100_000)).into_bytes(),
        ),
        (
            "deep/ifs.js",
            format!(
                "{}db.query('SELECT * FROM t');{}",
                "if (x) {\n".repeat(20_000),
                "}\n".repeat(20_000)
            )
            .into_bytes(),
        ),
    ];
    // A file of every byte value in every position, in each language.
    for (i, ext) in ["py", "js", "ts", "tsx", "rb"].iter().enumerate() {
        let junk: Vec<u8> = (0..50_000u32)
            .map(|k| (k.wrapping_mul(2_654_435_761).wrapping_add(i as u32) >> 13) as u8)
            .filter(|b| *b != 0)
            .collect();
        files.push((
            Box::leak(format!("junk/bytes.{ext}").into_boxed_str()),
            junk,
        ));
    }
    // Valid UTF-8 garbage: code points of every width, line and paragraph separators, a BOM
    // in the middle, bidi controls, brackets and quotes, in each language.
    let alphabet: Vec<char> = "(){}[]<>'\"`#/*\\\r\n\t ;:.,=+-|&!?$@%^~é中😀\u{2028}\u{2029}\u{feff}\u{202e}\u{200b}\u{7f}\u{1}"
        .chars()
        .collect();
    for (i, ext) in ["py", "js", "ts", "tsx", "rb"].iter().enumerate() {
        let text: String = (0..20_000u32)
            .map(|k| {
                let h = k.wrapping_mul(2_246_822_519).wrapping_add(i as u32 * 7919) >> 11;
                alphabet[h as usize % alphabet.len()]
            })
            .collect();
        files.push((
            Box::leak(format!("junk/text.{ext}").into_boxed_str()),
            text.into_bytes(),
        ));
    }
    for (rel, content) in &files {
        write(root, rel, content);
    }

    let start = Instant::now();
    let (code, v, stderr) = reports(root, &["--stats"], &[]);
    assert_eq!(code, 1, "findings exist: {stderr}");
    assert!(
        !stderr.contains("internal error"),
        "no internal errors: {stderr}"
    );
    assert!(v["errors"].as_array().is_some_and(Vec::is_empty));
    let skipped = skipped(&v);
    assert_eq!(
        files_scanned(&v) + skipped.len(),
        files.len(),
        "every file is scanned or named as skipped: {skipped:#?}"
    );
    let reason = |p: &str| skipped.get(p).map(String::as_str).unwrap_or("(scanned)");
    assert_eq!(reason("encoding/latin1.py"), "not valid UTF-8");
    assert_eq!(reason("encoding/nul.py"), "binary (contains NUL bytes)");
    assert_eq!(reason("lines/long_line.js"), "minified");
    for p in [
        "deep/parens.py",
        "deep/calls.js",
        "deep/blocks.ts",
        "deep/arrays.rb",
        "deep/chain.rb",
        "deep/ifs.js",
    ] {
        assert!(
            reason(p).starts_with("nested more than 1000 levels deep"),
            "{p}: {}",
            reason(p)
        );
    }
    for p in ["deep/unclosed.py", "broken/defs.rb"] {
        assert!(
            reason(p).starts_with("a syntax error of more than 10000 tokens"),
            "{p}: {}",
            reason(p)
        );
    }
    for p in [
        "encoding/bom.py",
        "encoding/bom_only.js",
        "empty/empty.py",
        "empty/empty.ts",
        "lines/cr.py",
        "broken/string.py",
        "broken/in_error.py",
    ] {
        assert_eq!(reason(p), "(scanned)", "{p}");
    }
    // Positions: after a BOM, with CRLF, lone CR and tabs the wildcard is on line 2.
    let stars = findings(&v, "select-star");
    for (p, col) in [
        ("encoding/bom.py", 25),
        ("lines/crlf.py", 25),
        ("lines/cr.py", 25),
        ("lines/tabs.py", 22),
        ("broken/error_after.rb", 21),
        ("broken/comment_heredoc.rb", 21),
    ] {
        assert!(
            stars.contains(&(p.to_string(), 2, col)),
            "{p}:2:{col} in {stars:?}"
        );
    }
    assert!(
        stars
            .iter()
            .any(|(p, l, _)| p == "lines/mixed.js" && *l == 3),
        "lone CR and CRLF both end a line: {stars:?}"
    );
    assert!(
        !stars.iter().any(|(p, _, _)| p == "broken/in_error.py"),
        "nothing is reported from inside an ERROR node: {stars:?}"
    );
    // `--stats` counts the files with syntax errors and lists the skipped ones.
    let parse_errors: usize = stderr
        .lines()
        .find_map(|l| l.trim().strip_prefix("files with parse errors: "))
        .and_then(|n| n.parse().ok())
        .expect("--stats counts files with parse errors");
    assert!(parse_errors >= 8, "{stderr}");
    assert!(
        stderr.contains("skipped deep/parens.py: nested more than"),
        "{stderr}"
    );
    // Deep nesting is refused at once, not after a time limit.
    assert!(
        start.elapsed() < Duration::from_secs(60),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn a_fifty_megabyte_file_is_skipped_by_size() {
    let d = project();
    write(d.path(), "ok.py", SELECT_PY);
    let big = std::fs::File::create(d.path().join("bundle.js")).expect("create");
    big.set_len(50 * 1024 * 1024)
        .expect("a 50 MB (sparse) file");
    let (code, v, stderr) = reports(d.path(), &[], &[]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        skipped(&v).get("bundle.js").map(String::as_str),
        Some("larger than 1048576 bytes")
    );
    assert_eq!(files_scanned(&v), 1);
}

/// A large file under a raised `max-file-size` finishes within its time budget: analysed,
/// or skipped with the reason.
#[test]
fn a_large_allowed_file_does_not_hang() {
    let d = project();
    write(d.path(), "n1lint.toml", "max-file-size = 67108864\n");
    let unit = "def load_%(cur, ids):\n    for i in ids:\n        cur.execute(\"SELECT * FROM t WHERE id = %s\", [i])\n    return [r for r in cur.fetchall() if r]\n\n\n";
    let mut big = String::new();
    let mut i = 0;
    while big.len() < 24 * 1024 * 1024 {
        big.push_str(&unit.replace('%', &i.to_string()));
        i += 1;
    }
    write(d.path(), "generated.py", &big);
    drop(big);
    write(d.path(), "ok.py", SELECT_PY);
    let start = Instant::now();
    let out = run(d.path(), &["--format", "json", "--stats"]);
    let v = parse(&out);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        findings(&v, "select-star").iter().any(|f| f.0 == "ok.py"),
        "{}",
        out.stderr
    );
    match skipped(&v).get("generated.py") {
        None => assert_eq!(files_scanned(&v), 2),
        Some(why) => {
            assert!(
                why.contains("took too long") || why.starts_with("more than"),
                "{why}"
            );
            assert!(
                out.stderr.contains("skipped generated.py"),
                "{}",
                out.stderr
            );
        }
    }
    // Parse and analysis each have 10 s; reading, reporting and the rules the rest.
    assert!(
        start.elapsed() < Duration::from_secs(90),
        "{:?}",
        start.elapsed()
    );
}

/// Rules compare a file's facts with each other: a generated file with more than 50,000
/// is skipped with the reason, at once.
#[test]
fn a_file_with_too_many_facts_is_skipped_with_the_reason() {
    let d = project();
    write(d.path(), "n1lint.toml", "max-file-size = 67108864\n");
    let mut src = String::new();
    for i in 0..17_000 {
        src.push_str(&format!("def f{i}(c):\n    return c.q(c.r(1))\n"));
    }
    write(d.path(), "generated.py", src);
    write(d.path(), "ok.py", SELECT_PY);
    let (code, v, stderr) = reports(d.path(), &[], &[]);
    assert_eq!(code, 1, "{stderr}");
    let why = skipped(&v).get("generated.py").cloned().unwrap_or_default();
    assert!(why.starts_with("more than 50000 calls, functions"), "{why}");
    assert!(
        stderr.contains("generated.py not analysed: more than 50000"),
        "{stderr}"
    );
}

/// A file over its time budget is skipped with the reason, named on stderr, and the run
/// goes on (the budget is made tiny through a test-only variable).
#[test]
fn a_file_over_its_time_budget_is_skipped_with_the_reason() {
    let d = project();
    let unit = "def f(cur):\n    for x in xs:\n        cur.execute(\"SELECT * FROM t\")\n";
    write(d.path(), "slow.py", unit.repeat(4_000));
    let (code, v, stderr) = reports(d.path(), &[], &[("N1LINT_TEST_TIME_BUDGET_MS", "0")]);
    assert_eq!(code, 0, "nothing analysed, nothing found: {stderr}");
    let why = skipped(&v).get("slow.py").cloned().unwrap_or_default();
    assert!(
        why.contains("took too long: more than 0.0 s of CPU"),
        "{why}"
    );
    assert!(
        stderr.contains("slow.py not analysed") && stderr.contains("took too long"),
        "{stderr}"
    );
}

#[test]
fn a_panic_in_a_rule_names_the_file_and_rule_and_the_run_goes_on() {
    let d = project();
    write(d.path(), "app/boom.py", SELECT_PY);
    write(d.path(), "app/fine.py", SELECT_PY);
    let env = [("N1LINT_TEST_PANIC", "boom")];
    let (code, v, stderr) = reports(d.path(), &["--select", "select-star"], &env);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("internal error: app/boom.py: rule select-star panicked"),
        "{stderr}"
    );
    let stars = findings(&v, "select-star");
    assert_eq!(stars, vec![("app/fine.py".to_string(), 2, 25)]);
    let errors = v["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0]
        .as_str()
        .is_some_and(|e| e.contains("app/boom.py")));
    // `--quiet` and `--exit-zero` do not hide an internal error.
    let out = run_env(d.path(), &["-q", "--exit-zero"], &env);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("app/boom.py"), "{}", out.stderr);
}

#[test]
fn a_panic_in_the_extractor_names_the_file_and_the_run_goes_on() {
    let d = project();
    write(d.path(), "boom.rb", "x = 1\n");
    write(d.path(), "fine.py", SELECT_PY);
    let env = [("N1LINT_TEST_PANIC", "extract:boom")];
    let (code, v, stderr) = reports(d.path(), &[], &env);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("internal error: boom.rb: the ruby extractor panicked"),
        "{stderr}"
    );
    assert_eq!(findings(&v, "select-star").len(), 1);
    assert!(skipped(&v)
        .get("boom.rb")
        .is_some_and(|w| w.starts_with("internal error")));
}

#[test]
fn reports_are_written_whole_or_not_at_all() {
    let d = project();
    write(d.path(), "app.py", SELECT_PY);
    write(d.path(), "junk.py", b"\xff\xfe\x00\x01");
    let report = d.path().join("report.json");
    std::fs::write(&report, "old content that must go entirely").expect("write");
    let out = run(d.path(), &["--format", "json", "-o", "report.json"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stdout.is_empty());
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&report).expect("read"))
        .expect("the report is JSON");
    assert_eq!(skipped(&v).len(), 1);
    // An output path that cannot be written: exit 2, nothing left behind.
    let out = run(
        d.path(),
        &["--format", "sarif", "-o", "no-such-dir/r.sarif"],
    );
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("no-such-dir/r.sarif"), "{}", out.stderr);
    let leftovers: Vec<_> = std::fs::read_dir(d.path())
        .expect("list")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // With an internal error the report is still whole and says so.
    let out = run_env(
        d.path(),
        &["--format", "sarif", "-o", "r.sarif"],
        &[("N1LINT_TEST_PANIC", "app")],
    );
    assert_eq!(out.code, 2);
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(d.path().join("r.sarif")).expect("read"))
            .expect("the SARIF report is JSON");
    assert_eq!(
        v["runs"][0]["invocations"][0]["executionSuccessful"],
        Value::Bool(false)
    );
}

#[cfg(unix)]
#[test]
fn odd_paths_get_a_note_each() {
    use std::os::unix::fs::symlink;
    let d = project();
    let root = d.path();
    write(root, "src/app.py", SELECT_PY);
    symlink(".", root.join("src/loop")).expect("symlink");
    symlink("app.py", root.join("src/alias.py")).expect("symlink");
    symlink("missing.py", root.join("src/broken.py")).expect("symlink");
    symlink("self.py", root.join("src/self.py")).expect("symlink");
    let fifo = root.join("src/pipe.py");
    let made_fifo = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());
    let (code, v, stderr) = reports(root, &["src"], &[]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(files_scanned(&v), 1);
    let s = skipped(&v);
    for p in ["src/alias.py", "src/broken.py", "src/self.py"] {
        assert_eq!(
            s.get(p).map(String::as_str),
            Some("symbolic link (not followed)"),
            "{p}: {s:?}"
        );
    }
    if made_fifo {
        assert_eq!(
            s.get("src/pipe.py").map(String::as_str),
            Some("not a regular file")
        );
        // Named on the command line, a FIFO is not opened (that would block).
        let (code, v, _) = reports(root, &["src/pipe.py", "src/app.py"], &[]);
        assert_eq!(code, 1);
        assert_eq!(
            skipped(&v).get("src/pipe.py").map(String::as_str),
            Some("not a regular file")
        );
    }
    // A symlink loop named on the command line cannot be read: exit 2, named.
    let out = run(root, &["src/self.py"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("src/self.py"), "{}", out.stderr);
}

#[cfg(target_os = "linux")]
#[test]
fn a_path_that_is_not_utf8_gets_a_note() {
    use std::os::unix::ffi::OsStrExt;
    let d = project();
    write(d.path(), "ok.py", SELECT_PY);
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9.py");
    std::fs::write(d.path().join(name), SELECT_PY).expect("a file with a Latin-1 name");
    let (code, v, stderr) = reports(d.path(), &[], &[]);
    assert_eq!(code, 1);
    assert_eq!(files_scanned(&v), 1);
    let s = skipped(&v);
    assert_eq!(s.len(), 1, "{s:?}");
    assert!(s.values().all(|w| w == "path is not valid UTF-8"), "{s:?}");
    assert!(
        stderr.contains("not analysed: path is not valid UTF-8"),
        "{stderr}"
    );
}

/// File names with characters that mean something in a report format (a line break, `|`,
/// a backtick, `%`, `:`, `,`, quotes) keep every format whole: one finding per GitHub
/// command line and per Markdown list item, JSON and SARIF that parse.
#[cfg(unix)]
#[test]
fn odd_file_names_keep_every_format_whole() {
    let d = project();
    let name = "a|b\nc`d%e:f,g\"h'i\\j.py";
    write(d.path(), name, SELECT_PY);
    write(d.path(), "ok.py", SELECT_PY);
    let (code, v, stderr) = reports(d.path(), &[], &[]);
    assert_eq!(code, 1, "{stderr}");
    let paths: Vec<String> = findings(&v, "select-star")
        .into_iter()
        .map(|f| f.0)
        .collect();
    assert!(paths.contains(&name.to_string()), "{paths:?}");
    let github = run(d.path(), &["-q", "--format", "github"]);
    assert_eq!(github.code, 1);
    let commands: Vec<&str> = github.stdout.lines().collect();
    assert_eq!(commands.len(), 2, "{}", github.stdout);
    assert!(commands.iter().all(|l| l.starts_with("::warning file=")));
    let markdown = run(d.path(), &["-q", "--format", "markdown"]);
    assert_eq!(markdown.code, 1);
    let items = markdown
        .stdout
        .lines()
        .filter(|l| l.starts_with("- `"))
        .count();
    assert_eq!(items, 2, "{}", markdown.stdout);
    assert!(!markdown.stdout.contains("a|b\n"), "{}", markdown.stdout);
    // The text report finds the file again to show its code.
    let text = run(d.path(), &["-q"]);
    assert!(text.stdout.contains("i\\j.py"), "{}", text.stdout);
    assert_eq!(
        text.stdout.matches("SELECT * FROM users").count(),
        2,
        "{}",
        text.stdout
    );
}

/// Unreadable files and directories. Root reads any file whatever its mode, so where
/// `chmod 000` does not stop this process that part is skipped; a read error is still
/// provoked through `/proc/self/mem`, which fails to read at offset 0 for everyone.
#[cfg(target_os = "linux")]
#[test]
fn unreadable_files_and_directories_get_a_note() {
    use std::os::unix::fs::PermissionsExt;
    let d = project();
    let root = d.path();
    write(root, "ok.py", SELECT_PY);
    let locked = write(root, "locked.py", SELECT_PY);
    write(root, "closed/inner.py", SELECT_PY);
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    std::fs::set_permissions(root.join("closed"), std::fs::Permissions::from_mode(0o000))
        .expect("chmod");
    let root_reads_anything = std::fs::read(&locked).is_ok();
    let (code, v, stderr) = reports(root, &[], &[]);
    std::fs::set_permissions(root.join("closed"), std::fs::Permissions::from_mode(0o755))
        .expect("chmod back");
    assert_eq!(code, 1, "{stderr}");
    if root_reads_anything {
        eprintln!("running as root: permission bits do not stop reads; that part is skipped");
        assert_eq!(files_scanned(&v), 3);
    } else {
        let s = skipped(&v);
        assert!(
            s.get("locked.py")
                .is_some_and(|w| w.contains("cannot read")),
            "{s:?}"
        );
        assert!(s.keys().any(|p| p.starts_with("closed")), "{s:?}");
        assert!(stderr.contains("locked.py"), "{stderr}");
    }
    if Path::new("/proc/self/mem").exists() {
        std::os::unix::fs::symlink("/proc/self/mem", root.join("mem.py")).expect("symlink");
        let (code, v, stderr) = reports(root, &["mem.py", "ok.py"], &[]);
        assert_eq!(code, 1, "{stderr}");
        let why = skipped(&v).get("mem.py").cloned().unwrap_or_default();
        assert!(why.starts_with("cannot read: "), "{why}");
        assert!(
            stderr.contains("mem.py not analysed: cannot read"),
            "{stderr}"
        );
    }
}

/// Files removed while the run walks and reads them: a note or nothing, never a crash.
#[test]
fn files_deleted_during_the_run() {
    let d = project();
    let n = 400;
    for i in 0..n {
        write(d.path(), &format!("m{i:03}/f.py"), SELECT_PY.repeat(20));
    }
    let dir = d.path().to_path_buf();
    let deleter = std::thread::spawn(move || {
        for i in (0..n).rev() {
            let _ = std::fs::remove_dir_all(dir.join(format!("m{i:03}")));
        }
    });
    let out = run(d.path(), &["--format", "json", "-j", "2"]);
    deleter.join().expect("the deleting thread");
    assert!(matches!(out.code, 0 | 1), "{}", out.stderr);
    let v = parse(&out);
    assert!(v["errors"].as_array().is_some_and(Vec::is_empty));
    for (p, why) in skipped(&v) {
        assert!(why.starts_with("cannot read: "), "{p}: {why}");
    }
}

/// Configuration is data: globs compile to linear-time matchers, and a hostile pattern or
/// ignore file in the scanned repository cannot make the walk take long.
#[test]
fn hostile_globs_stay_fast() {
    let d = project();
    let root = d.path();
    let deep_glob = format!("{}x", "**/".repeat(200));
    let star_glob = format!("{}b", "*a".repeat(50));
    write(
        root,
        "n1lint.toml",
        format!("exclude = [{deep_glob:?}, {star_glob:?}]\n[per-file-ignores]\n{star_glob:?} = [\"select-star\"]\n"),
    );
    write(root, ".gitignore", format!("{star_glob}\n{deep_glob}\n"));
    write(root, &format!("{}.py", "a".repeat(200)), SELECT_PY);
    let start = Instant::now();
    let out = run(root, &["--format", "json"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(start.elapsed() < Duration::from_secs(20));
    // A config file is never executed or expanded: a shell-looking value is a bad value.
    write(root, "n1lint.toml", "exclude = \"$(touch pwned)\"\n");
    let out = run(root, &[]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(!root.join("pwned").exists());
}

/// A closed stderr (`n1lint . 2>&1 | head`) loses the notes, not the exit code.
#[test]
fn a_closed_stderr_keeps_the_exit_code() {
    let d = project();
    // A config error whose message (with the offending line) is far over a pipe's buffer.
    write(
        d.path(),
        "n1lint.toml",
        format!("a = {}1{}\n", "{x=".repeat(50_000), "}".repeat(50_000)),
    );
    write(d.path(), "app.py", SELECT_PY);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_n1lint"))
        .current_dir(d.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start n1lint");
    drop(child.stderr.take());
    let status = child.wait().expect("wait for n1lint");
    assert_eq!(status.code(), Some(2), "a config error, not a panic");
}

#[test]
fn dump_tree_refuses_what_it_cannot_print() {
    let d = project();
    write(d.path(), "deep.py", nested("(\n", "1", "\n)", 100_000));
    let out = run(d.path(), &["dump-tree", "deep.py"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("nested more than"), "{}", out.stderr);
}

/// A builder's wildcard column list with non-ASCII text: the column counts characters.
#[test]
fn builder_wildcard_columns_count_characters() {
    let d = project();
    let src = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/regressions/select-builder-non-ascii.js"),
    )
    .expect("the regression input");
    write(d.path(), "q.js", src);
    let (code, v, stderr) = reports(d.path(), &["--select", "select-star"], &[]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        findings(&v, "select-star"),
        vec![("q.js".to_string(), 3, 14)]
    );
}

/// Inputs that once crashed or hung a fuzz target (`fuzz/`), replayed through the binary.
#[test]
fn fuzz_regressions_replay() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/regressions");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    let d = project();
    let mut n = 0;
    let mut names = Vec::new();
    for e in entries.filter_map(Result::ok) {
        let p = e.path();
        let Some(ext) = p.extension().and_then(|x| x.to_str()) else {
            continue;
        };
        let bytes = std::fs::read(&p).expect("read a regression input");
        let name = p
            .file_name()
            .expect("a name")
            .to_string_lossy()
            .into_owned();
        match ext {
            "py" | "js" | "ts" | "tsx" | "rb" => {
                std::fs::write(d.path().join(&name), &bytes).expect("copy");
                names.push(name);
            }
            // SQL text: through the library, and as a string in a Python file.
            "sql" => {
                let text = String::from_utf8_lossy(&bytes);
                for off in n1lint::rules::select_star::wildcards_in(&text) {
                    assert_eq!(text.as_bytes().get(off), Some(&b'*'), "{name}: {off}");
                }
                let body: String = text
                    .chars()
                    .filter(|c| !matches!(c, '"' | '\\' | '\0'))
                    .collect();
                // The comment's `*` makes the extractor keep the string for `select-star`.
                let py = format!("def f(c):\n    c.execute(r\"\"\"{body}\n-- * \"\"\")\n");
                let name = format!("{name}.py");
                std::fs::write(d.path().join(&name), py).expect("write");
                names.push(name);
            }
            _ => continue,
        }
        n += 1;
    }
    if n == 0 {
        return;
    }
    let (code, v, stderr) = reports(d.path(), &["--stats"], &[]);
    assert!(matches!(code, 0 | 1), "{stderr}");
    assert!(
        v["errors"].as_array().is_some_and(Vec::is_empty),
        "{stderr}"
    );
    assert_eq!(
        files_scanned(&v) + skipped(&v).len(),
        names.len(),
        "{stderr}"
    );
}

/// A file name and file content with terminal escape sequences and bidirectional controls:
/// the text report and stderr show them as `?`, and the finding is still reported.
#[cfg(unix)]
#[test]
fn control_characters_do_not_reach_the_terminal() {
    let dir = project();
    let name = "q\u{1b}[31mred\u{202e}.py";
    write(
        dir.path(),
        name,
        "def report(cursor):\n    # \u{1b}]0;title\u{7} \u{202e}reversed\n    cursor.execute(\"SELECT * FROM orders\")\n",
    );
    let out = run(dir.path(), &["--no-cache", "--stats", "."]);
    assert_eq!(out.code, 1, "one finding: {}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("select-star"), "{}", out.stdout);
    for (what, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        assert!(!text.contains('\u{1b}'), "{what} holds an escape: {text:?}");
        assert!(!text.contains('\u{7}'), "{what} holds a bell: {text:?}");
        assert!(
            !text.contains('\u{202e}'),
            "{what} holds a bidi control: {text:?}"
        );
    }
    assert!(out.stdout.contains("q?[31mred???.py"), "{}", out.stdout);
}
