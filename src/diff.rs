//! `--diff REF`: keep only the findings on lines changed since a git revision.
//!
//! The changed lines come from `git diff --unified=0 REF` (the revision against the working
//! tree: committed, staged and unstaged changes to tracked files, renames followed) and every
//! untracked, not ignored file counts as changed in full. A finding is kept when its primary
//! location or one of its related locations (the loop of an N+1, a helper's query) overlaps a
//! changed line. Lines only deleted leave nothing to point at and select nothing.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::baseline::normalise;
use crate::engine::Reported;
use crate::facts::Span;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Change {
    /// An untracked file: every line is new.
    Whole,
    /// Inclusive 1-based line ranges of the new version.
    Lines(Vec<(u32, u32)>),
}

/// The lines changed since a revision, by absolute path.
#[derive(Debug, Default)]
pub struct Changed {
    files: HashMap<PathBuf, Change>,
    cwd: PathBuf,
}

fn git(dir: &Path, args: &[&str]) -> Result<std::process::Output, String> {
    Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "core.quotePath=false"])
        // A repository's own config must not run a program (an fsmonitor hook) on a scan.
        .args(["-c", "core.fsmonitor=false"])
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("--diff needs git, which could not be run: {e}"))
}

fn stderr_line(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr)
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
        .to_string()
}

/// Reads the changes since `rev` in the repository that holds `dir` (the first path on the
/// command line, or its folder).
pub fn changed_since(rev: &str, dir: &Path) -> Result<Changed, String> {
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
    let cwd = cwd.canonicalize().unwrap_or(cwd);
    let dir = cwd.join(dir);
    if rev.is_empty() || rev.starts_with('-') {
        return Err(format!("--diff: `{rev}` is not a git revision"));
    }
    let top = git(&dir, &["rev-parse", "--show-toplevel"])?;
    if !top.status.success() {
        return Err(format!(
            "--diff {rev}: {} is not inside a git repository ({})",
            dir.display(),
            stderr_line(&top)
        ));
    }
    let top = PathBuf::from(String::from_utf8_lossy(&top.stdout).trim_end_matches(['\n', '\r']));
    let top = top.canonicalize().unwrap_or(top);
    let commit = format!("{rev}^{{commit}}");
    let sha = git(
        &top,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            "--end-of-options",
            &commit,
        ],
    )?;
    if !sha.status.success() {
        return Err(format!(
            "--diff: unknown git revision `{rev}` (try `git fetch`, or a branch, tag or commit that exists)"
        ));
    }
    let sha = String::from_utf8_lossy(&sha.stdout).trim().to_string();
    let out = git(
        &top,
        &[
            "diff",
            "--unified=0",
            "--no-color",
            "--no-ext-diff",
            "--no-textconv",
            "--find-renames",
            "--src-prefix=a/",
            "--dst-prefix=b/",
            &sha,
            "--",
        ],
    )?;
    if !out.status.success() {
        return Err(format!("git diff {rev} failed: {}", stderr_line(&out)));
    }
    let mut files: HashMap<PathBuf, Change> = HashMap::new();
    for (path, ranges) in parse_diff(&String::from_utf8_lossy(&out.stdout)) {
        files.insert(top.join(path), Change::Lines(ranges));
    }
    let untracked = git(&top, &["ls-files", "--others", "--exclude-standard", "-z"])?;
    if !untracked.status.success() {
        return Err(format!(
            "git ls-files (untracked files) failed: {}",
            stderr_line(&untracked)
        ));
    }
    for p in String::from_utf8_lossy(&untracked.stdout).split('\0') {
        if !p.is_empty() {
            files.insert(top.join(p), Change::Whole);
        }
    }
    Ok(Changed { files, cwd })
}

