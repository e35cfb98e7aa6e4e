//! `select-star`: a wildcard projection in SQL embedded in code, or a builder's `select('*')`.

use std::collections::HashSet;

use sqlparser::ast::{Query, SelectItem, SetExpr, Statement, TableFactor};
use sqlparser::dialect::GenericDialect;
use sqlparser::parser::Parser;

use super::{Ctx, Finding};
use crate::facts::{normalised_hash, ArgKind, Call, Span, StrLit};
use crate::lang::Lang;

const ID: &str = "select-star";
const HELP: &str =
    "list the columns the code reads (`SELECT id, name FROM ...`) so the database sends only those";

pub fn check(ctx: &Ctx, out: &mut Vec<Finding>) {
    // SQL in tests is test data, not a query the application sends.
    if crate::handlers::is_test_path(ctx.path) {
        return;
    }
    let mut seen = HashSet::new();
    for s in &ctx.facts.strings {
        if ctx.facts.in_error(&s.span) {
            continue;
        }
        for off in wildcards_in(&s.text) {
            let span = span_in(s, off);
            if seen.insert(span.start) {
                out.push(Finding {
                    rule: ID,
                    span,
                    message: "`SELECT *` fetches every column of every row".into(),
                    label: "wildcard projection".into(),
                    help: HELP.into(),
                    related: Vec::new(),
                    code_hash: normalised_hash(&s.text),
                    fix: None,
                });
            }
        }
    }
    for c in &ctx.facts.calls {
        if ctx.facts.in_error(&c.span) {
            continue;
        }
        if let Some(arg) = builder_wildcard(ctx.facts.lang, c) {
            if seen.insert(arg.start) {
                out.push(Finding {
                    rule: ID,
                    span: arg,
                    message: format!("`{}` selects every column", c.dotted()),
                    label: "wildcard projection".into(),
                    help: "pass the column names the code reads to the builder (`.select('id', 'name')`)".into(),
                    related: Vec::new(),
                    code_hash: c.hash,
                    fix: None,
                });
            }
        }
    }
}

/// The span of byte `off` of a literal's text (one character wide).
fn span_in(s: &StrLit, off: usize) -> Span {
    let before = s.text.get(..off).unwrap_or("");
    // Lines end at LF, CRLF or a lone CR, as in the rest of the facts.
    let b = before.as_bytes();
    let breaks: Vec<usize> = (0..b.len())
        .filter(|&i| b[i] == b'\n' || (b[i] == b'\r' && b.get(i + 1) != Some(&b'\n')))
        .collect();
    let (line, col) = match breaks.last() {
        Some(&nl) => (
            s.text_line + breaks.len() as u32,
            before[nl + 1..].chars().count() as u32 + 1,
        ),
        None => (s.text_line, s.text_col + before.chars().count() as u32),
    };
    let start = s.text_start + off as u32;
    Span {
        start,
        end: start + 1,
        line,
        col,
        end_line: line,
        end_col: col + 1,
    }
}

/// Byte offsets of the `*` of every reported wildcard projection in `text`.
pub fn wildcards_in(text: &str) -> Vec<usize> {
    let trimmed = text.trim_start_matches(|c: char| c.is_whitespace() || c == '(');
    let head: String = trimmed
        .chars()
        .take(6)
        .collect::<String>()
        .to_ascii_lowercase();
    if !(head.starts_with("select") || head.starts_with("with")) {
        return Vec::new();
    }
    let sql = neutralise_placeholders(text);
    match parse_wildcards(&sql) {
        Some(v) => v,
        None => token_fallback(&sql),
    }
}

/// Replaces driver placeholders (`%s`, `%(name)s`, `{name}`, `?`) with an identifier of the
/// same byte length, so the SQL parses and offsets stay put.
fn neutralise_placeholders(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = b.to_vec();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'?' => out[i] = b'x',
            b'%' if i + 1 < b.len() => {
                let mut j = i + 1;
                if b[j] == b'(' {
                    while j < b.len() && b[j] != b')' && j - i < 64 {
                        j += 1;
                    }
                    j += 1;
                }
                if j < b.len() && matches!(b[j], b's' | b'd' | b'i' | b'f' | b'r') {
                    out[i] = b'x';
                    for o in &mut out[i + 1..=j] {
                        *o = b' ';
                    }
                    i = j;
                }
            }
            b'{' => {
                let mut j = i + 1;
                while j < b.len()
                    && (b[j].is_ascii_alphanumeric() || b[j] == b'_' || b[j] == b'.')
                    && j - i < 64
                {
                    j += 1;
                }
                if j < b.len() && b[j] == b'}' {
                    out[i] = b'x';
                    for o in &mut out[i + 1..=j] {
                        *o = b' ';
                    }
                    i = j;
                }
            }
            _ => {}
        }
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| text.to_string())
}

