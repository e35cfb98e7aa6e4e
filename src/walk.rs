//! Which files to scan: the `ignore` crate's parallel walk, language detection and the
//! default excludes. Nothing is read here.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ignore::overrides::OverrideBuilder;
use ignore::{WalkBuilder, WalkState};

use crate::lang::Lang;

/// Directory names skipped by default (also when `.gitignore` does not list them).
pub const DEFAULT_EXCLUDES: &[&str] = &[
    "node_modules",
    "vendor",
    "dist",
    "build",
    "bower_components",
    "__pycache__",
    "site-packages",
    "coverage",
    ".next",
    ".nuxt",
    "out",
    "tmp",
    ".n1lint_cache",
    "target",
    ".venv",
    "venv",
];

#[derive(Debug)]
pub struct WalkOptions<'a> {
    pub excludes: &'a [String],
    pub use_default_excludes: bool,
    pub threads: usize,
}

#[derive(Debug, Clone)]
pub struct Candidate {
    pub path: PathBuf,
    pub lang: Lang,
    /// Named on the command line: checked even if an ignore file lists it.
    pub explicit: bool,
}

#[derive(Debug, Default)]
pub struct WalkResult {
    pub files: Vec<Candidate>,
    /// Problems met while walking (unreadable directories, broken links), as notes.
    pub notes: Vec<(PathBuf, String)>,
    /// Files named on the command line with an extension n1lint does not read.
    pub unknown_explicit: Vec<PathBuf>,
}

/// Walk `roots`: directories recursively (honouring ignore files), files as given.
pub fn walk(roots: &[PathBuf], opts: &WalkOptions) -> Result<WalkResult, String> {
    let mut result = WalkResult::default();
    let mut dirs = Vec::new();
    for root in roots {
        if root.is_dir() {
            dirs.push(root.clone());
        } else if let Some(why) = unreportable(root) {
            result.notes.push((root.clone(), why.into()));
        } else {
            match Lang::from_path(root) {
                Some(lang) => result.files.push(Candidate {
                    path: root.clone(),
                    lang,
                    explicit: true,
                }),
                None => result.unknown_explicit.push(root.clone()),
            }
        }
    }
    for dir in dirs {
        walk_dir(&dir, opts, &mut result)?;
    }
    result.files.sort_by(|a, b| a.path.cmp(&b.path));
    result.files.dedup_by(|a, b| a.path == b.path);
    result.notes.sort();
    Ok(result)
}

fn walk_dir(dir: &Path, opts: &WalkOptions, result: &mut WalkResult) -> Result<(), String> {
    // `exclude` patterns are relative to the current directory (like the paths reports show
    // and `[per-file-ignores]` matches), not to each walked root: `n1lint src gen` must
    // honour `exclude = ["gen/**"]`. Walked paths relative to the current directory are
    // matched as they are; absolute ones have this root stripped.
    let base = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let mut ob = OverrideBuilder::new(&base);
    if opts.use_default_excludes {
        for name in DEFAULT_EXCLUDES {
            ob.add(&format!("!**/{name}/"))
                .map_err(|e| format!("bad default exclude {name}: {e}"))?;
        }
    }
    for pat in opts.excludes {
        let pat = pat.trim_start_matches("./");
        ob.add(&format!("!{pat}"))
            .map_err(|e| format!("bad exclude pattern `{pat}`: {e}"))?;
    }
    let overrides = ob
        .build()
        .map_err(|e| format!("bad exclude patterns: {e}"))?;
    let mut wb = WalkBuilder::new(dir);
    wb.hidden(true)
        .follow_links(false)
        .git_ignore(true)
        .git_global(false)
        .git_exclude(true)
        .ignore(true)
        .require_git(false)
        .parents(true)
        .add_custom_ignore_filename(".n1lintignore")
        .overrides(overrides)
        .threads(opts.threads.max(1));
    let files = Mutex::new(Vec::new());
    let notes = Mutex::new(Vec::new());
    wb.build_parallel().run(|| {
        let files = &files;
        let notes = &notes;
        Box::new(move |entry| {
            match entry {
                Ok(e) => {
                    let kind = e.file_type();
                    let is_dir = kind.is_none_or(|t| t.is_dir());
                    if is_dir {
                        return WalkState::Continue;
                    }
                    let is_file = kind.is_some_and(|t| t.is_file());
                    // Everything else that looks like a source file is named in a note.
                    let note = if let Some(why) = unreportable(e.path()) {
                        Some(why)
                    } else if is_file || Lang::from_path(e.path()).is_none() {
                        None
                    } else if kind.is_some_and(|t| t.is_symlink()) {
                        Some(SYMLINK)
                    } else {
                        Some("not a regular file")
                    };
                    if let Some(why) = note {
                        notes
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .push((e.into_path(), why.to_string()));
                    } else if let (true, Some(lang)) = (is_file, Lang::from_path(e.path())) {
                        files
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .push(Candidate {
                                path: e.into_path(),
                                lang,
                                explicit: false,
                            });
                    }
                }
                Err(err) => {
                    let path = error_path(&err).unwrap_or_else(|| dir.to_path_buf());
                    notes
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push((path, error_text(&err)));
                }
            }
            WalkState::Continue
        })
    });
    result
        .files
        .extend(files.into_inner().unwrap_or_else(|p| p.into_inner()));
    result
        .notes
        .extend(notes.into_inner().unwrap_or_else(|p| p.into_inner()));
    Ok(())
}

/// The note for a symbolic link met in a walk: links are not followed (no loops, no files
/// outside the tree); name the target on the command line to check it.
pub const SYMLINK: &str = "symbolic link (not followed)";

/// Why a file that looks like a source file cannot be reported faithfully, if so: reports
/// (JSON, SARIF, the text) name files by UTF-8 paths, and a path that is not UTF-8 would be
/// named wrongly.
fn unreportable(path: &Path) -> Option<&'static str> {
    if path.to_str().is_some() {
        return None;
    }
    let lossy = path.to_string_lossy();
    Lang::from_path(Path::new(lossy.as_ref())).map(|_| "path is not valid UTF-8")
}

fn error_path(err: &ignore::Error) -> Option<PathBuf> {
    match err {
        ignore::Error::WithPath { path, .. } => Some(path.clone()),
        ignore::Error::WithDepth { err, .. } => error_path(err),
        ignore::Error::WithLineNumber { err, .. } => error_path(err),
        ignore::Error::Loop { child, .. } => Some(child.clone()),
        _ => None,
    }
}

fn error_text(err: &ignore::Error) -> String {
    match err {
        ignore::Error::WithPath { err, .. } => error_text(err),
        ignore::Error::WithDepth { err, .. } => error_text(err),
        ignore::Error::Io(e) => format!("cannot read: {e}"),
        other => other.to_string(),
    }
}