/// `"a\tb"`-style quoting git uses for unusual paths.
fn unquote(s: &str) -> String {
    let Some(inner) = s.strip_prefix('"').and_then(|x| x.strip_suffix('"')) else {
        return s.to_string();
    };
    let mut bytes = Vec::new();
    let b = inner.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() {
            let c = b[i + 1];
            let simple = match c {
                b'n' => Some(b'\n'),
                b't' => Some(b'\t'),
                b'r' => Some(b'\r'),
                b'a' => Some(7),
                b'b' => Some(8),
                b'f' => Some(12),
                b'v' => Some(11),
                b'"' => Some(b'"'),
                b'\\' => Some(b'\\'),
                _ => None,
            };
            if let Some(x) = simple {
                bytes.push(x);
                i += 2;
                continue;
            }
            if i + 3 < b.len() && b[i + 1..i + 4].iter().all(|d| (b'0'..=b'7').contains(d)) {
                let v = (b[i + 1] - b'0') * 64 + (b[i + 2] - b'0') * 8 + (b[i + 3] - b'0');
                bytes.push(v);
                i += 4;
                continue;
            }
        }
        bytes.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// `12,3` → (12, 3); `12` → (12, 1).
fn range(s: &str) -> Option<(u32, u32)> {
    let mut it = s.splitn(2, ',');
    let start = it.next()?.parse().ok()?;
    let count = match it.next() {
        Some(c) => c.parse().ok()?,
        None => 1,
    };
    Some((start, count))
}

/// The added or changed line ranges per file (repository-relative paths) of a
/// `git diff --unified=0` with `a/` and `b/` prefixes.
fn parse_diff(text: &str) -> Vec<(String, Vec<(u32, u32)>)> {
    let mut out: Vec<(String, Vec<(u32, u32)>)> = Vec::new();
    let mut current: Option<usize> = None;
    // Lines of the current hunk still to come: a `+++` inside a hunk is content.
    let (mut old_left, mut new_left) = (0u32, 0u32);
    for line in text.lines() {
        if old_left > 0 || new_left > 0 {
            match line.as_bytes().first() {
                Some(b'-') => {
                    old_left = old_left.saturating_sub(1);
                    continue;
                }
                Some(b'+') => {
                    new_left = new_left.saturating_sub(1);
                    continue;
                }
                Some(b'\\') => continue,
                // A malformed hunk: read headers again.
                _ => (old_left, new_left) = (0, 0),
            }
        }
        if line.starts_with("diff --git ") {
            current = None;
        } else if let Some(p) = line.strip_prefix("+++ ") {
            let p = unquote(p.trim_end_matches('\t'));
            current = match p.strip_prefix("b/") {
                Some(rel) => {
                    out.push((rel.to_string(), Vec::new()));
                    Some(out.len() - 1)
                }
                None => None, // `/dev/null`: the file was deleted.
            };
        } else if let Some(rest) = line.strip_prefix("@@ ") {
            let mut parts = rest.split_whitespace();
            let old = parts
                .next()
                .and_then(|o| o.strip_prefix('-'))
                .and_then(range);
            let new = parts
                .next()
                .and_then(|n| n.strip_prefix('+'))
                .and_then(range);
            if let (Some((_, oc)), Some((ns, nc))) = (old, new) {
                old_left = oc;
                new_left = nc;
                if let (Some(i), true) = (current, nc > 0) {
                    out[i].1.push((ns, ns + nc - 1));
                }
            }
        }
    }
    out
}

impl Changed {
    fn touches(&self, report_path: &str, span: &Span) -> bool {
        let abs = normalise(&self.cwd.join(report_path));
        match self.files.get(&abs) {
            Some(Change::Whole) => true,
            Some(Change::Lines(ranges)) => ranges
                .iter()
                .any(|&(s, e)| span.line <= e && span.end_line.max(span.line) >= s),
            None => false,
        }
    }

    /// Keeps the findings whose primary or a related location is on a changed line;
    /// returns how many were dropped.
    pub fn retain(&self, findings: &mut Vec<Reported>) -> usize {
        let before = findings.len();
        findings.retain(|r| {
            self.touches(&r.path, &r.finding.span)
                || r.finding
                    .related
                    .iter()
                    .any(|rel| self.touches(rel.path.as_deref().unwrap_or(&r.path), &rel.span))
        });
        before - findings.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hunks_and_content_that_looks_like_headers() {
        let d = "diff --git a/x.py b/x.py\nindex 1..2 100644\n--- a/x.py\n+++ b/x.py\n@@ -3,0 +4,2 @@ def f():\n++++ not a header\n+y\n@@ -10 +11 @@\n-a\n+b\n@@ -20,2 +21,0 @@\n-gone\n-gone\ndiff --git a/n.py b/n.py\nnew file mode 100644\n--- /dev/null\n+++ b/n.py\n@@ -0,0 +1 @@\n+z\n\\ No newline at end of file\ndiff --git a/d.py b/d.py\n--- a/d.py\n+++ /dev/null\n@@ -1 +0,0 @@\n-q\n";
        assert_eq!(
            parse_diff(d),
            vec![
                ("x.py".to_string(), vec![(4, 5), (11, 11)]),
                ("n.py".to_string(), vec![(1, 1)]),
            ]
        );
    }

    #[test]
    fn quoted_paths() {
        assert_eq!(unquote("\"b/a\\tb \\303\\251.py\""), "b/a\tb é.py");
        assert_eq!(unquote("b/plain.py"), "b/plain.py");
    }
}
