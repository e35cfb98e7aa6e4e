//! What the fuzz targets check. A panic anywhere (also one the engine catches and reports
//! as an internal error: libFuzzer's panic hook aborts first) is a crash.

use n1lint::engine::{analyse_source, Analysis, SourceOutcome};
use n1lint::facts::Span;
use n1lint::lang::Lang;
use n1lint::report::{self, RenderOptions};
use serde_json::Value;

/// 1-based (line, column in Unicode scalar values) of byte `offset` of `text`, lines ending
/// at LF, CRLF or a lone CR: the positions reports promise.
fn position(text: &str, offset: usize) -> Option<(u32, u32)> {
    let before = text.get(..offset)?;
    let b = before.as_bytes();
    let mut line = 1;
    let mut line_start = 0;
    for i in 0..b.len() {
        if b[i] == b'\n' || (b[i] == b'\r' && text.as_bytes().get(i + 1) != Some(&b'\n')) {
            line += 1;
            line_start = i + 1;
        }
    }
    Some((line, before[line_start..].chars().count() as u32 + 1))
}

/// The span's positions agree with its byte offsets in the file.
fn check_span(text: &str, bom: usize, s: &Span, what: &str) {
    assert!(s.start <= s.end, "{what}: start after end: {s:?}");
    assert!(
        s.end as usize <= bom + text.len(),
        "{what}: past the end of the file ({}): {s:?}",
        bom + text.len()
    );
    let at = |o: u32| (o as usize).checked_sub(bom).and_then(|o| position(text, o));
    assert_eq!(at(s.start), Some((s.line, s.col)), "{what}: start of {s:?}");
    assert_eq!(at(s.end), Some((s.end_line, s.end_col)), "{what}: end of {s:?}");
}

pub fn analyse(lang: Lang, data: &[u8]) {
    let (findings, internal_errors) = match analyse_source(lang, data) {
        SourceOutcome::Skipped(why) => {
            assert!(!why.is_empty());
            return;
        }
        SourceOutcome::Analysed {
            findings,
            internal_errors,
            ..
        } => (findings, internal_errors),
    };
    assert!(internal_errors.is_empty(), "{internal_errors:?}");
    let body = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    let bom = data.len() - body.len();
    let text = std::str::from_utf8(body).expect("analysed text is UTF-8");
    for r in &findings {
        let f = &r.finding;
        check_span(text, bom, &f.span, f.rule);
        for rel in f.related.iter().filter(|rel| rel.path.is_none()) {
            check_span(text, bom, &rel.span, &format!("{} related", f.rule));
        }
        if let Some((_, edits)) = &f.fix {
            for e in edits {
                check_span(text, bom, &e.span, &format!("{} fix", f.rule));
            }
        }
        assert!(!f.message.is_empty() && !r.fingerprint.is_empty());
    }
    // The machine-readable reports of these findings parse.
    let analysis = Analysis {
        findings,
        ..Default::default()
    };
    let opts = RenderOptions {
        color: false,
        quiet: false,
        width: 100,
    };
    for format in [n1lint::cli::Format::Json, n1lint::cli::Format::Sarif] {
        let out = report::render(format, &analysis, &opts);
        let v: Value = serde_json::from_str(&out).expect("the report is JSON");
        assert!(v.is_object());
    }
}

pub fn sql(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let found = n1lint::rules::select_star::wildcards_in(text);
    for off in found {
        assert_eq!(text.as_bytes().get(off), Some(&b'*'), "offset {off} in {text:?}");
    }
}
