//! `--format github`: workflow commands that GitHub Actions turns into annotations.

use crate::engine::Analysis;
use crate::rules::Severity;

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

pub fn render(a: &Analysis) -> String {
    let mut out = String::new();
    for r in &a.findings {
        let f = &r.finding;
        let cmd = match r.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "notice",
        };
        out.push_str(&format!(
            "::{cmd} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
            escape_property(&r.path),
            f.span.line,
            f.span.col,
            f.span.end_line,
            f.span.end_col,
            escape_property(&format!("n1lint {}", f.rule)),
            escape_data(&format!("{} (help: {})", f.message, f.help)),
        ));
    }
    out
}
