//! Project context for runs on named files (a pre-commit hook passes only the staged files).
//!
//! Findings often need facts from other files: the model a loop queries is defined in
//! `models.py`, the helper that runs the query lives in `repo.js`. When every path on the
//! command line is a file, n1lint finds each file's project root (the nearest folder upwards
//! that holds `.git` or `n1lint.toml`), reads the source files under it for the project
//! index (the same walk as a directory run: ignore files, excludes), and runs the rules on
//! the named files only. The named files therefore get the findings a run over the whole
//! project would give them. The cost is the read, parse and fact extraction of the project's
//! files (the rules, the larger share of a run, run on the named files alone); README gives
//! numbers. `--no-project-context` turns this off.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::baseline::normalise;
use crate::engine::RunOptions;
use crate::walk::{self, Candidate, WalkOptions};

/// Files or folders whose presence marks a project root.
pub const ROOT_MARKERS: &[&str] = &[".git", "n1lint.toml"];

/// The nearest folder at or above `dir` that holds a root marker.
pub fn root_of(dir: &Path) -> Option<PathBuf> {
    let mut d = Some(dir);
    while let Some(x) = d {
        if ROOT_MARKERS.iter().any(|m| x.join(m).exists()) {
            return Some(x.to_path_buf());
        }
        d = x.parent();
    }
    None
}

/// The folders to read for context: the project roots of the named files when every path
/// is a file, nothing when a folder is named (its walk already sees the project).
pub fn context_roots(paths: &[PathBuf], cwd: &Path) -> Vec<PathBuf> {
    if paths.is_empty() || paths.iter().any(|p| cwd.join(p).is_dir()) {
        return Vec::new();
    }
    let mut roots: Vec<PathBuf> = Vec::new();
    for p in paths {
        let abs = normalise(&cwd.join(p));
        let Some(dir) = abs.parent() else { continue };
        if let Some(r) = root_of(dir) {
            if !roots.contains(&r) {
                roots.push(r);
            }
        }
    }
    // A root inside another root is read by the outer one's walk.
    let all = roots.clone();
    roots.retain(|r| !all.iter().any(|o| o != r && r.starts_with(o)));
    roots.sort();
    roots
}

/// Walks `context` and appends its source files that are not in `files` already.
pub(crate) fn add_context(
    files: &mut Vec<Candidate>,
    context: &[PathBuf],
    opts: &RunOptions,
    cwd: &Path,
) -> Result<(), String> {
    if context.is_empty() {
        return Ok(());
    }
    let named: HashSet<PathBuf> = files
        .iter()
        .map(|c| normalise(&cwd.join(&c.path)))
        .collect();
    let walked = walk::walk(
        context,
        &WalkOptions {
            excludes: &opts.config.excludes,
            use_default_excludes: opts.config.default_excludes,
            threads: opts.threads,
        },
    )?;
    files.extend(
        walked
            .files
            .into_iter()
            .filter(|c| !named.contains(&normalise(&cwd.join(&c.path)))),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots_of_named_files() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let root = tmp.path().join("repo");
        std::fs::create_dir_all(root.join("app/sub")).expect("mkdir");
        std::fs::create_dir_all(root.join(".git")).expect("mkdir");
        std::fs::write(root.join("app/sub/x.py"), "").expect("write");
        assert_eq!(
            context_roots(&[PathBuf::from("app/sub/x.py")], &root),
            vec![root.clone()]
        );
        // A folder on the command line: no extra context.
        assert!(context_roots(&[PathBuf::from("app")], &root).is_empty());
    }
}
