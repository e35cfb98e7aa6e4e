//! `--format markdown`: a short report for `$GITHUB_STEP_SUMMARY` and pull-request comments.
//!
//! A heading with the totals, a table with the count per rule, then the findings grouped by
//! the rule's area (database, async, io, api, logging, external, meta), each as `path:line`
//! with its message. Long reports are cut after [`MAX_LISTED`] findings (a job summary holds
//! at most 1 MiB).

use std::collections::BTreeMap;

use crate::engine::{group, Analysis, Reported};
use crate::rules;

/// Findings listed one by one; the rest are only counted.
pub const MAX_LISTED: usize = 200;

/// The order areas are shown in; unknown areas follow, alphabetically.
const AREAS: &[&str] = &[
    "database", "async", "io", "api", "logging", "external", "meta",
];

fn area_of(rule: &str) -> &'static str {
    rules::meta(rule).map(|m| m.area.as_str()).unwrap_or("meta")
}

fn area_rank(area: &str) -> (usize, &str) {
    (
        AREAS.iter().position(|a| *a == area).unwrap_or(AREAS.len()),
        area,
    )
}

/// One line of text that cannot break a list item or a table cell.
fn inline(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{} {}", group(n as u64), if n == 1 { one } else { many })
}

fn title(area: &str) -> String {
    match area {
        "io" => "I/O".into(),
        "api" => "API".into(),
        other => {
            let mut c = other.chars();
            match c.next() {
                Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
                None => String::new(),
            }
        }
    }
}

pub fn render(a: &Analysis) -> String {
    let mut out = String::new();
    let files: std::collections::BTreeSet<&str> =
        a.findings.iter().map(|r| r.path.as_str()).collect();
    if a.findings.is_empty() {
        out.push_str("## n1lint: no findings\n\n");
    } else {
        out.push_str(&format!(
            "## n1lint: {} in {}\n\n",
            plural(a.findings.len(), "finding", "findings"),
            plural(files.len(), "file", "files")
        ));
    }
    out.push_str(&format!(
        "{} scanned",
        plural(a.scanned.len(), "file", "files")
    ));
    if !a.skipped.is_empty() {
        out.push_str(&format!(", {} skipped", group(a.skipped.len() as u64)));
    }
    if !a.internal_errors.is_empty() {
        out.push_str(&format!(
            ", **{}**",
            plural(a.internal_errors.len(), "internal error", "internal errors")
        ));
    }
    if let Some(h) = super::hidden_note(a) {
        out.push_str(&format!("; not reported: {h}"));
    }
    out.push_str(".\n");
    if a.findings.is_empty() {
        return out;
    }

    // area → rule → findings, in report order (path, line, column).
    let mut by_area: BTreeMap<(usize, &str), BTreeMap<&str, Vec<&Reported>>> = BTreeMap::new();
    for r in &a.findings {
        by_area
            .entry(area_rank(area_of(r.finding.rule)))
            .or_default()
            .entry(r.finding.rule)
            .or_default()
            .push(r);
    }

    out.push_str("\n| area | rule | findings |\n|---|---|---:|\n");
    for ((_, area), rules) in &by_area {
        for (rule, list) in rules {
            out.push_str(&format!(
                "| {} | `{rule}` | {} |\n",
                title(area),
                group(list.len() as u64)
            ));
        }
    }

    let mut listed = 0;
    for ((_, area), rules) in &by_area {
        let n: usize = rules.values().map(Vec::len).sum();
        out.push_str(&format!("\n### {} ({})\n\n", title(area), group(n as u64)));
        let mut items: Vec<&Reported> = rules.values().flatten().copied().collect();
        items.sort_by(|x, y| {
            (
                &x.path,
                x.finding.span.line,
                x.finding.span.col,
                x.finding.rule,
            )
                .cmp(&(
                    &y.path,
                    y.finding.span.line,
                    y.finding.span.col,
                    y.finding.rule,
                ))
        });
        for r in items {
            if listed == MAX_LISTED {
                break;
            }
            listed += 1;
            out.push_str(&format!(
                "- `{}:{}` **{}**: {}\n",
                // A file name may hold a backtick or a line break: neither may end the item.
                r.path.replace('`', "'").replace(char::is_control, "?"),
                r.finding.span.line,
                r.finding.rule,
                inline(&r.finding.message)
            ));
        }
    }
    if listed < a.findings.len() {
        out.push_str(&format!(
            "\n…and {} more (see the full report).\n",
            group((a.findings.len() - listed) as u64)
        ));
    }
    out
}
