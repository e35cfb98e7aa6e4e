//! Every rule's documentation examples are linted: the slow one must be reported by its
//! rule, the better one must not. The docs cannot drift from what the rule does.

use std::path::Path;

use n1lint::config::Config;
use n1lint::engine::{self, RunOptions};
use n1lint::facts::Limits;
use n1lint::rules;

fn ext(language: &str) -> &'static str {
    match language {
        "javascript" => "js",
        "typescript" => "ts",
        "python" => "py",
        "ruby" => "rb",
        other => panic!("unknown example language {other}"),
    }
}

fn findings(dir: &Path, rule: &str) -> usize {
    let mut config = Config::default();
    // Unused suppressions are known only when the rules they name run.
    let select = if rule == "unused-suppression" {
        Vec::new()
    } else {
        vec![rule.to_string()]
    };
    config.apply_cli(&select, &[]).unwrap();
    let a = engine::run(&RunOptions {
        paths: &[dir.to_path_buf()],
        config: &config,
        threads: 1,
        limits: Limits::default(),
        cache: None,
    })
    .unwrap();
    assert!(a.internal_errors.is_empty(), "{:?}", a.internal_errors);
    a.findings.iter().filter(|r| r.finding.rule == rule).count()
}

#[test]
fn bad_examples_fire_and_good_examples_do_not() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for m in rules::all_meta() {
        for (i, ex) in m.examples.iter().enumerate() {
            for (code, want) in [(&ex.bad, true), (&ex.good, false)] {
                let dir = tempfile::tempdir().unwrap();
                let name = ex
                    .file
                    .clone()
                    .unwrap_or_else(|| format!("example.{}", ext(&ex.language)));
                let path = dir.path().join(&name);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, code).unwrap();
                if let Some(setup) = &ex.setup {
                    let setup_name = format!("setup_support.{}", ext(&ex.language));
                    std::fs::write(dir.path().join(setup_name), setup).unwrap();
                }
                let n = findings(dir.path(), &m.id);
                checked += 1;
                if want && n == 0 {
                    problems.push(format!(
                        "{} example {} ({}): the slow example is not reported",
                        m.id,
                        i + 1,
                        ex.language
                    ));
                }
                if !want && n > 0 {
                    problems.push(format!(
                        "{} example {} ({}): the better example is reported {n} time(s)",
                        m.id,
                        i + 1,
                        ex.language
                    ));
                }
            }
        }
    }
    assert!(
        checked >= 2 * rules::all_meta().len(),
        "too few examples: {checked}"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
