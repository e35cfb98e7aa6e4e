//! Rendering an [`Analysis`] in each output format, and writing it atomically.

pub mod github;
pub mod json;
pub mod markdown;
pub mod sarif;
pub mod text;

use std::io::Write;
use std::path::Path;

use crate::cli::Format;
use crate::engine::Analysis;

pub struct RenderOptions {
    pub color: bool,
    pub quiet: bool,
    pub width: usize,
}

pub fn render(format: Format, a: &Analysis, opts: &RenderOptions) -> String {
    match format {
        Format::Text => text::render(a, opts),
        Format::Json => json::render(a),
        Format::Sarif => sarif::render(a),
        Format::Github => github::render(a),
        Format::Markdown => markdown::render(a),
    }
}

/// `3 baselined, 2 not on changed lines`: findings the run found but does not report.
pub fn hidden_note(a: &Analysis) -> Option<String> {
    let mut parts = Vec::new();
    if a.baselined > 0 {
        parts.push(format!(
            "{} baselined",
            crate::engine::group(a.baselined as u64)
        ));
    }
    if a.outside_diff > 0 {
        parts.push(format!(
            "{} not on changed lines",
            crate::engine::group(a.outside_diff as u64)
        ));
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// Writes `content` to `path` through a temporary file in the same folder and a rename,
/// so a crash never leaves half a report.
pub fn write_atomic(path: &Path, content: &str) -> std::io::Result<()> {
    // `-o /dev/null`, a pipe, a terminal: write into it; a rename would replace the device
    // node with a regular file.
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
        return std::fs::write(path, content);
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".n1lint-").suffix(".tmp");
    // A temporary file is created 0600; a report is an ordinary file: the mode a new file
    // gets from the umask, or the mode of the file it replaces.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder.tempfile_in(dir)?;
    if let Ok(meta) = std::fs::metadata(path) {
        if meta.is_file() {
            tmp.as_file().set_permissions(meta.permissions())?;
        }
    }
    tmp.write_all(content.as_bytes())?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Byte offset → (1-based line, 1-based column in characters) of `src`: used where a
/// related location lies in a file whose facts are not at hand.
pub fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(src.len());
    let before = src.get(..offset).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let col = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    (line, col)
}