/// Collects the wildcards whose columns reach the result: the outer query's projection, and
/// a derived table's only when the query around it passes its columns on (`SELECT *` again).
/// Subqueries in `IN`, `EXISTS` and scalar positions, and CTE bodies, return no columns of
/// their own to the caller.
struct Wildcards<'a> {
    sql: &'a str,
    line_starts: Vec<usize>,
    found: Vec<usize>,
}

impl Wildcards<'_> {
    fn offset(&self, line: u64, column: u64) -> Option<usize> {
        let ls = *self.line_starts.get((line as usize).checked_sub(1)?)?;
        let rest = self.sql.get(ls..)?;
        let (k, _) = rest.char_indices().nth((column as usize).checked_sub(1)?)?;
        Some(ls + k)
    }

    fn query(&mut self, q: &Query, depth: u32) {
        self.set_expr(&q.body, depth + 1);
    }

    fn set_expr(&mut self, body: &SetExpr, depth: u32) {
        if depth > 48 {
            return;
        }
        match body {
            SetExpr::Select(sel) => {
                // `SELECT * FROM (subquery) AS t`: the subquery decides the columns, so the
                // outer wildcard is not reported; the subquery's own wildcard is. A bare
                // parenthesised table (`FROM (x)`) is where an interpolated subquery was.
                let derived_only = !sel.from.is_empty()
                    && sel.from.iter().all(|t| {
                        t.joins.is_empty()
                            && match &t.relation {
                                TableFactor::Derived { .. } => true,
                                TableFactor::NestedJoin {
                                    table_with_joins, ..
                                } => table_with_joins.joins.is_empty(),
                                _ => false,
                            }
                    });
                let mut wild = false;
                for item in &sel.projection {
                    let opts = match item {
                        SelectItem::Wildcard(o) => o,
                        SelectItem::QualifiedWildcard(_, o) => o,
                        _ => continue,
                    };
                    wild = true;
                    if derived_only {
                        continue;
                    }
                    let loc = opts.wildcard_token.0.span.start;
                    if let Some(off) = self.offset(loc.line, loc.column) {
                        let star = if self.sql.as_bytes().get(off) == Some(&b'*') {
                            Some(off)
                        } else {
                            self.sql[off..].find('*').map(|p| off + p)
                        };
                        // The parser reads `FROM (x) AS t` as the table `x`.
                        let one_item = sel.from.len() == 1 && sel.from[0].joins.is_empty();
                        if let Some(star) = star.filter(|&o| !(one_item && from_paren(self.sql, o)))
                        {
                            self.found.push(star);
                        }
                    }
                }
                if wild {
                    for t in &sel.from {
                        self.table_factor(&t.relation, depth + 1);
                        for j in &t.joins {
                            self.table_factor(&j.relation, depth + 1);
                        }
                    }
                }
            }
            SetExpr::SetOperation { left, right, .. } => {
                self.set_expr(left, depth + 1);
                self.set_expr(right, depth + 1);
            }
            SetExpr::Query(q) => self.query(q, depth + 1),
            _ => {}
        }
    }

    fn table_factor(&mut self, t: &TableFactor, depth: u32) {
        if let TableFactor::Derived { subquery, .. } = t {
            self.query(subquery, depth + 1);
        }
    }
}

/// The wildcard at `star` is followed by `FROM (`: it selects from a parenthesised item.
fn from_paren(sql: &str, star: usize) -> bool {
    let tail = sql.get(star + 1..).unwrap_or("").trim_start();
    tail.get(..4)
        .is_some_and(|w| w.eq_ignore_ascii_case("from"))
        && tail[4..].starts_with(|c: char| c.is_whitespace() || c == '(')
        && tail[4..].trim_start().starts_with('(')
}

/// Parentheses nested deeper than this send the text to the token fallback: the parser
/// backtracks over parenthesised `FROM` items, and its time grows exponentially with their
/// nesting (40 levels: seconds). Hand-written SQL nests far less.
const MAX_PAREN_DEPTH: usize = 16;

