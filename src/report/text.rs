//! The terminal report: miette diagnostics with the source, labels and the fix.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError,
    MietteSpanContents, NamedSource, SourceCode, SourceSpan, SpanContents,
};

use super::RenderOptions;
use crate::engine::{group, Analysis, Reported};
use crate::rules::Severity;

struct Diag<'a> {
    r: &'a Reported,
    src: NamedSource<Windowed>,
    max: usize,
}

/// A file's text for miette, shared by all its findings, that hands miette only the lines
/// around a span: miette's own lookup scans the text from the start for every finding,
/// which for many findings in a large file takes time in their product.
#[derive(Clone)]
struct Windowed {
    text: Arc<str>,
    /// Where each line starts; a line ends at LF, CRLF or a lone CR (as miette counts).
    starts: Arc<[usize]>,
}

impl Windowed {
    fn new(text: String) -> Self {
        let b = text.as_bytes();
        let mut starts = vec![0];
        for (i, &c) in b.iter().enumerate() {
            if c == b'\n' || (c == b'\r' && b.get(i + 1) != Some(&b'\n')) {
                starts.push(i + 1);
            }
        }
        Windowed {
            text: text.into(),
            starts: starts.into(),
        }
    }

    fn line_of(&self, offset: usize) -> usize {
        match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        }
    }
}

impl SourceCode for Windowed {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let len = self.text.len();
        let start = span.offset();
        let end = start.saturating_add(span.len());
        if end > len {
            return Err(MietteError::OutOfBounds);
        }
        // The lines miette shows, and one more each side.
        let first = self.line_of(start).saturating_sub(before);
        let last = self
            .line_of(end.saturating_sub(1).max(start))
            .saturating_add(after)
            .saturating_add(1);
        let w_start = self.starts[first];
        let w_end = self.starts.get(last + 1).copied().unwrap_or(len);
        let window = &self.text.as_bytes()[w_start..w_end];
        let inner = window.read_span(
            &SourceSpan::new((start - w_start).into(), span.len()),
            before,
            after,
        )?;
        // Back to positions in the whole text: `first` lines come before the window.
        Ok(Box::new(MietteSpanContents::new(
            inner.data(),
            SourceSpan::new((inner.span().offset() + w_start).into(), inner.span().len()),
            inner.line() + first,
            inner.column(),
            inner.line_count() + first,
        )))
    }
}

impl fmt::Debug for Diag<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&inert(&self.r.finding.message))
    }
}

impl fmt::Display for Diag<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&inert(&self.r.finding.message))
    }
}

impl std::error::Error for Diag<'_> {}

impl Diagnostic for Diag<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(format!(
            "{}:{}:{} {}",
            inert(&self.r.path),
            self.r.finding.span.line,
            self.r.finding.span.col,
            self.r.finding.rule
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
        Some(Box::new(inert(&self.r.finding.help)))
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
            Some(inert(&f.label).into_owned()),
            (s, l),
        )];
        for rel in &f.related {
            if rel.path.is_none() {
                let (s, l) = clamp(rel.span.start, rel.span.end);
                v.push(LabeledSpan::new_with_span(
                    Some(inert(&rel.message).into_owned()),
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
    let mut sources: HashMap<&str, Option<Windowed>> = HashMap::new();
    for r in &a.findings {
        let text = sources.entry(r.path.as_str()).or_insert_with(|| {
            std::fs::read(a.root.join(&r.path))
                .ok()
                .map(|b| Windowed::new(inert(&String::from_utf8_lossy(&b)).into_owned()))
        });
        match text {
            Some(t) => {
                let max = t.text.len();
                let d = Diag {
                    r,
                    src: NamedSource::new(inert(&r.path), t.clone())
                        .with_language(lang_name(&r.path)),
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
                    inert(p),
                    rel.span.line,
                    rel.span.col,
                    inert(&rel.message)
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
        let fixable = a
            .findings
            .iter()
            .filter(|r| crate::fix::applies(&r.finding))
            .count();
        let hidden = if fixable > 0 {
            format!("{hidden}; {} fixable with `--fix`", group(fixable as u64))
        } else {
            hidden
        };
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
        inert(&r.path),
        r.finding.span.line,
        r.finding.span.col,
        r.severity.as_str(),
        r.finding.rule,
        inert(&r.finding.message),
        inert(&r.finding.help)
    )
}

/// Text for the terminal with its control characters made visible as `?`: a scanned file
/// (its name, its code, the snippets quoted in messages) must not be able to send escape
/// sequences to the terminal or reorder what it shows (bidirectional controls). The byte
/// length is kept, so offsets into the text stay right; newlines and tabs stay.
pub(crate) fn inert(s: &str) -> std::borrow::Cow<'_, str> {
    let bad = |c: char| {
        (c.is_control() && c != '\n' && c != '\t' && c != '\r')
            || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
    };
    if !s.chars().any(bad) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if bad(c) {
            out.extend(std::iter::repeat_n('?', c.len_utf8()));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

fn lang_name(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "py" => "Python",
        "rb" | "rake" => "Ruby",
        "ts" | "mts" | "cts" | "tsx" => "TypeScript",
        _ => "JavaScript",
    }
}
