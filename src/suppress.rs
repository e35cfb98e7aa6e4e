//! Inline suppressions: `n1lint-ignore: rule[, rule] -- reason` as a trailing comment (its
//! statement) or on its own line (the next line), and `n1lint-ignore-file: rule`.

use crate::facts::{Comment, Span};

#[derive(Debug, Clone)]
pub struct Suppression {
    pub span: Span,
    pub file_wide: bool,
    pub rules: Vec<String>,
    /// Lines (first, last) it covers.
    pub lines: (u32, u32),
    pub used: Vec<bool>,
}

/// The suppressions written in a file's comments.
pub fn parse(comments: &[Comment]) -> Vec<Suppression> {
    let mut out = Vec::new();
    for c in comments {
        let text = c.text.as_str();
        for (marker, file_wide) in [("n1lint-ignore-file:", true), ("n1lint-ignore:", false)] {
            let Some(pos) = text.find(marker) else {
                continue;
            };
            let rest = &text[pos + marker.len()..];
            let rest = rest.split("--").next().unwrap_or("");
            let rest = rest.trim_end_matches(['*', '/', '>', '-']).trim_end();
            let rules: Vec<String> = rest
                .split(',')
                .map(|r| r.trim().to_string())
                .filter(|r| !r.is_empty())
                .collect();
            let n = rules.len();
            out.push(Suppression {
                span: c.span,
                file_wide,
                rules,
                lines: if file_wide { (0, u32::MAX) } else { c.target },
                used: vec![false; n],
            });
            break;
        }
    }
    out
}

/// Whether a finding of `rule` on `line` is suppressed; marks the suppression used.
pub fn apply(sups: &mut [Suppression], rule: &str, line: u32) -> bool {
    let mut hit = false;
    for s in sups.iter_mut() {
        if line < s.lines.0 || line > s.lines.1 {
            continue;
        }
        for (i, r) in s.rules.iter().enumerate() {
            if r == rule {
                s.used[i] = true;
                hit = true;
            }
        }
    }
    hit
}