fn paren_depth(sql: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    for b in sql.bytes() {
        match b {
            b'(' => {
                depth += 1;
                max = max.max(depth);
            }
            b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

fn parse_wildcards(sql: &str) -> Option<Vec<usize>> {
    // A bound on what is given to the parser: generated SQL can be huge, or nested deep.
    if sql.len() > 64 * 1024 || paren_depth(sql) > MAX_PAREN_DEPTH {
        return None;
    }
    let stmts = Parser::new(&GenericDialect {})
        .with_recursion_limit(64)
        .try_with_sql(sql)
        .ok()?
        .parse_statements()
        .ok()?;
    let mut line_starts = vec![0];
    line_starts.extend(sql.match_indices('\n').map(|(i, _)| i + 1));
    let mut v = Wildcards {
        sql,
        line_starts,
        found: Vec::new(),
    };
    for st in &stmts {
        if let Statement::Query(q) = st {
            v.query(q, 0);
        }
    }
    v.found.sort_unstable();
    v.found.dedup();
    Some(v.found)
}

/// Where the parser cannot read the text (a fragment joined with `+`, a dialect it does not
/// know): `SELECT *` / `SELECT t.*` at the start, followed by `FROM` or the end of the text.
fn token_fallback(sql: &str) -> Vec<usize> {
    let lower = sql.to_ascii_lowercase();
    let start = lower.len()
        - lower
            .trim_start_matches(|c: char| c.is_whitespace() || c == '(')
            .len();
    let rest = &lower[start..];
    let Some(after) = rest.strip_prefix("select") else {
        return Vec::new();
    };
    if !after.starts_with(char::is_whitespace) {
        return Vec::new();
    }
    let mut i = start + 6;
    let b = lower.as_bytes();
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    // Optional `distinct`.
    if lower[i..].starts_with("distinct ") {
        i += 9;
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
    }
    // Optional qualifier `t.`.
    let mut j = i;
    while j < b.len()
        && (b[j].is_ascii_alphanumeric() || b[j] == b'_' || b[j] == b'"' || b[j] == b'`')
    {
        j += 1;
    }
    let star = if j < b.len() && b[j] == b'.' && j > i {
        j + 1
    } else {
        i
    };
    if b.get(star) != Some(&b'*') {
        return Vec::new();
    }
    let tail = lower[star + 1..].trim_start();
    let word_end = tail
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(tail.len());
    // `SELECT * FROM (...)`: a derived table decides the columns.
    if from_paren(sql, star) {
        return Vec::new();
    }
    if tail.is_empty() || tail.starts_with(',') || &tail[..word_end] == "from" {
        vec![star]
    } else {
        Vec::new()
    }
}

/// `.select('*')`, `.columns('*')` on a query builder, ActiveRecord `select("posts.*")`:
/// the span of the first `*` of a wildcard column in a string argument.
fn builder_wildcard(lang: Lang, c: &Call) -> Option<Span> {
    let m = c.method();
    if !matches!(m, "select" | "columns" | "column" | "reselect") || c.path.len() < 2 {
        return None;
    }
    let builder_name = |n: &str| {
        matches!(
            n,
            "knex" | "db" | "trx" | "qb" | "queryBuilder" | "builder" | "connection" | "database"
        )
    };
    let evidence = match lang {
        // A model constant or a relation chain.
        Lang::Ruby => {
            c.root().chars().next().is_some_and(|ch| ch.is_uppercase())
                || c.path.iter().any(|s| {
                    matches!(
                        s.name.as_str(),
                        "where"
                            | "joins"
                            | "left_joins"
                            | "includes"
                            | "from"
                            | "all"
                            | "order"
                            | "group"
                    )
                })
        }
        Lang::Python => false,
        _ => c.path[..c.path.len() - 1].iter().any(|s| {
            builder_name(&s.name)
                || (s.called
                    && matches!(
                        s.name.as_str(),
                        "from" | "table" | "createQueryBuilder" | "where" | "withSchema" | "into"
                    ))
        }),
    };
    if !evidence {
        return None;
    }
    for arg in c.args.iter().filter(|a| a.kind == ArgKind::String) {
        let t = arg.text.as_str();
        let q = t.chars().next().filter(|ch| matches!(ch, '"' | '\'' | '`'));
        let Some(q) = q else { continue };
        // Argument texts are cut near 240 bytes: a cut one is not the whole value.
        if t.len() < 2 || t.len() > 230 || !t.ends_with(q) || t.contains(['\n', '\r']) {
            continue;
        }
        let inner = &t[1..t.len() - 1];
        // A column list: read it as the projection of a SELECT.
        let probe = format!("SELECT {inner} FROM t");
        let Some(&off) = wildcards_in(&probe).first() else {
            continue;
        };
        // `off` is past the probe's `SELECT `; + 1 for the opening quote.
        let Some(star) = off.checked_sub(6) else {
            continue;
        };
        // The value ends the argument's span (after a Ruby `key:`); columns count characters.
        let Some(value_start) = arg.span.end.checked_sub(t.len() as u32) else {
            continue;
        };
        let after = t.get(star..).unwrap_or("").chars().count() as u32;
        let Some(col) = arg.span.end_col.checked_sub(after) else {
            continue;
        };
        let start = value_start + star as u32;
        return Some(Span {
            start,
            end: start + 1,
            line: arg.span.end_line,
            col,
            end_line: arg.span.end_line,
            end_col: col + 1,
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::wildcards_in;

    fn stars(sql: &str) -> Vec<usize> {
        wildcards_in(sql)
    }

    #[test]
    fn plain_and_qualified_wildcards() {
        assert_eq!(stars("SELECT * FROM users"), vec![7]);
        assert_eq!(stars("select u.* from users u"), vec![9]);
        assert_eq!(stars("SELECT * FROM (SELECT * FROM t) s"), vec![22]);
        // The outer wildcard returns the subquery's columns: it decides nothing.
        assert!(stars("SELECT * FROM (SELECT id, name FROM t) s WHERE id > 1").is_empty());
        assert!(stars("SELECT * FROM (?           ) AS tmp WHERE ?").is_empty());
        assert_eq!(
            stars("SELECT * FROM (SELECT id FROM t) s JOIN u ON u.id = s.id"),
            vec![7]
        );
        assert!(stars("SELECT id FROM (SELECT * FROM t) s").is_empty());
        assert!(stars("SELECT id FROM t WHERE id IN (SELECT * FROM c)").is_empty());
        assert!(stars("WITH c AS (SELECT * FROM t) SELECT id FROM c").is_empty());
    }

    #[test]
    fn not_a_projection() {
        assert!(stars("SELECT COUNT(*) FROM users").is_empty());
        assert!(
            stars("SELECT id FROM u WHERE EXISTS (SELECT * FROM o WHERE o.u = u.id)").is_empty()
        );
        assert!(stars("SELECT price * qty AS total FROM items").is_empty());
        assert!(stars("Select * to choose all").is_empty());
        assert!(stars("Use SELECT * sparingly").is_empty());
        assert!(stars("* { margin: 0 }").is_empty());
    }

    #[test]
    fn placeholders_keep_offsets() {
        assert_eq!(
            stars("SELECT * FROM t WHERE id = %s AND x = %(name)s"),
            vec![7]
        );
        assert_eq!(stars("SELECT * FROM ?        WHERE id = $1"), vec![7]);
        assert_eq!(stars("SELECT * FROM {table} WHERE a = 1"), vec![7]);
    }

    #[test]
    fn deep_parentheses_do_not_take_exponential_time() {
        // Found by fuzzing: the parser backtracks over each `(` of a `FROM` item.
        let sql = format!("SELECT * FROM {}x", "(((((((((SELECT a FROM ".repeat(6));
        let start = std::time::Instant::now();
        // Too deep for the parser: the token fallback reads `SELECT * FROM (`, a derived
        // table, which decides the columns.
        assert!(stars(&sql).is_empty());
        let flat = format!(
            "SELECT * FROM t WHERE a IN {}1",
            "(((((((((SELECT a FROM ".repeat(6)
        );
        assert_eq!(stars(&flat), vec![7]);
        assert!(start.elapsed() < std::time::Duration::from_secs(1));
        let nested = format!("SELECT * FROM {}t{}", "(".repeat(12), ")".repeat(12));
        assert_eq!(super::paren_depth(&nested), 12);
    }

    #[test]
    fn fragments_fall_back_to_tokens() {
        assert_eq!(stars("SELECT * "), vec![7]);
        assert_eq!(stars("SELECT * FROM users WHERE id = ' + "), vec![7]);
    }
}
