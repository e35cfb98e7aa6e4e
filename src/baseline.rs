//! Baselines: `--write-baseline FILE` records the findings of a run, `--baseline FILE`
//! hides them in later runs so that only new findings are reported.
//!
//! A finding's identity is the one its fingerprint is built from, without the occurrence
//! number: the rule, the path, the enclosing class/function path and the hash of the
//! whitespace-normalised flagged code. Line numbers are not part of it, so adding lines
//! above a finding or reformatting around it does not bring it back. The baseline stores a
//! count per identity: a second copy of the same pattern in the same function is new.
//!
//! The file is pretty-printed JSON, sorted by path, rule, scope and hash, one entry per
//! identity, with paths relative to the folder that holds the baseline file (keep it at the
//! root of the repository) and `/`-separated, so it diffs well and does not depend on the
//! directory n1lint runs from.

use std::collections::{BTreeMap, HashMap};
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::engine::Reported;

pub const VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    /// The format version.
    version: u32,
    findings: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    path: String,
    rule: String,
    /// The enclosing class/function path (`OrderView.get`), empty at module level.
    scope: String,
    /// Hash of the whitespace-normalised flagged code, 16 hex digits.
    code: String,
    /// How many findings with this identity were recorded.
    count: u32,
}

type Key = (String, String, String, String);

/// A loaded baseline.
#[derive(Debug, Default)]
pub struct Baseline {
    counts: HashMap<Key, u32>,
    /// The folder paths in the file are relative to (absolute).
    base: PathBuf,
}

/// What applying a baseline did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Applied {
    /// Findings hidden because the baseline has them.
    pub baselined: usize,
    /// Recorded findings in the scanned files that no longer occur (fixed, or changed
    /// beyond recognition).
    pub stale: usize,
}

/// `a/./b/../c` → `a/c`, without touching the file system.
pub fn normalise(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// The folder holding `file`, absolute and with symbolic links resolved.
fn base_dir(file: &Path, cwd: &Path) -> Result<PathBuf, String> {
    let parent = match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => cwd.join(p),
        _ => cwd.to_path_buf(),
    };
    parent
        .canonicalize()
        .map_err(|e| format!("{}: {e}", parent.display()))
}

/// A report path (relative to `cwd`, or absolute) relative to `base`, `/`-separated.
fn rel_path(report_path: &str, cwd: &Path, base: &Path) -> String {
    let abs = normalise(&cwd.join(report_path));
    let rel = abs.strip_prefix(base).unwrap_or(&abs);
    let s = rel.to_string_lossy();
    // `\` separates folders on Windows only: elsewhere it is part of a file's name.
    if cfg!(windows) {
        s.replace('\\', "/")
    } else {
        s.into_owned()
    }
}

fn key(r: &Reported, cwd: &Path, base: &Path) -> Key {
    (
        rel_path(&r.path, cwd, base),
        r.finding.rule.to_string(),
        r.scope.clone(),
        format!("{:016x}", r.finding.code_hash),
    )
}

/// The canonical current directory (what report paths are relative to).
fn cwd() -> Result<PathBuf, String> {
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
    Ok(cwd.canonicalize().unwrap_or(cwd))
}

/// The baseline file's text for these findings.
pub fn render(findings: &[Reported], file: &Path) -> Result<String, String> {
    let cwd = cwd()?;
    let base = base_dir(file, &cwd)?;
    let mut counts: BTreeMap<Key, u32> = BTreeMap::new();
    for r in findings {
        *counts.entry(key(r, &cwd, &base)).or_default() += 1;
    }
    let findings: Vec<Entry> = counts
        .into_iter()
        .map(|((path, rule, scope, code), count)| Entry {
            path,
            rule,
            scope,
            code,
            count,
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&File {
        version: VERSION,
        findings,
    })
    .map_err(|e| e.to_string())?;
    s.push('\n');
    Ok(s)
}

/// Reads a baseline file written by [`render`].
pub fn load(file: &Path) -> Result<Baseline, String> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("cannot read baseline {}: {e}", file.display()))?;
    let parsed: File = serde_json::from_str(&text).map_err(|e| {
        format!(
            "{} is not an n1lint baseline: {e} (write one with --write-baseline)",
            file.display()
        )
    })?;
    if parsed.version != VERSION {
        return Err(format!(
            "{}: baseline version {} is not supported (expected {VERSION}); write it again with --write-baseline",
            file.display(),
            parsed.version
        ));
    }
    let cwd = cwd()?;
    let base = base_dir(file, &cwd)?;
    let mut counts = HashMap::new();
    for e in parsed.findings {
        *counts.entry((e.path, e.rule, e.scope, e.code)).or_default() += e.count;
    }
    Ok(Baseline { counts, base })
}

impl Baseline {
    /// Removes the baselined findings from `findings` (sorted by path and position, as the
    /// engine leaves them): per identity, the first `count` in source order are hidden and
    /// any further ones are reported. `scanned` (report paths) limits what counts as stale.
    pub fn apply(&self, findings: &mut Vec<Reported>, scanned: &[&str]) -> Result<Applied, String> {
        let cwd = cwd()?;
        let scanned: std::collections::HashSet<String> = scanned
            .iter()
            .map(|p| rel_path(p, &cwd, &self.base))
            .collect();
        let mut left = self.counts.clone();
        let before = findings.len();
        findings.retain(|r| match left.get_mut(&key(r, &cwd, &self.base)) {
            Some(n) if *n > 0 => {
                *n -= 1;
                false
            }
            _ => true,
        });
        Ok(Applied {
            baselined: before - findings.len(),
            stale: left
                .iter()
                .filter(|(k, _)| scanned.contains(&k.0))
                .map(|(_, &n)| n as usize)
                .sum(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalise_is_lexical() {
        assert_eq!(normalise(Path::new("/a/./b/../c")), PathBuf::from("/a/c"));
        assert_eq!(normalise(Path::new("./x.py")), PathBuf::from("x.py"));
        assert_eq!(normalise(Path::new("../x.py")), PathBuf::from("../x.py"));
    }

    #[test]
    fn paths_relative_to_the_baseline_folder() {
        let base = Path::new("/repo");
        assert_eq!(rel_path("app/v.py", Path::new("/repo"), base), "app/v.py");
        assert_eq!(rel_path("v.py", Path::new("/repo/app"), base), "app/v.py");
        assert_eq!(
            rel_path("/elsewhere/v.py", Path::new("/repo"), base),
            "/elsewhere/v.py"
        );
    }
}
