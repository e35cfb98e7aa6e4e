//! What the integration tests that drive the binary share.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use tempfile::TempDir;

/// A fresh project directory (not hidden, so nothing in the walk treats it specially).
pub fn project(prefix: &str) -> TempDir {
    tempfile::Builder::new()
        .prefix(prefix)
        .tempdir()
        .expect("temporary directory")
}

/// Writes `content` at `rel` under `root`, creating parent directories.
pub fn write(root: &Path, rel: &str, content: impl AsRef<[u8]>) -> PathBuf {
    let p = root.join(rel);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).expect("create parent directories");
    }
    std::fs::write(&p, content).expect("write file");
    p
}

/// What a run of the binary gave.
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}
