//! The terminal report: miette diagnostics with the source, labels and the fix.

use std::collections::HashMap;
use std::fmt;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceCode,
};

use super::RenderOptions;
use crate::engine::{group, Analysis, Reported};
use crate::rules::Severity;

struct Diag<'a> {
    r: &'a Reported,
    src: NamedSource<String>,
    max: usize,
}

impl fmt::Debug for Diag<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.r.finding.message)
    }
}

impl fmt::Display for Diag<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.r.finding.message)
    }
}

impl std::error::Error for Diag<'_> {}

impl Diagnostic for Diag<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(format!(
            "{}:{}:{} {}",
            self.r.path, self.r.finding.span.line, self.r.finding.span.col, self.r.finding.rule
        )))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.r.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Note => miette::Severity::Advice,
        })
    }
    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(&self.r.finding.help))
    }
    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.src)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let clamp = |s: u32, e: u32| {
            let s = (s as usize).min(self.max);
            let e = (e as usize).clamp(s, self.max);
            (s, e - s)
        };
        let f = &self.r.finding;
        let (s, l) = clamp(f.span.start, f.span.end);
        let mut v = vec![LabeledSpan::new_primary_with_span(
            Some(f.label.clone()),
            (s, l),
        )];
        for rel in &f.related {
            if rel.path.is_none() {
                let (s, l) = clamp(rel.span.start, rel.span.end);
                v.push(LabeledSpan::new_with_span(
                    Some(rel.message.clone()),
                    (s, l),
                ));
            }
        }
        Some(Box::new(v.into_iter()))
    }
}

pub fn render(a: &Analysis, opts: &RenderOptions) -> String {
    let theme = if opts.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(opts.width)
        .with_context_lines(1)
        .with_links(false);
    let mut out = String::new();
    let mut sources: HashMap<&str, Option<String>> = HashMap::new();
    for r in &a.findings {
        let text = sources.entry(r.path.as_str()).or_insert_with(|| {
            std::fs::read(a.root.join(&r.path))
                .ok()
                .map(|b| String::from_utf8_lossy(&b).into_owned())
        });
        match text {
            Some(t) => {
                let max = t.len();
                let d = Diag {
                    r,
                    src: NamedSource::new(&r.path, t.clone()).with_language(lang_name(&r.path)),
                    max,
                };
                let mut s = String::new();
                if handler.render_report(&mut s, &d).is_err() {
                    s = plain(r);
                }
                out.push_str(&s);
                out.push('\n');
            }
            None => {
                out.push_str(&plain(r));
                out.push('\n');
            }
        }
        for rel in &r.finding.related {
            if let Some(p) = &rel.path {
                out.push_str(&format!(
                    "  related: {}:{}:{}: {}\n\n",
                    p, rel.span.line, rel.span.col, rel.message
                ));
            }
        }
    }
    if !opts.quiet {
        let files: std::collections::BTreeSet<&str> =
            a.findings.iter().map(|r| r.path.as_str()).collect();
        let n = a.findings.len();
        let hidden = super::hidden_note(a)
            .map(|h| format!("; {h}"))
            .unwrap_or_default();
        out.push_str(&format!(
            "{} {} in {} {} ({} {} scanned in {:.2} s{hidden})\n",
            group(n as u64),
            if n == 1 { "finding" } else { "findings" },
            files.len(),
            if files.len() == 1 { "file" } else { "files" },
            group(a.scanned.len() as u64),
            if a.scanned.len() == 1 {
                "file"
            } else {
                "files"
            },
            a.elapsed.as_secs_f64()
        ));
    }
    out
}

fn plain(r: &Reported) -> String {
    format!(
        "{}:{}:{}: {} [{}] {}\n  help: {}\n",
        r.path,
        r.finding.span.line,
        r.finding.span.col,
        r.severity.as_str(),
        r.finding.rule,
        r.finding.message,
        r.finding.help
    )
}

fn lang_name(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "py" => "Python",
        "rb" | "rake" => "Ruby",
        "ts" | "mts" | "cts" | "tsx" => "TypeScript",
        _ => "JavaScript",
    }
}
