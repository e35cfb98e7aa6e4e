//! `sync-logging`'s concrete fixes: a Python message built eagerly (an f-string, a
//! `str.format` call, a `+` concatenation) rewritten as a `logging` format with arguments,
//! and a Ruby interpolated message moved into a block.

use crate::facts::{Call, FileFacts};
use crate::lang::Lang;
use crate::rules::{Edit, Fix};

/// The call rewritten so the message is built only when the record is emitted, where that
/// can be written out: a Python f-string as a `logging` format with arguments (in a file
/// that imports the standard `logging` module, whose loggers take `%` arguments), a Ruby
/// interpolated string moved into a block. The help text, and an edit where the rewrite
/// replaces the message argument alone.
pub(super) fn rewrite(f: &FileFacts, c: &Call) -> Option<(String, Option<Fix>)> {
    let a = c.args.first()?;
    // The argument's text must be whole (texts are cut at a bounded length).
    if a.text.len() != a.span.len() as usize {
        return None;
    }
    match f.lang {
        Lang::Python => {
            let stdlib = f.imports.iter().any(|i| i.source == "logging")
                && !f
                    .imports
                    .iter()
                    .any(|i| i.source.starts_with("loguru") || i.source.starts_with("structlog"));
            if !stdlib {
                return None;
            }
            let (format, values) = fstring_to_percent(&a.text)
                .or_else(|| str_format_to_percent(&a.text))
                .or_else(|| concat_to_percent(&a.text))?;
            let args = std::iter::once(format)
                .chain(values)
                .collect::<Vec<_>>()
                .join(", ");
            let help = format!(
                "pass the values as arguments, so they are formatted only if the record is emitted: `{}({args})`",
                c.dotted()
            );
            let fix = (
                "Pass the values as logging arguments".to_string(),
                vec![Edit {
                    span: a.span,
                    replacement: args,
                }],
            );
            Some((help, Some(fix)))
        }
        Lang::Ruby => {
            if c.args.len() != 1 || c.has_block || !a.text.starts_with('"') {
                return None;
            }
            let block = format!("{{ {} }}", a.text);
            let help = format!(
                "use the block form, so the string is built only when the level is enabled: `{} {block}`",
                c.dotted()
            );
            // Without parentheses the argument ends the call: it alone becomes the block.
            let fix = (c.span.end == a.span.end).then(|| {
                (
                    "Build the message in a block".to_string(),
                    vec![Edit {
                        span: a.span,
                        replacement: block,
                    }],
                )
            });
            Some((help, fix))
        }
        _ => None,
    }
}

/// `f'job {id} took {secs:.1f}s'` as (`'job %s took %.1fs'`, `[id, secs]`): the format
/// string for the `logging` module and the values in order. Literals written one after
/// another (`f'a {x} ' 'b'`) stay so, each converted. `None` where an f-string uses what `%`
/// formatting cannot say the same way (alignment, nested specs, `{x=}`) or the text is not
/// string literals alone.
fn fstring_to_percent(text: &str) -> Option<(String, Vec<String>)> {
    let mut out = String::new();
    let mut values = Vec::new();
    let mut any_f = false;
    let mut rest = text;
    loop {
        let len = literal_len(rest)?;
        let (piece, is_f) = percent_piece(&rest[..len], &mut values)?;
        any_f |= is_f;
        out.push_str(&piece);
        rest = &rest[len..];
        let next = rest.trim_start();
        if next.is_empty() {
            break;
        }
        // The space between two literals, as written.
        out.push_str(&rest[..rest.len() - next.len()]);
        rest = next;
    }
    (any_f && !values.is_empty()).then_some((out, values))
}

