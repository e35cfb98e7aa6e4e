//! `--fix`: applies the fixes findings carry to the files, where the rewrite keeps what the
//! code does (a log message built only when it is emitted, a suppression comment that
//! suppresses nothing deleted), and leaves the other findings, or those whose edits overlap
//! another's, in the report. `sequential-await`'s rewrite
//! (`Promise.all`, `asyncio.gather`) changes the order work runs in and what happens when
//! one await fails: it stays a suggestion (the help, SARIF's `fixes`), as ESLint and ruff
//! keep such fixes out of their default `--fix`.

use std::collections::BTreeMap;
use std::path::Path;

use crate::engine::{Analysis, Reported};
use crate::rules::{Edit, Finding};

/// The rules whose fixes `--fix` applies.
const APPLIED: &[&str] = &["sync-logging", "unused-suppression"];

/// Does `--fix` apply this finding's fix?
pub fn applies(f: &Finding) -> bool {
    f.fix.is_some() && APPLIED.contains(&f.rule)
}

/// How many times `--fix` fixes and analyses again, at most.
pub const MAX_ROUNDS: usize = 4;

/// What `--fix` did.
#[derive(Debug, Default)]
pub struct Outcome {
    pub fixed: usize,
    /// The files rewritten.
    pub files: Vec<String>,
    /// Files that could not be rewritten, and why (their findings stay in the report).
    pub errors: Vec<String>,
}

/// Applies every fix of `analysis` (paths relative to `root`) and drops the fixed findings.
pub fn apply(analysis: &mut Analysis, root: &Path) -> Outcome {
    let mut out = Outcome::default();
    let mut by_file: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, r) in analysis.findings.iter().enumerate() {
        if applies(&r.finding) {
            by_file.entry(r.path.clone()).or_default().push(i);
        }
    }
    let mut fixed = vec![false; analysis.findings.len()];
    for (path, found) in by_file {
        let file = root.join(&path);
        match fix_file(&file, &analysis.findings, &found) {
            Ok(done) if done.is_empty() => {}
            Ok(done) => {
                out.files.push(path.clone());
                out.fixed += done.len();
                for i in done {
                    fixed[i] = true;
                }
            }
            Err(e) => out.errors.push(format!("{path}: {e}")),
        }
    }
    let mut i = 0;
    analysis.findings.retain(|_| {
        i += 1;
        !fixed[i - 1]
    });
    out
}

/// Rewrites one file with the fixes of `found` (indices into `findings`); the indices
/// whose edits were applied.
fn fix_file(file: &Path, findings: &[Reported], found: &[usize]) -> Result<Vec<usize>, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("cannot read: {e}"))?;
    // Edits in file order; a fix whose edits overlap an earlier one's waits for another run.
    let mut fixes: Vec<(usize, &Vec<Edit>)> = found
        .iter()
        .filter_map(|&i| findings[i].finding.fix.as_ref().map(|(_, e)| (i, e)))
        .filter(|(_, edits)| !edits.is_empty())
        .collect();
    fixes.sort_by_key(|(_, edits)| edits.iter().map(|e| e.span.start).min());
    let mut taken: Vec<(u32, u32)> = Vec::new();
    let mut done = Vec::new();
    let mut edits: Vec<&Edit> = Vec::new();
    for (i, fix) in fixes {
        // The same edits as a fix already taken (two unused rules of one suppression): done
        // with it.
        if !fix.is_empty()
            && fix.iter().all(|e| {
                edits
                    .iter()
                    .any(|t| t.span == e.span && t.replacement == e.replacement)
            })
        {
            done.push(i);
            continue;
        }
        let fits = fix.iter().all(|e| {
            e.span.start <= e.span.end
                && text.is_char_boundary(e.span.start as usize)
                && text.is_char_boundary(e.span.end as usize)
                && (e.span.end as usize) <= text.len()
        });
        let overlaps = fix.iter().any(|e| {
            taken
                .iter()
                .any(|&(s, t)| e.span.start < t && s < e.span.end)
        });
        if !fits || overlaps {
            continue;
        }
        taken.extend(fix.iter().map(|e| (e.span.start, e.span.end)));
        edits.extend(fix.iter());
        done.push(i);
    }
    if done.is_empty() {
        return Ok(done);
    }
    edits.sort_by_key(|e| std::cmp::Reverse(e.span.start));
    let mut new = text;
    for e in edits {
        new.replace_range(e.span.start as usize..e.span.end as usize, &e.replacement);
    }
    crate::report::write_atomic(file, &new).map_err(|e| format!("cannot write: {e}"))?;
    Ok(done)
}
