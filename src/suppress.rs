//! Inline suppressions: `n1lint-ignore: rule[, rule] -- reason` as a trailing comment (its
//! statement) or on its own line (the next line), and `n1lint-ignore-file: rule`.

use crate::facts::{Comment, Span};
use crate::rules::Edit;

#[derive(Debug, Clone)]
pub struct Suppression {
    pub span: Span,
    pub file_wide: bool,
    pub rules: Vec<String>,
    /// Lines (first, last) it covers.
    pub lines: (u32, u32),
    pub used: Vec<bool>,
    /// What deleting the comment deletes (with its line, when it has one of its own);
    /// `None` when the comment holds other text before the marker.
    removal: Option<Span>,
    /// The rule ids as written (`a, b`), when they are on the comment's first line.
    list: Option<Span>,
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
            let from = pos + marker.len() + (rest.len() - rest.trim_start().len());
            let to = pos + marker.len() + rest.len();
            out.push(Suppression {
                span: c.span,
                file_wide,
                rules,
                lines: if file_wide { (0, u32::MAX) } else { c.target },
                used: vec![false; n],
                removal: text[..pos]
                    .chars()
                    .all(|ch| matches!(ch, '#' | '/' | '*' | ' ' | '\t'))
                    .then(|| removal(c)),
                list: (from < to && !text[..to].contains('\n')).then(|| {
                    let col = |at: usize| c.span.col + text[..at].chars().count() as u32;
                    Span {
                        start: c.span.start + from as u32,
                        end: c.span.start + to as u32,
                        line: c.span.line,
                        col: col(from),
                        end_line: c.span.line,
                        end_col: col(to),
                    }
                }),
            });
            break;
        }
    }
    out
}

/// The span deleting a comment deletes: a comment on its own line takes its indentation
/// and line break along (the whole line goes), a trailing one the space before it.
fn removal(c: &Comment) -> Span {
    let s = c.span;
    let ends_line = c.text.ends_with('\n');
    if c.own_line && (c.eol > 0 || ends_line) {
        let (end, end_line, end_col) = if c.eol > 0 {
            (s.end + u32::from(c.eol), s.end_line + 1, 1)
        } else {
            (s.end, s.end_line, s.end_col)
        };
        Span {
            start: s.start - c.lead,
            end,
            line: s.line,
            col: s.col - c.lead,
            end_line,
            end_col,
        }
    } else if c.own_line {
        // Code follows a block comment on its line: its indentation stays.
        s
    } else {
        Span {
            start: s.start - c.lead,
            col: s.col - c.lead,
            ..s
        }
    }
}

/// The edit that leaves only the rules in `keep` (in their order) in the suppression: its
/// rule list rewritten, or the whole comment deleted when none is left. `None` when that
/// cannot be written (the comment holds other text, the list runs over lines).
pub fn trimmed(s: &Suppression, keep: &[&str]) -> Option<Edit> {
    if keep.is_empty() {
        return s.removal.map(|span| Edit {
            span,
            replacement: String::new(),
        });
    }
    s.list.map(|span| Edit {
        span,
        replacement: keep.join(", "),
    })
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