/// The length of the string literal at the start of `text` (prefix and quotes included).
fn literal_len(text: &str) -> Option<usize> {
    let quote_at = text.find(['\'', '"'])?;
    if !text[..quote_at].chars().all(|c| "fFrRuU".contains(c)) {
        return None;
    }
    let rest = &text[quote_at..];
    let triple = rest.starts_with("\'\'\'") || rest.starts_with("\"\"\"");
    let q = rest.as_bytes()[0];
    let b = rest.as_bytes();
    let mut i = if triple { 3 } else { 1 };
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            b'\n' if !triple => return None,
            c if c == q && (!triple || b[i..].starts_with(&[q, q, q])) => {
                return Some(quote_at + i + if triple { 3 } else { 1 });
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// One literal in `%` form, its values added to `values`; whether it was an f-string.
fn percent_piece(lit: &str, values: &mut Vec<String>) -> Option<(String, bool)> {
    let quote_at = lit.find(['\'', '"'])?;
    let prefix = &lit[..quote_at];
    let is_f = prefix.contains(['f', 'F']);
    let raw = prefix.contains(['r', 'R']);
    let rest = &lit[quote_at..];
    let q = if rest.starts_with("\'\'\'") || rest.starts_with("\"\"\"") {
        &rest[..3]
    } else {
        &rest[..1]
    };
    let body = rest.strip_prefix(q)?.strip_suffix(q)?;
    let prefix = if raw { "r" } else { "" };
    if !is_f {
        return Some((format!("{prefix}{q}{}{q}", body.replace('%', "%%")), false));
    }
    let out = convert_fields(body, values, |at| {
        let (expr, conv, spec, end) = replacement_field(body, at)?;
        Some((percent_spec(conv, spec)?, expr.trim().to_string(), end))
    })?;
    Some((format!("{prefix}{q}{out}{q}"), true))
}

/// A plain string literal at the start of `text` (no prefix but `r`, one quote character):
/// (the prefix, the quote, the body, the rest of `text`).
fn plain_literal(text: &str) -> Option<(&str, char, &str, &str)> {
    let quote_at = text.find(['\'', '"'])?;
    let prefix = &text[..quote_at];
    if !(prefix.is_empty() || prefix == "r" || prefix == "R") {
        return None;
    }
    let q = text[quote_at..].chars().next()?;
    let after = &text[quote_at + 1..];
    if after.starts_with(q) {
        // An empty literal, or a triple-quoted one.
        return None;
    }
    let close = after.find(q)?;
    let body = &after[..close];
    if body.contains('\\') || body.contains('\n') {
        return None;
    }
    Some((prefix, q, body, &after[close + 1..]))
}

/// The offset of the quote that closes the string whose opening quote is at `open` (past
/// backslash escapes), or `b.len()`.
fn closing_quote(b: &[u8], open: usize) -> usize {
    let mut i = open + 1;
    while i < b.len() && b[i] != b[open] {
        if b[i] == b'\\' {
            i += 1;
        }
        i += 1;
    }
    i.min(b.len())
}

/// `text` split at the top-level occurrences of `sep` (outside brackets and strings).
fn split_top(text: &str, sep: u8) -> Option<Vec<&str>> {
    let b = text.as_bytes();
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\'' | b'"' => {
                i = closing_quote(b, i);
                if i >= b.len() {
                    return None;
                }
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth = depth.checked_sub(1)?,
            c if c == sep && depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    (depth == 0).then_some(())?;
    parts.push(&text[start..]);
    Some(parts)
}

/// `'read {} rows from {path}'.format(n, path=p)` as (`'read %s rows from %s'`, `[n, p]`).
fn str_format_to_percent(text: &str) -> Option<(String, Vec<String>)> {
    let (prefix, q, body, rest) = plain_literal(text)?;
    let inner = rest
        .trim_start()
        .strip_prefix(".format(")?
        .strip_suffix(')')?;
    let mut positional = Vec::new();
    let mut named = Vec::new();
    for arg in split_top(inner, b',')? {
        let arg = arg.trim();
        if arg.is_empty() || arg.starts_with('*') {
            return None;
        }
        match arg.split_once('=') {
            Some((k, v))
                if k.trim().chars().all(|c| c.is_alphanumeric() || c == '_')
                    && !v.starts_with('=') =>
            {
                named.push((k.trim(), v.trim()))
            }
            _ => positional.push(arg),
        }
    }
    let mut values = Vec::new();
    let mut next = 0;
    let out = convert_fields(body, &mut values, |at| {
        let close = at + body[at..].find('}')?;
        let field = &body[at..close];
        let (name, spec) = field.split_once(':').unwrap_or((field, ""));
        let (name, conv) = match name.split_once('!') {
            Some((n, c)) if c.len() == 1 => (n, c.bytes().next()),
            Some(_) => return None,
            None => (name, None),
        };
        let value = if name.is_empty() {
            next += 1;
            positional.get(next - 1)?
        } else if let Ok(k) = name.parse::<usize>() {
            positional.get(k)?
        } else {
            &named.iter().find(|(k, _)| *k == name)?.1
        };
        Some((percent_spec(conv, spec)?, value.to_string(), close + 1))
    })?;
    if values.is_empty() {
        return None;
    }
    Some((format!("{prefix}{q}{out}{q}"), values))
}

/// `'removed ' + str(n) + ' rows'` as (`'removed %s rows'`, `[n]`): string literals joined
/// with values (`str(x)` and a bare value are `%s`, `repr(x)` is `%r`).
fn concat_to_percent(text: &str) -> Option<(String, Vec<String>)> {
    let mut quote = None;
    let mut out = String::new();
    let mut values = Vec::new();
    for part in split_top(text, b'+')? {
        let part = part.trim();
        if let Some((prefix, q, body, rest)) = plain_literal(part) {
            if !rest.trim().is_empty() || !prefix.is_empty() || *quote.get_or_insert(q) != q {
                return None;
            }
            out.push_str(&body.replace('%', "%%"));
            continue;
        }
        if part.is_empty() || part.starts_with(['\'', '"']) || part.contains('\n') {
            return None;
        }
        let call_arg = |f: &str| {
            part.strip_prefix(f)
                .and_then(|r| r.strip_prefix('('))
                .and_then(|r| r.strip_suffix(')'))
                .filter(|inner| split_top(inner, b',').is_some_and(|p| p.len() == 1))
        };
        if let Some(inner) = call_arg("repr") {
            out.push_str("%r");
            values.push(inner.trim().to_string());
        } else {
            out.push_str("%s");
            values.push(call_arg("str").unwrap_or(part).trim().to_string());
        }
    }
    let q = quote?;
    if values.is_empty() {
        return None;
    }
    Some((format!("{q}{out}{q}"), values))
}

/// A format string's body (`{}` fields, `{{`/`}}` escapes) in `%` form: each field becomes
/// the placeholder `field(offset after its '{')` returns, with the value added to `values`,
/// and `%` is doubled.
fn convert_fields(
    body: &str,
    values: &mut Vec<String>,
    mut field: impl FnMut(usize) -> Option<(String, String, usize)>,
) -> Option<String> {
    let b = body.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'{' if b.get(i + 1) == Some(&b'{') => {
                out.push('{');
                i += 2;
            }
            b'}' if b.get(i + 1) == Some(&b'}') => {
                out.push('}');
                i += 2;
            }
            b'}' => return None,
            b'%' => {
                out.push_str("%%");
                i += 1;
            }
            b'{' => {
                let (placeholder, value, end) = field(i + 1)?;
                out.push_str(&placeholder);
                values.push(value);
                i = end;
            }
            _ => {
                let ch = body[i..].chars().next()?;
                out.push(ch);
                i += ch.len_utf8();
            }
        }
    }
    Some(out)
}

/// The replacement field that starts at `from` (just after its `{`): the expression, the
/// conversion (`r`, `s`, `a`), the format spec, and the offset after the closing `}`.
fn replacement_field(body: &str, from: usize) -> Option<(&str, Option<u8>, &str, usize)> {
    let b = body.as_bytes();
    let mut depth = 0usize;
    let mut i = from;
    let mut expr_end = None;
    let mut conv = None;
    while i < b.len() {
        match b[i] {
            b'\'' | b'"' => i = closing_quote(b, i),
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' if depth > 0 => depth -= 1,
            b'}' if depth > 0 => depth -= 1,
            b'!' if depth == 0 && b.get(i + 1) != Some(&b'=') => {
                conv = Some(*b.get(i + 1)?);
                expr_end.get_or_insert(i);
                i += 2;
                continue;
            }
            b':' | b'}' if depth == 0 => {
                let end_expr = *expr_end.get_or_insert(i);
                let spec_start = if b[i] == b':' { i + 1 } else { i };
                let close = spec_start + body[spec_start..].find('}')?;
                let spec = &body[spec_start..close];
                if spec.contains('{') {
                    return None;
                }
                let expr = &body[from..end_expr];
                let t = expr.trim_end();
                // `{x=}` prints the expression too; `%` has no such form.
                if expr.trim().is_empty()
                    || t.ends_with('=') && !["==", "!=", "<=", ">="].iter().any(|o| t.ends_with(o))
                {
                    return None;
                }
                return Some((expr, conv, spec, close + 1));
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The `%` placeholder for a conversion and a format spec, if `%` can say it.
fn percent_spec(conv: Option<u8>, spec: &str) -> Option<String> {
    match conv {
        Some(b'r') if spec.is_empty() => return Some("%r".into()),
        Some(b'a') if spec.is_empty() => return Some("%a".into()),
        Some(b's') | None => {}
        _ => return None,
    }
    if spec.is_empty() {
        return Some("%s".into());
    }
    if conv.is_some() {
        return None;
    }
    // [flags][width][.precision]type, with a type `%` knows.
    let flags = spec.len() - spec.trim_start_matches(['-', '+', ' ', '0', '#']).len();
    let (head, kind) = spec.split_at(spec.len() - 1);
    let kind = kind.chars().next()?;
    if !"dfeEgGxXos".contains(kind) {
        return None;
    }
    let rest = &head[flags.min(head.len())..];
    let (width, precision) = match rest.split_once('.') {
        Some((w, p)) => (w, Some(p)),
        None => (rest, None),
    };
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if !digits(width) || precision.is_some_and(|p| p.is_empty() || !digits(p)) {
        return None;
    }
    Some(format!("%{spec}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn joined(r: Option<(String, Vec<String>)>) -> Option<String> {
        r.map(|(f, v)| std::iter::once(f).chain(v).collect::<Vec<_>>().join(", "))
    }

    #[test]
    fn f_strings_become_logging_arguments() {
        let cases: &[(&str, Option<&str>)] = &[
            (
                r#"f"job {job.id} took {secs:.1f}s, 100% done""#,
                Some(r#""job %s took %.1fs, 100%% done", job.id, secs"#),
            ),
            (
                "f'{a!r} {{literal}} {d[\"k\"]} {x != y} {n:05d}'",
                Some("'%r {literal} %s %s %05d', a, d[\"k\"], x != y, n"),
            ),
            ("rf'path {p}\\d'", Some("r'path %s\\d', p")),
            ("f'''multi\n{x}'''", Some("'''multi\n%s''', x")),
            // Literals one after another stay so, each converted.
            (
                "f'a {x} '\n    'b%'  F\"{y!r}\"",
                Some("'a %s '\n    'b%%'  \"%r\", x, y"),
            ),
            // What `%` cannot say (alignment, `,`, nested specs, `{x=}`), or not only
            // f-string literals: no rewrite.
            ("f'{n:>5}'", None),
            ("f'{x=}'", None),
            ("f'{x:{width}}'", None),
            ("f'{x:,}'", None),
            ("f'a {x}' # note\n 'b'", None),
            ("f'{d['k']}'", None),
            ("'a' 'b'", None),
            ("'plain {x}'", None),
            ("f'no fields'", None),
            ("bf'{x}'", None),
        ];
        for (text, want) in cases {
            assert_eq!(joined(fstring_to_percent(text)).as_deref(), *want, "{text}");
        }
    }

    #[test]
    fn format_calls_and_concatenation_become_logging_arguments() {
        let cases: &[(&str, Option<&str>)] = &[
            (
                "'read {} rows from {path} ({1:.2f}%)'.format(n, ratio, path=p.name)",
                Some("'read %s rows from %s (%.2f%%)', n, p.name, ratio"),
            ),
            (
                "\"id {0!r}\".format(obj.get('id', 0))",
                Some("\"id %r\", obj.get('id', 0)"),
            ),
            (
                "'Remove id=' + str(id) + ' from ' + path + ', ' + repr(x)",
                Some("'Remove id=%s from %s, %r', id, path, x"),
            ),
            // Fields `%` cannot name, unpacking, mixed quotes, no literal: no rewrite.
            ("'{0.name}'.format(user)", None),
            ("'{}'.format(*args)", None),
            ("'a \"' + x + \"b'\"", None),
            ("prefix + name", None),
            ("'a' + 'b'", None),
        ];
        for (text, want) in cases {
            let got = str_format_to_percent(text).or_else(|| concat_to_percent(text));
            assert_eq!(joined(got).as_deref(), *want, "{text}");
        }
    }
}
