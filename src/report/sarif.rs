//! `--format sarif`: SARIF 2.1.0 as GitHub code scanning ingests it.

use serde_json::{json, Value};

use crate::engine::Analysis;
use crate::rules::{self, RuleMeta, Severity};

pub const INFORMATION_URI: &str = "https://github.com/n1lint/n1lint";

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

/// `select-star` → `SelectStar`.
fn pascal(id: &str) -> String {
    id.split('-')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

fn sentence(s: &str) -> String {
    let t = s.trim();
    if t.ends_with('.') {
        t.to_string()
    } else {
        format!("{t}.")
    }
}

fn rule_json(m: &RuleMeta) -> Value {
    let problem = match m.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "recommendation",
    };
    json!({
        "id": m.id,
        "name": pascal(&m.id),
        "shortDescription": { "text": sentence(&m.title) },
        "fullDescription": { "text": sentence(&m.summary) },
        "help": { "text": m.text(), "markdown": m.markdown() },
        "defaultConfiguration": { "level": level(m.severity) },
        "properties": {
            "tags": m.tags,
            "precision": m.precision,
            "problem.severity": problem,
        },
    })
}

fn region(span: &crate::facts::Span) -> Value {
    json!({
        "startLine": span.line,
        "startColumn": span.col,
        "endLine": span.end_line,
        "endColumn": span.end_col.max(if span.end_line == span.line { span.col + 1 } else { 1 }),
    })
}

/// A report path as an artifact location: relative to `%SRCROOT%` (the directory n1lint
/// ran in, the checkout root in CI), or an absolute `file://` URI for a file outside it.
fn artifact(path: &str) -> Value {
    if path.starts_with('/') {
        json!({ "uri": format!("file://{}", uri(path)) })
    } else {
        json!({ "uri": uri(path), "uriBaseId": "%SRCROOT%" })
    }
}

fn location(path: &str, span: &crate::facts::Span) -> Value {
    json!({
        "physicalLocation": {
            "artifactLocation": artifact(path),
            "region": region(span),
        }
    })
}

/// A relative path as a URI reference: percent-encode what is not allowed.
fn uri(path: &str) -> String {
    let mut out = String::new();
    for b in path.bytes() {
        match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'.'
            | b'_'
            | b'~'
            | b'/'
            | b'@'
            | b'+'
            | b'!'
            | b'$'
            | b'&'
            | b'\''
            | b'('
            | b')'
            | b'*'
            | b','
            | b';'
            | b'='
            | b':' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

pub fn render(a: &Analysis) -> String {
    let metas = rules::all_meta();
    let results: Vec<Value> = a
        .findings
        .iter()
        .map(|r| {
            let f = &r.finding;
            let idx = metas.iter().position(|m| m.id == f.rule).unwrap_or(0);
            let mut res = json!({
                "ruleId": f.rule,
                "ruleIndex": idx,
                "level": level(r.severity),
                "message": { "text": format!("{} Fix: {}", sentence(&f.message), sentence(&f.help)) },
                "locations": [location(&r.path, &f.span)],
                "partialFingerprints": { "n1lint/v1": r.fingerprint },
            });
            if !f.related.is_empty() {
                res["relatedLocations"] = Value::Array(
                    f.related
                        .iter()
                        .enumerate()
                        .map(|(i, rel)| {
                            let mut l = location(rel.path.as_deref().unwrap_or(&r.path), &rel.span);
                            l["id"] = json!(i + 1);
                            l["message"] = json!({ "text": rel.message });
                            l
                        })
                        .collect(),
                );
            }
            if let Some((desc, edits)) = &f.fix {
                res["fixes"] = json!([{
                    "description": { "text": desc },
                    "artifactChanges": [{
                        "artifactLocation": artifact(&r.path),
                        "replacements": edits.iter().map(|e| json!({
                            "deletedRegion": region(&e.span),
                            "insertedContent": { "text": e.replacement },
                        })).collect::<Vec<_>>(),
                    }],
                }]);
            }
            res
        })
        .collect();
    let notifications: Vec<Value> = a
        .skipped
        .iter()
        .map(|(p, why)| {
            json!({
                "level": "note",
                "message": { "text": format!("skipped {p}: {why}") },
                "locations": [{ "physicalLocation": { "artifactLocation": artifact(p) } }],
            })
        })
        .chain(
            a.internal_errors
                .iter()
                .map(|e| json!({ "level": "error", "message": { "text": e } })),
        )
        .collect();
    let v = json!({
        "$schema": "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "n1lint",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "informationUri": INFORMATION_URI,
                "rules": metas.iter().map(rule_json).collect::<Vec<_>>(),
            }},
            "automationDetails": { "id": "n1lint/" },
            "columnKind": "unicodeCodePoints",
            "invocations": [{
                "executionSuccessful": a.internal_errors.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
        }],
    });
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}
