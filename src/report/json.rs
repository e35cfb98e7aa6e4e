//! `--format json`: a stable object, documented in README (JSON output).

use serde_json::{json, Value};

use crate::engine::{Analysis, Reported};

pub const SCHEMA_VERSION: u32 = 1;

pub fn finding_json(r: &Reported) -> Value {
    let f = &r.finding;
    json!({
        "rule": f.rule,
        "severity": r.severity.as_str(),
        "path": r.path,
        "start": { "line": f.span.line, "column": f.span.col },
        "end": { "line": f.span.end_line, "column": f.span.end_col },
        "message": f.message,
        "label": f.label,
        "help": f.help,
        "scope": r.scope,
        "related": f.related.iter().map(|rel| json!({
            "path": rel.path.clone().unwrap_or_else(|| r.path.clone()),
            "start": { "line": rel.span.line, "column": rel.span.col },
            "end": { "line": rel.span.end_line, "column": rel.span.end_col },
            "message": rel.message,
        })).collect::<Vec<_>>(),
        "fingerprint": r.fingerprint,
        "fix": f.fix.as_ref().map(|(description, edits)| json!({
            "description": description,
            "applied_by_fix_flag": crate::fix::applies(f),
            "edits": edits.iter().map(|e| json!({
                "start": { "line": e.span.line, "column": e.span.col },
                "end": { "line": e.span.end_line, "column": e.span.end_col },
                "replacement": e.replacement,
            })).collect::<Vec<_>>(),
        })),
    })
}

pub fn render(a: &Analysis) -> String {
    let v = json!({
        "version": SCHEMA_VERSION,
        "tool": { "name": "n1lint", "version": env!("CARGO_PKG_VERSION") },
        "findings": a.findings.iter().map(finding_json).collect::<Vec<_>>(),
        "files_scanned": a.scanned.len(),
        "skipped": a.skipped.iter().map(|(p, why)| json!({ "path": p, "reason": why })).collect::<Vec<_>>(),
        "errors": a.internal_errors,
    });
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}
