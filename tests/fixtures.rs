//! The fixture harness: every line marked `expect: <rule>` (or `expect: <rule> @+N`, the
//! finding N lines below) must be reported by that rule, and no other line may be.
//! `fixtures/<rule>/<lang>/` runs that rule alone over the folder (so cross-file facts are
//! there); `fixtures/clean/` runs every rule and must stay silent.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use n1lint::config::Config;
use n1lint::engine::{self, RunOptions};
use n1lint::facts::Limits;
use n1lint::rules;

fn run(dir: &Path, select: &[String]) -> engine::Analysis {
    let mut config = Config::default();
    config.apply_cli(select, &[]).expect("known rule");
    engine::run(&RunOptions {
        paths: &[dir.to_path_buf()],
        config: &config,
        threads: 2,
        limits: Limits::default(),
        cache: None,
    })
    .expect("run succeeds")
}

/// (path, line) → number of findings expected there, for `rule`.
fn expectations(dir: &Path, rule: &str) -> BTreeMap<(String, u32), u32> {
    let mut out = BTreeMap::new();
    let cwd = std::env::current_dir().unwrap();
    for entry in walk(dir) {
        let text = std::fs::read_to_string(&entry).unwrap();
        let path = engine::display_path(&entry, &cwd);
        for (i, line) in text.lines().enumerate() {
            let mut rest = line;
            while let Some(pos) = rest.find("expect:") {
                let after = &rest[pos + 7..];
                let mut words = after.split_whitespace();
                let id = words.next().unwrap_or("").trim_end_matches(',');
                let offset = words
                    .next()
                    .and_then(|w| w.strip_prefix("@+"))
                    .and_then(|n| n.parse::<u32>().ok())
                    .unwrap_or(0);
                if id == rule {
                    *out.entry((path.clone(), i as u32 + 1 + offset))
                        .or_insert(0) += 1;
                }
                rest = after;
            }
        }
    }
    out
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if n1lint::lang::Lang::from_path(&p).is_some() {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn compare(dir: &Path, rule: &str, problems: &mut Vec<String>) -> usize {
    // Unused suppressions are only known when the rules they name run.
    let select = if rule == "unused-suppression" {
        Vec::new()
    } else {
        vec![rule.to_string()]
    };
    let a = run(dir, &select);
    assert!(
        a.internal_errors.is_empty(),
        "internal errors: {:?}",
        a.internal_errors
    );
    for (p, why) in &a.skipped {
        problems.push(format!("{p}: skipped ({why})"));
    }
    let mut got: BTreeMap<(String, u32), u32> = BTreeMap::new();
    let mut messages: BTreeMap<(String, u32), String> = BTreeMap::new();
    for r in a.findings.iter().filter(|r| r.finding.rule == rule) {
        *got.entry((r.path.clone(), r.finding.span.line))
            .or_insert(0) += 1;
        messages.insert(
            (r.path.clone(), r.finding.span.line),
            r.finding.message.clone(),
        );
    }
    let want = expectations(dir, rule);
    for (k, n) in &want {
        let g = got.get(k).copied().unwrap_or(0);
        if g < *n {
            problems.push(format!(
                "{}:{}: missing {rule} finding ({g} of {n})",
                k.0, k.1
            ));
        }
    }
    for (k, n) in &got {
        let w = want.get(k).copied().unwrap_or(0);
        if *n > w {
            problems.push(format!(
                "{}:{}: unexpected {rule} finding: {}",
                k.0, k.1, messages[k]
            ));
        }
    }
    want.values().map(|n| *n as usize).sum()
}

#[test]
fn every_fixture_reports_exactly_its_marks() {
    let root = Path::new("fixtures");
    let mut problems = Vec::new();
    let mut checked = 0;
    let mut expected = 0;
    for m in rules::all_meta() {
        let dir = root.join(&m.id);
        assert!(
            dir.is_dir(),
            "rule {} has no fixtures folder {}",
            m.id,
            dir.display()
        );
        for lang in std::fs::read_dir(&dir).unwrap() {
            let lang = lang.unwrap().path();
            if lang.is_dir() {
                expected += compare(&lang, &m.id, &mut problems);
                checked += 1;
            }
        }
    }
    assert!(
        checked >= rules::all_meta().len(),
        "too few fixture folders: {checked}"
    );
    assert!(expected > 0, "no expectations found");
    assert!(
        problems.is_empty(),
        "{} fixture problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn clean_code_has_no_findings() {
    let a = run(Path::new("fixtures/clean"), &[]);
    assert!(a.scanned.len() >= 4, "clean fixtures were not scanned");
    let found: Vec<String> = a
        .findings
        .iter()
        .map(|r| {
            format!(
                "{}:{}: {} {}",
                r.path, r.finding.span.line, r.finding.rule, r.finding.message
            )
        })
        .collect();
    assert!(
        found.is_empty(),
        "findings in clean code:\n{}",
        found.join("\n")
    );
}
