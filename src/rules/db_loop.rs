//! What `n-plus-one` and `write-in-loop` share: database work found inside loops.

use crate::apis::DbOp;
use crate::facts::{Call, FileFacts, Idx, Loop, LoopKind, Span};
use crate::rules::{Ctx, Finding, Related};

/// One piece of database work that runs on every iteration of a loop.
pub struct InLoop<'a> {
    pub call: &'a Call,
    pub loop_idx: Idx,
    pub kind: Work,
}

pub enum Work {
    Op(DbOp),
    /// A project function that does database work: (path, span, what, write, depth).
    Helper {
        path: String,
        span: Span,
        what: String,
        write: bool,
    },
}

impl Work {
    pub fn is_write(&self) -> bool {
        match self {
            Work::Op(op) => op.write,
            Work::Helper { write, .. } => *write,
        }
    }
}

/// Does this loop run its body once per item of something that may be long? Not for a
/// literal list, a loop that exits on its first pass, a constant (`STATUSES`, `MAPPING`),
/// the fields of a schema, or chunks and pages (each iteration is already a batch).
pub fn loop_counts(f: &FileFacts, li: Idx) -> bool {
    let l = &f.loops[li as usize];
    if l.literal_iter || l.runs_once {
        return false;
    }
    if l.method.as_deref().is_some_and(|m| {
        matches!(
            m,
            "each_slice" | "in_batches" | "find_in_batches" | "in_groups_of" | "each_batch"
        )
    }) {
        return false;
    }
    let Some(iter) = l.iter.as_deref() else {
        return true;
    };
    // `10.times`, `range(3)`, `1..5`: a count fixed in the code.
    let digits = iter
        .trim()
        .trim_start_matches("range(")
        .trim_end_matches(')')
        .trim_end_matches(".times");
    if !digits.is_empty()
        && digits
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | ',' | ' ' | '_'))
    {
        return false;
    }
    bounded_collection(iter)
}

/// The iterated expression names something small and fixed, or a batch.
fn bounded_collection(iter: &str) -> bool {
    let t = iter
        .trim()
        .trim_start_matches("await ")
        .trim_start_matches("Object.keys(")
        .trim_start_matches("Object.entries(")
        .trim_start_matches("Object.values(");
    // The last name in the expression: `self.ATTRS`, `schema.attributes`, `MAPPING`.
    let last: String = t
        .trim_end_matches([')', '(', ']', '['])
        .rsplit(['.', ':', '(', ' ', ','])
        .find(|s| !s.is_empty())
        .unwrap_or("")
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    let constant = last.len() > 1
        && last
            .chars()
            .all(|c| c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit())
        && last.chars().any(|c| c.is_ascii_uppercase());
    if constant {
        return false;
    }
    // The fields of a submitted form (`form.cleaned_data.items()`): a fixed set.
    if [
        "cleaned_data",
        "cleaned_data.items()",
        "cleaned_data.keys()",
    ]
    .iter()
    .any(|s| t.trim_end().ends_with(s))
    {
        return false;
    }
    // The words below name a variable (`chunk`, `page_obj`, `batch`), not a class: a model
    // written first (`Page.objects.live()`, `PageRevision.where(...)`) is a table's rows.
    let class_len = t
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
        .map(char::len_utf8)
        .sum::<usize>();
    let lower = if t.starts_with(|c: char| c.is_ascii_uppercase()) {
        t[class_len..].to_ascii_lowercase()
    } else {
        t.to_ascii_lowercase()
    };
    let batched = [
        "chunk",
        "batch",
        "slice",
        "page",
        "partition",
        "in_groups",
        "grouper",
        "each_slice",
    ];
    if batched.iter().any(|b| lower.contains(b)) {
        return false;
    }
    let last_lower = last.to_ascii_lowercase();
    let schemaish = [
        "attributes",
        "attrs",
        "fields",
        "columns",
        "schema",
        "schemas",
        "permissions",
        "perms",
        "locales",
        "languages",
        "plugins",
        "algorithms",
        "mapping",
        "mappings",
        "relations",
        "associations",
        "customfields",
        "roles",
        "models",
        "migrations",
        "tables",
        "indexes",
        "providers",
        "strategies",
        "backends",
    ];
    // The forms of one page (`for form in self.forms`, a formset): as many as it shows.
    let forms = last_lower == "forms"
        || last_lower.ends_with("_forms")
        || last_lower.ends_with("formset")
        || last_lower.ends_with("formsets");
    !schemaish.contains(&last_lower.as_str()) && !forms
}

/// Is the generator `call` returns iterated where it is called: what a loop or
/// comprehension iterates (`for row in rows_of(item)`), or the argument of a call that
/// consumes it (`list(...)`, `sorted(...)`, `"".join(...)`, `any(...)`)?
fn consumed_here(f: &FileFacts, call: &Call) -> bool {
    f.loops
        .iter()
        .any(|l| l.iter_span.is_some_and(|s| s.contains(&call.span)))
        || f.calls.iter().any(|c| {
            c.args.iter().any(|a| a.span == call.span)
                && matches!(
                    c.method(),
                    "list"
                        | "tuple"
                        | "set"
                        | "frozenset"
                        | "dict"
                        | "sorted"
                        | "sum"
                        | "min"
                        | "max"
                        | "any"
                        | "all"
                        | "next"
                        | "join"
                        | "extend"
                        | "update"
                        | "deque"
                        | "Counter"
                )
        })
}

/// Is the call part of a `return`/`break`/`raise` that leaves the loop (so it runs at most
/// once)? A `return` inside a callback loop's own function ends one iteration only.
pub fn leaves_loop(f: &FileFacts, li: Idx, span: &Span, func: Option<Idx>) -> bool {
    let l = &f.loops[li as usize];
    f.exits.iter().any(|&(s, e)| {
        s <= span.start && span.end <= e && l.body.start <= s && e <= l.body.end && func == l.func
    })
}

/// Is the call followed, in the loop's body, by a `break` or `return` that runs whenever
/// the call did (not in a branch, handler or inner loop without the call)? Then the call
/// runs at most once per run of the loop: the first match is written, and the loop ends.
pub fn exits_after(f: &FileFacts, li: Idx, call: &Call) -> bool {
    let l = &f.loops[li as usize];
    // A `return` in a callback loop's function ends one iteration only.
    if call.func != l.func {
        return false;
    }
    let body = l.body;
    let within = |s: u32, e: u32| body.start <= s && e <= body.end;
    let holds_call = |s: u32, e: u32| s <= call.span.start && call.span.end <= e;
    f.exits.iter().zip(&f.exit_texts).any(|(&(s, e), text)| {
        let t = text.trim_start();
        (t.starts_with("break") || t.starts_with("return"))
            && call.span.end <= s
            && within(s, e)
            && !f
                .branches
                .iter()
                .chain(f.rescues.iter())
                .any(|&(bs, be)| within(bs, be) && bs <= s && e <= be && !holds_call(bs, be))
            && !f.loops.iter().any(|o| {
                o.span.start != l.span.start
                    && within(o.span.start, o.span.end)
                    && o.body.start <= s
                    && e <= o.body.end
                    && !holds_call(o.body.start, o.body.end)
            })
            && !f.functions.iter().any(|fun| {
                within(fun.span.start, fun.span.end) && fun.span.start <= s && e <= fun.span.end
            })
    })
}

/// Is the whole loop inside an exception handler of its function (`except ProtectedError:
/// for pk in pks: ...delete()`)? It is the fallback of a set statement that failed.
pub fn loop_in_rescue(f: &FileFacts, li: Idx) -> bool {
    let l = &f.loops[li as usize];
    let start = l.func.map_or(0, |fi| f.functions[fi as usize].span.start);
    f.rescues
        .iter()
        .any(|&(s, e)| start <= s && s <= l.span.start && l.span.end <= e)
}

/// Does the loop iterate a query filtered on one entity's key, written in its header
/// (`for m in Meta.objects.filter(event=other)`, `Redirect.where(wiki_id: id).each`) or
/// assigned to the iterated name (`assign-scoped`)? The children of one entity: usually few.
pub fn scoped_loop(ctx: &Ctx, li: Idx) -> bool {
    let l = &ctx.facts.loops[li as usize];
    let Some(iter) = l.iter.as_deref() else {
        return false;
    };
    if evidence(ctx, li) == Some("assign-scoped") {
        return true;
    }
    model_query(ctx, iter) && one_entity(ctx, &unwrap_iter(iter))
}

/// Is the loop header a model query written there (`User.objects.filter(...)`,
/// `Issue.where(...)`, `await User.findAll()`)?
fn model_query(ctx: &Ctx, iter: &str) -> bool {
    let t = unwrap_iter(iter);
    let t = t
        .trim()
        .trim_start_matches("await ")
        .trim_start_matches('(');
    let head: String = t
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
        .collect();
    let head = head.rsplit("::").next().unwrap_or(&head);
    !head.is_empty() && (t.contains(".objects.") || ctx.index.is_any_model(head))
}

/// Does the loop iterate the rows of a query: a model query written in its header
/// (`for u in User.objects.all()`, `Issue.where(...).each`), a name assigned from a query in
/// the function, a to-many relation of an outer loop's row, or the rows of a file?
pub fn query_rows(ctx: &Ctx, li: Idx) -> bool {
    let l = &ctx.facts.loops[li as usize];
    match evidence(ctx, li) {
        Some("query-call" | "assign-query" | "relation-of-row" | "relation-big" | "file") => true,
        Some("model") => l.iter.as_deref().is_some_and(|iter| model_query(ctx, iter)),
        _ => false,
    }
}

/// Is the span inside an exception handler within the loop's body (a fallback that runs
/// only when something failed)?
pub fn in_rescue(f: &FileFacts, li: Idx, span: &Span) -> bool {
    let body = f.loops[li as usize].body;
    f.rescues
        .iter()
        .any(|&(s, e)| s <= span.start && span.end <= e && body.start <= s && e <= body.end)
}

/// Is the span inside a branch of the loop's body that also records the item's group key
/// in a name set before the loop (`if last != row.event: last = row.event; ...`)? Over
/// rows ordered by that key, the branch runs once per group, not once per row.
pub fn group_guarded(f: &FileFacts, li: Idx, span: &Span) -> bool {
    let l = &f.loops[li as usize];
    let body = l.body;
    let vars: Vec<&String> = l.vars.iter().collect();
    if vars.is_empty() {
        return false;
    }
    f.branches.iter().any(|&(s, e)| {
        body.start <= s
            && e <= body.end
            && s <= span.start
            && span.end <= e
            && f.assigns.iter().any(|a| {
                s <= a.span.start
                    && a.span.end <= e
                    && vars
                        .iter()
                        .any(|v| crate::index::mentions(&a.value_text, v))
                    && a.targets.iter().any(|t| {
                        f.assigns.iter().any(|b| {
                            b.func == l.func
                                && b.span.end <= l.span.start
                                && b.targets.iter().any(|x| x == t)
                        })
                    })
            })
    })
}

/// Every call inside a loop that does database work, the outermost call of a chain only.
pub fn db_work<'a>(ctx: &Ctx<'a>) -> Vec<InLoop<'a>> {
    let f = ctx.facts;
    let mut found: Vec<InLoop<'a>> = Vec::new();
    // Tests, test-data factories and one-off schema migrations are not where requests wait.
    if crate::handlers::is_test_path(ctx.path)
        || crate::handlers::is_migration_path(ctx.path)
        || crate::handlers::imports_test_factories(f)
    {
        return found;
    }
    let mut evidence: std::collections::HashMap<Idx, bool> = std::collections::HashMap::new();
    for call in &f.calls {
        let Some(li) = call.in_loop else { continue };
        if !loop_counts(f, li)
            || leaves_loop(f, li, &call.span, call.func)
            || in_rescue(f, li, &call.span)
            || group_guarded(f, li, &call.span)
        {
            continue;
        }
        if !*evidence.entry(li).or_insert_with(|| many_items(ctx, li)) {
            continue;
        }
        if let Some(op) = ctx.index.db_op(f, call) {
            if !crate::index::runs_here(f, &op, call) {
                continue;
            }
            // A query that does not use the item is the same on every pass: cached,
            // invariant, or not a lookup per item. A commit after a write of the item is per
            // item too.
            // A write over the rows of a query that is not a model's table (`manager.find(
            // ApiKey, {where: {userId}})`, a task's rows): on the corpus these were mostly
            // the few rows of one entity.
            if op.write
                && matches!(
                    self::evidence(ctx, li),
                    Some("assign-query" | "assign-scoped")
                )
            {
                continue;
            }
            let commit = op.write && matches!(call.method(), "commit" | "flush");
            if !(uses_item(f, li, call) || commit && writes_item(ctx, li, call)) {
                continue;
            }
            // SQLAlchemy's `session.delete(obj)` only stages the row: the flush sends the
            // deletes together, unless the loop itself flushes or queries.
            if op.api.framework == "sqlalchemy"
                && call.method() == "delete"
                && !loop_talks_to_db(ctx, li, call)
            {
                continue;
            }
            // `session.merge(row)` of a row the same function loaded finds it in the
            // session's identity map: no SELECT.
            if op.api.framework == "sqlalchemy"
                && call.method() == "merge"
                && merges_loaded_row(ctx, li, call)
            {
                continue;
            }
            // A write of a slice (`rows.slice(i, i + size)`, `rows[i:i + size]`) is one
            // statement per chunk.
            let chunk = op.write
                && crate::index::call_texts(call)
                    .0
                    .iter()
                    .any(|t| t.contains(".slice(") || slice_text(t));
            // A bulk form in a loop is one set statement per group or chunk.
            if !op.bulk && !chunk {
                found.push(InLoop {
                    call,
                    loop_idx: li,
                    kind: Work::Op(op),
                });
            }
            continue;
        }
        if let Some(target) = ctx.index.resolve(ctx.files, ctx.file, call) {
            if let Some(h) = ctx.index.helpers.get(&target) {
                // A helper defined in the loop's own function calling itself is recursion, not
                // a helper.
                if target.0 == ctx.file && Some(target.1) == call.func {
                    continue;
                }
                // A helper that queries only on some branch of its own (a cache miss, a rare
                // case) may run no query at all.
                if ctx.index.conditional.contains(&target) {
                    continue;
                }
                // Calling a generator runs none of its body: unless the loop iterates it
                // there, its queries run wherever the generator is consumed.
                if ctx.files[target.0 as usize].1.functions[target.1 as usize].generator
                    && !consumed_here(f, call)
                {
                    continue;
                }
                // The item must reach the helper's query through the arguments.
                let names = item_names(f, li, call.span.start);
                if !crate::index::passes_to_query(ctx.index, ctx.files, target, call, &names) {
                    continue;
                }
                found.push(InLoop {
                    call,
                    loop_idx: li,
                    kind: Work::Helper {
                        path: h.path.clone(),
                        span: h.span,
                        what: h.what.clone(),
                        write: h.write,
                    },
                });
            }
        }
    }
    // Drop calls that are the inner part of a longer chain also found (`X.where().first`,
    // `(await session.execute(q)).scalar_one()`).
    let spans: Vec<(Span, &Call)> = found.iter().map(|w| (w.call.span, w.call)).collect();
    found.retain(|w| {
        !spans.iter().any(|(s, c)| {
            *s != w.call.span
                && s.contains(&w.call.span)
                && c.path.len() > w.call.path.len()
                && (s.start == w.call.span.start
                    || c.path
                        .iter()
                        .zip(&w.call.path)
                        .all(|(a, b)| a.name == b.name))
        })
    });
    found
}

/// The names that carry the current item at `before`: the variables of the loop and of the
/// loops around it, and names assigned from them inside the outermost of those loops.
pub fn item_names(f: &FileFacts, li: Idx, before: u32) -> Vec<String> {
    let mut seeds: Vec<String> = Vec::new();
    let mut cur = Some(li);
    let mut scope = f.loops[li as usize].body;
    let mut guard = 0;
    while let Some(i) = cur {
        guard += 1;
        if guard > 32 {
            break;
        }
        let l = &f.loops[i as usize];
        seeds.extend(l.vars.iter().cloned());
        // A callback's other parameters (`reduce((acc, item) => ...)`, `each_with_index`).
        if l.kind == LoopKind::Callback {
            if let Some(fun) = f.functions.iter().find(|x| x.body == l.body) {
                seeds.extend(fun.params.iter().cloned());
            }
        }
        // `for (let i = 0; i < rows.length; i++)`: the item is `rows[i]`.
        if l.vars.is_empty() || l.kind == LoopKind::For && l.iter_span.is_none() {
            if let Some(it) = &l.iter {
                seeds.push(it.clone());
            }
        }
        scope = l.body;
        cur = l.parent;
    }
    crate::index::carried_names(f, &seeds, scope, before)
}

/// Is the merged object the loop's variable, over rows a query in the same function
/// returned, or rows passed in with the session?
fn merges_loaded_row(ctx: &Ctx, li: Idx, call: &Call) -> bool {
    let f = ctx.facts;
    let l = &f.loops[li as usize];
    let Some(arg) = call.args.first() else {
        return false;
    };
    if !l.vars.contains(&arg.text) {
        return false;
    }
    let Some(iter) = l.iter.as_deref() else {
        return false;
    };
    let name = iter.trim();
    // Rows handed in together with the session they live in (`def clear(tis, session):
    // for ti in tis: session.merge(ti)`): the caller loaded them in that session.
    let handed_in = l.func.is_some_and(|fi| {
        let params = &f.functions[fi as usize].params;
        params.iter().any(|p| p == name) && params.iter().any(|p| p == call.root())
    });
    handed_in
        || f.calls.iter().any(|c| {
            l.iter_span.is_some_and(|s| s.contains(&c.span)) && ctx.index.db_op(f, c).is_some()
        })
        || f.last_assign(l.func, l.span.start, name).is_some_and(|a| {
            f.calls
                .iter()
                .any(|c| a.span.contains(&c.span) && ctx.index.db_op(f, c).is_some())
        })
}

/// Does the text hold a Python slice with a computed end (`rows[i:i + size]`)?
fn slice_text(t: &str) -> bool {
    t.match_indices('[').any(|(i, _)| {
        let rest = &t[i + 1..];
        let end = rest.find(']').unwrap_or(rest.len());
        let inner = &rest[..end];
        match inner.split_once(':') {
            Some((a, b)) => {
                !a.trim().is_empty()
                    && a.trim().chars().all(|c| c.is_alphanumeric() || c == '_')
                    && b.contains('+')
            }
            None => false,
        }
    })
}

/// Does any other call in the loop's body run database work (a query, a flush, a commit)?
fn loop_talks_to_db(ctx: &Ctx, li: Idx, except: &Call) -> bool {
    let f = ctx.facts;
    let body = f.loops[li as usize].body;
    f.calls.iter().any(|c| {
        body.contains(&c.span)
            && c.span != except.span
            && c.method() != "delete"
            && ctx.index.db_op(f, c).is_some()
    })
}

/// Is `text` a query filtered only by equality on literal strings (`where(controller:
/// "boards", action: "edit")`)? In a migration such a query picks a few named rows.
pub fn literal_filter(text: &str) -> bool {
    let Some(pos) = text.find("where(").or_else(|| text.find("filter(")) else {
        return false;
    };
    let rest = &text[pos..];
    let open = rest.find('(').unwrap_or(0);
    let Some(close) = rest.find(')') else {
        return false;
    };
    let inner = &rest[open + 1..close];
    !inner.trim().is_empty()
        && inner.split(',').all(|part| {
            let part = part.trim();
            let Some((key, value)) = part
                .split_once("=>")
                .or_else(|| part.split_once(": "))
                .or_else(|| part.split_once('='))
            else {
                return false;
            };
            let key = key.trim().trim_start_matches(':');
            let value = value.trim();
            // Equality only (not `name__contains`), on a non-empty string.
            !key.is_empty()
                && !key.contains("__")
                && key.chars().all(|c| c.is_alphanumeric() || c == '_')
                && value.len() > 2
                && (value.starts_with('"') && value.ends_with('"')
                    || value.starts_with('\'') && value.ends_with('\''))
        })
}

/// Does another call in the loop write, or hand the same session, something made from the
/// item (`session.add(Event(...item...))` before `session.commit()`)?
fn writes_item(ctx: &Ctx, li: Idx, commit: &Call) -> bool {
    let f = ctx.facts;
    let session = commit.receiver();
    f.calls.iter().any(|c| {
        c.in_loop == Some(li)
            && c.span != commit.span
            && (c.receiver() == session || ctx.index.db_op(f, c).is_some_and(|op| op.write))
            && uses_item(f, li, c)
    })
}

/// Does the call's own text (receiver, method, arguments) use the loop's item?
pub fn uses_item(f: &FileFacts, li: Idx, call: &Call) -> bool {
    let names = item_names(f, li, call.span.start);
    let (texts, cut) = crate::index::call_texts(call);
    cut || texts
        .iter()
        .any(|t| names.iter().any(|n| crate::index::mentions(t, n)))
}

/// Evidence that a loop runs over many items: rows of a query, data from the request, or a
/// plural parameter of its function (`ids`, `orders`). Loops over anything else (a
/// config list, the fields of a schema, one entity's few children, a polling `while`)
/// may be short, and a query in them is not reported.
pub fn many_items(ctx: &Ctx, li: Idx) -> bool {
    evidence(ctx, li).is_some_and(strong)
}

/// Evidence kinds that were mostly right on the hand-checked corpus samples (see
/// `docs/corpus-check-round5-db.md` and `docs/corpus-check-round6-db.md`). Not: a name
/// assigned from a helper's result; a plural parameter (`ids`, `orders`) that no caller is
/// seen to fill with query rows or request data; a query filtered on one entity's key
/// (`filter(user=user)`, `where: { userId }`: one user's keys, one annotation's links).
pub fn strong(kind: &str) -> bool {
    !matches!(
        kind,
        "assign-helper" | "param-plural" | "param-nocaller" | "assign-scoped"
    )
}

/// What [`rows_expr`] found: the kind of evidence, and for a plural parameter, which one
/// (function, position).
#[derive(Debug, Clone, Copy)]
pub struct Ev {
    pub kind: &'static str,
    pub param: Option<(Idx, u8)>,
}

fn ev(kind: &'static str) -> Ev {
    Ev { kind, param: None }
}

/// The kind of evidence that the loop runs over many items (for `N1LINT_DEBUG_EVIDENCE`
/// and for rules that trust some kinds less). A plural parameter counts as `param-fed` when
/// the index saw a caller pass it query rows or request data (`ProjectIndex::fed_params`),
/// or as `param-handler` when its function is a request handler.
pub fn evidence(ctx: &Ctx, li: Idx) -> Option<&'static str> {
    let f = ctx.facts;
    let l = &f.loops[li as usize];
    let iter = l.iter.as_deref()?;
    // Calls up to the end of the iterated expression: a query written in the header
    // (`for c in session.scalars(select(Course))`) is one of them.
    let e = rows_expr(
        ctx,
        l.func,
        l.iter_span.map_or(l.span.start, |s| s.end),
        iter,
        0,
    )?;
    if let Some((fi, pi)) = e.param {
        if ctx.index.fed_params.contains(&(ctx.file, fi, pi)) {
            return Some("param-fed");
        }
        let fun = &f.functions[fi as usize];
        if ctx
            .index
            .request
            .handler_at(ctx.file, &fun.span)
            .is_some_and(|(_, fw)| !matches!(fw, "celery" | "sidekiq" | "activejob" | "middleware"))
        {
            return Some("param-handler");
        }
        if !ctx.index.callers.contains_key(&(ctx.file, fi)) {
            return Some("param-nocaller");
        }
    }
    Some(e.kind)
}

/// For the index: each call in this file to a project function, with the arguments that
/// fill one of its plural parameters (`def f(orders)`), and what the argument is here: rows
/// of a query, request data (`Feed::Rows`), or a plural parameter of the caller itself
/// (`Feed::Param`, decided once every caller is known).
pub fn plural_feeds(ctx: &Ctx, targets: &std::collections::HashSet<(u32, Idx)>) -> Vec<Feed> {
    let f = ctx.facts;
    let mut out = Vec::new();
    for call in &f.calls {
        if call.args.is_empty() || !ctx.index.plural_fn_names.contains(call.method()) {
            continue;
        }
        let Some(target) = ctx.index.resolve(ctx.files, ctx.file, call) else {
            continue;
        };
        if !targets.contains(&target) {
            continue;
        }
        let callee = &ctx.files[target.0 as usize].1.functions[target.1 as usize];
        for (slot, a) in crate::index::arg_slots(callee, call) {
            let crate::index::ArgSlot::Param(idx) = slot else {
                continue;
            };
            if !plural_name(&callee.params[idx]) {
                continue;
            }
            let Some(e) = rows_expr(ctx, call.func, call.span.end, &a.text, 0) else {
                continue;
            };
            let param = (target.0, target.1, idx.min(63) as u8);
            if let Some((fi, pi)) = e.param {
                out.push(Feed::Param(param, (ctx.file, fi, pi)));
            } else if strong(e.kind) {
                out.push(Feed::Rows(param));
            }
        }
    }
    out
}

/// The functions of this file with a loop over one of their own plural parameters (or one
/// of an enclosing function's): the ones whose callers decide whether the loop is long.
pub fn plural_loop_functions(f: &FileFacts) -> Vec<Idx> {
    let mut out: Vec<Idx> = Vec::new();
    for l in &f.loops {
        let Some(iter) = l.iter.as_deref() else {
            continue;
        };
        let head = |text: &str| -> String {
            unwrap_iter(text)
                .trim_start_matches('(')
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect()
        };
        // `rows = list(ids)` before `for r in rows`: follow a name to what it was assigned.
        let mut name = head(iter);
        let mut before = l.span.start;
        for _ in 0..3 {
            let Some(a) = f.last_assign(l.func, before, &name) else {
                break;
            };
            name = head(&a.value_text);
            before = a.span.start;
        }
        if name.is_empty() || !plural_name(&name) {
            continue;
        }
        let owner = f
            .enclosing_functions(l.func)
            .take(16)
            .find(|(_, fun)| fun.params.contains(&name));
        if let Some((fi, _)) = owner {
            if !out.contains(&fi) {
                out.push(fi);
            }
        }
    }
    out
}

/// One caller's argument for a plural parameter (see [`plural_feeds`]).
#[derive(Debug, Clone, Copy)]
pub enum Feed {
    /// (file, function, parameter) receives rows of a query or request data.
    Rows((u32, Idx, u8)),
    /// The first receives whatever the second (a plural parameter of the caller) receives.
    Param((u32, Idx, u8), (u32, Idx, u8)),
}

/// Does a parameter's name say it holds many rows or ids (`ids`, `orders`, `user_list`),
/// rather than a short list (`permissions`, `options`, `fields`)?
pub fn plural_name(name: &str) -> bool {
    let lower = name
        .trim_start_matches(['*', '&', '.'])
        .to_ascii_lowercase();
    let singular_s = [
        "ss", "status", "bonus", "alias", "analysis", "basis", "canvas", "radius", "campus",
        "corpus",
    ];
    let plural = lower.ends_with('s') && !singular_s.iter().any(|x| lower.ends_with(x));
    let small = [
        "permissions",
        "perms",
        "roles",
        "options",
        "settings",
        "kinds",
        "types",
        "choices",
        "statuses",
        "steps",
        "hooks",
        "plugins",
        "fields",
        "attributes",
        "attrs",
        "columns",
        "languages",
        "locales",
        "scopes",
        "flags",
        "args",
        "kwargs",
        "params",
        "headers",
        "parts",
        "names",
        "labels",
        "levels",
        "modes",
        "actions",
    ]
    .contains(&lower.as_str());
    // `merged_attributes`, `extra_headers`, `model_fields`: the attributes of one object,
    // the headers of one request, the fields of one schema.
    let schema = [
        "attributes",
        "attrs",
        "fields",
        "columns",
        "options",
        "settings",
        "headers",
        "permissions",
        "perms",
        "kwargs",
        "params",
        "flags",
        "choices",
    ]
    .iter()
    .any(|s| lower.strip_suffix(s).is_some_and(|p| p.ends_with('_')));
    let small = small || schema;
    (plural && !small) || ["_list", "list", "ids"].iter().any(|s| lower.ends_with(s))
}

/// Print why a finding fired, when `N1LINT_DEBUG_EVIDENCE` is set.
pub fn debug_evidence(ctx: &Ctx, rule: &str, line: u32, work: &str, kind: Option<&str>) {
    if std::env::var_os("N1LINT_DEBUG_EVIDENCE").is_some() {
        eprintln!(
            "evidence\t{}:{}\t{rule}\t{work}\t{}",
            ctx.path,
            line,
            kind.unwrap_or("none")
        );
    }
}

/// [`debug_evidence`] for one piece of database work in a loop.
pub fn debug_work(ctx: &Ctx, rule: &str, w: &InLoop) {
    let work = if matches!(w.kind, Work::Helper { .. }) {
        "helper"
    } else {
        "op"
    };
    debug_evidence(ctx, rule, w.call.span.line, work, evidence(ctx, w.loop_idx));
}

/// `Object.entries(prices)` → `prices`, `price_list.items()` → `price_list`,
/// `enumerate(rows)` → `rows`, `days.times` → `days`.
fn unwrap_iter(text: &str) -> String {
    let mut t = text.trim().trim_start_matches("await ").to_string();
    for _ in 0..4 {
        let before = t.clone();
        for w in [
            "Object.entries(",
            "Object.keys(",
            "Object.values(",
            "enumerate(",
            "sorted(",
            "list(",
            "reversed(",
            "Array.from(",
            "set(",
            "tuple(",
            "iter(",
        ] {
            if let Some(rest) = t.strip_prefix(w) {
                t = rest
                    .trim_end()
                    .strip_suffix(')')
                    .unwrap_or(rest)
                    .split(',')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_string();
            }
        }
        for s in [
            ".items()",
            ".values()",
            ".keys()",
            ".entries()",
            ".each_with_index",
            ".each_pair",
            ".with_index",
            ".times",
            ".each",
            ".iterator()",
            ".all()",
            ".to_a",
            ".lazy",
        ] {
            if let Some(rest) = t.strip_suffix(s) {
                t = rest.to_string();
            }
        }
        if t == before {
            break;
        }
    }
    t
}

/// `[]`, `{}`, `list()`, `new Map()`, `Hash.new`: a collection the code fills later.
fn empty_collection(value: &str) -> bool {
    let v: String = value.chars().filter(|c| !c.is_whitespace()).collect();
    matches!(
        v.as_str(),
        "[]" | "{}"
            | "list()"
            | "set()"
            | "dict()"
            | "OrderedDict()"
            | "defaultdict(list)"
            | "newMap()"
            | "newSet()"
            | "newArray()"
            | "Array.new"
            | "Hash.new"
            | "Set.new"
    )
}

/// The evidence for a collection `name` that starts empty after `after`: what the code puts
/// in it before `before`, by `append`/`push`/`add`/`extend` (or a subscript assignment), and
/// when that happens in a loop, the rows that loop iterates.
fn filled_from(
    ctx: &Ctx,
    func: Option<Idx>,
    after: u32,
    before: u32,
    name: &str,
    depth: u32,
) -> Option<Ev> {
    let f = ctx.facts;
    if depth > 3 {
        return None;
    }
    let fills = f.calls.iter().filter(|c| {
        c.func == func
            && after <= c.span.start
            && c.span.start < before
            && c.path.len() == 2
            && c.root() == name
            && matches!(
                c.method(),
                "append" | "push" | "add" | "extend" | "insert" | "unshift" | "set" | "update"
            )
    });
    let sets = f.assigns.iter().filter(|x| {
        x.func == func
            && after <= x.span.start
            && x.span.start < before
            && x.targets.iter().any(|t| {
                t.strip_prefix(name)
                    .is_some_and(|rest| rest.starts_with('['))
            })
    });
    let sites: Vec<(Span, Option<&str>)> = fills
        .map(|c| (c.span, c.args.first().map(|a| a.text.as_str())))
        .chain(sets.map(|x| (x.span, Some(x.value_text.as_str()))))
        .collect();
    for (span, value) in sites {
        // Filled in a loop: the rows that loop iterates.
        let in_loop = f
            .loops
            .iter()
            .filter(|l| l.func == func && l.body.contains(&span) && l.span.start >= after)
            .min_by_key(|l| l.body.end - l.body.start);
        if let Some(l) = in_loop {
            if let Some(e) = l
                .iter
                .as_deref()
                .and_then(|iter| rows_expr(ctx, func, l.span.start, iter, depth + 1))
            {
                return Some(e);
            }
        }
        // A value put in: rows it holds, or one object built per pass of the loop that fills
        // the collection (`orders.append(Order(...))`: as many as that loop runs).
        if let Some(e) = value.and_then(|v| rows_expr_at(ctx, func, span.start, v, depth + 1, true))
        {
            return Some(e);
        }
    }
    None
}

fn rows_expr(ctx: &Ctx, func: Option<Idx>, before: u32, text: &str, depth: u32) -> Option<Ev> {
    rows_expr_at(ctx, func, before, text, depth, false)
}

/// Does `t` start with the first part of `c`'s dotted path (what `c.dotted()` holds before
/// its first `.`: `Order` of `Order.objects.filter()`, `scope()` of `scope().where()`)?
/// Without building the text: this runs for every call before a loop.
fn starts_with_head(t: &str, c: &Call) -> bool {
    let Some(first) = c.path.first() else {
        return true;
    };
    match first.name.find('.') {
        Some(p) => t.starts_with(&first.name[..p]),
        None => {
            t.starts_with(first.name.as_str())
                && (!(first.called && c.path.len() > 1) || t[first.name.len()..].starts_with("()"))
        }
    }
}

/// [`rows_expr`]; `built` when the text is a value put into a collection, where one object
/// built in memory (`Order(...)`) stands for the many the filling loop builds.
fn rows_expr_at(
    ctx: &Ctx,
    func: Option<Idx>,
    before: u32,
    text: &str,
    depth: u32,
    built: bool,
) -> Option<Ev> {
    let f = ctx.facts;
    // A generator or comprehension: what it iterates.
    if let Some(pos) = text.rfind(" in ") {
        if text[..pos].contains(" for ") {
            let inner = text[pos + 4..].trim().trim_end_matches([')', ']', '}']);
            return rows_expr_at(ctx, func, before, inner, depth + 1, built);
        }
    }
    let unwrapped = unwrap_iter(text);
    let t = unwrapped
        .trim()
        .trim_start_matches("await ")
        .trim_start_matches('(');
    if t.is_empty() || depth > 3 {
        return None;
    }
    // A literal written in the code (`{"a": f, "b": g}`, `[x, y]`): a fixed, short list.
    // An empty one (`[]`, `{}`) is filled later, from whatever the code collects.
    let literal = t.starts_with(['{', '[']) || t.starts_with("%w") || t.starts_with("%i");
    if literal && t.trim_end().len() > 2 && !t.contains(" for ") {
        return None;
    }
    // Rows of a query: a model constant, a Django manager, a query call.
    let head: String = t
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
        .collect();
    let head_model = head.rsplit("::").next().unwrap_or(&head);
    if !head_model.is_empty() && ctx.index.is_any_model(head_model) || t.contains(".objects.") {
        // `IPAddress(host=...)`, `Issue.new`: one object built in memory, not a table's rows.
        if !built && head_model == head.as_str() && constructor(&t[head.len()..]) {
            return None;
        }
        // `Config.get("base_urls")`, `Setting.find_by(key: k)`: one row (a value kept in
        // the database), not a table's rows.
        if single_row(t) {
            return None;
        }
        // `Relationship.objects.get_for_model(cls)`, `filter(model=self.__class__)`: the rows
        // that configure one model class (its custom fields, relationships, webhooks).
        if schema_rows(t) {
            return None;
        }
        // `Component.objects.filter(pk__in=ids)`: no more rows than keys.
        if primary_keys(t).is_some_and(|keys| !many_keys(ctx, func, before, keys, depth)) {
            return None;
        }
        return Some(ev("model"));
    }
    if f.calls_in(func).any(|c| {
        c.span.start < before
            && starts_with_head(t, c)
            && ctx.index.db_op(f, c).is_some()
            && t.contains(c.method())
    }) {
        return Some(ev("query-call"));
    }
    // Request data, and rows read from a file.
    let lower = t.to_ascii_lowercase();
    if ["csv", "each_line", "readlines", "dictreader", "reader("]
        .iter()
        .any(|p| lower.contains(p))
    {
        return Some(ev("file"));
    }
    if json_file(&lower) {
        return Some(ev("json-file"));
    }
    if [
        "request.",
        "req.body",
        "req.query",
        "req.params",
        "params[",
        "params.",
        "ctx.request",
        "payload",
        "request_data",
        "body.",
    ]
    .iter()
    .any(|p| lower.starts_with(p) || lower.contains(&format!("({p}")))
        // `request.app.state.MODELS`: the application's state (configuration), not data
        // the client sent.
        && !["request.app.", "request.state.", "req.app."]
            .iter()
            .any(|p| lower.contains(p))
    {
        return Some(ev("request"));
    }
    // A to-many relation of a row that an outer loop iterates (`order.items.all()` inside
    // `for order in orders`). The children of one entity (`self.event.items`, a parameter's
    // `lines`) are usually few, and are not evidence.
    let parts: Vec<&str> = t.split(['.', '(', ')']).filter(|s| !s.is_empty()).collect();
    if parts.len() >= 2
        && ctx
            .index
            .relation_names
            .get(parts[1])
            .copied()
            .unwrap_or(false)
    {
        // Read with the tools for big sets (`.iterator()`, `.annotate(...)`, `find_each`):
        // the author expects many.
        let big = [
            "iterator",
            "annotate",
            "only",
            "defer",
            "select_related",
            "prefetch_related",
            "find_each",
            "includes",
            "preload",
            "eager_load",
        ];
        if parts.iter().skip(2).any(|p| big.contains(p)) {
            return Some(ev("relation-big"));
        }
        return outer_row(ctx, before, parts[0]).then(|| ev("relation-of-row"));
    }
    // A name: where it came from.
    let name: String = t
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '@' || *c == '.')
        .collect();
    let name = name.trim_end_matches('.').to_string();
    // `self.items`, `this.rows` keep two segments; `days.times` is `days`.
    let name = if name.starts_with("self.") || name.starts_with("this.") {
        name.splitn(3, '.').take(2).collect::<Vec<_>>().join(".")
    } else {
        name.split('.').next().unwrap_or("").to_string()
    };
    let base = name
        .trim_start_matches("self.")
        .trim_start_matches("this.")
        .trim_start_matches('@');
    if name.is_empty() {
        return None;
    }
    if let Some(a) = f.last_assign(func, before, &name) {
        if let Some(ci) = a.value_call {
            let c = &f.calls[ci as usize];
            if ctx.index.db_op(f, c).is_some() {
                if schema_rows(&a.value_text)
                    || catalog_rows(&a.value_text)
                    || primary_keys(&a.value_text)
                        .is_some_and(|keys| !many_keys(ctx, func, a.span.start, keys, depth))
                {
                    return None;
                }
                if one_entity(ctx, &spread_filters(ctx, func, a.span.start, &a.value_text)) {
                    return Some(ev("assign-scoped"));
                }
                return Some(ev("assign-query"));
            }
            if ctx
                .index
                .resolve(ctx.files, ctx.file, c)
                .is_some_and(|t| ctx.index.helpers.contains_key(&t))
            {
                return Some(ev("assign-helper"));
            }
        }
        // An empty collection filled later: the rows of what fills it.
        if empty_collection(&a.value_text) {
            return filled_from(ctx, func, a.span.end, before, &name, depth + 1);
        }
        return rows_expr_at(ctx, func, a.span.start, &a.value_text, depth + 1, built);
    }
    // A parameter of the function, or of a function around it (`ids`, `price_list`).
    // Only parameters whose name says they hold many rows or ids: a parameter alone may be a
    // short list (permissions, one order's lines).
    if !plural_name(base) {
        return None;
    }
    f.enclosing_functions(func).take(16).find_map(|(fi, fun)| {
        let pi = fun.params.iter().position(|p| p == base)?;
        Some(Ev {
            kind: "param-plural",
            param: Some((fi, pi.min(63) as u8)),
        })
    })
}

/// Is the text a JSON document read from a file (`json.load(handle)`, not `json.loads` of a
/// string)? An import command's records: one per user, component or row of a dump, as many
/// as the file holds, like the rows of a CSV file. Its own evidence kind (`json-file`):
/// `write-in-loop` does not take it, since a JSON file as often holds a few settings (the
/// tabs of one project's UI) written back one by one.
fn json_file(lower: &str) -> bool {
    lower.starts_with("json.load(") || lower.contains("(json.load(")
}

/// `filter(**query_args)` after `query_args = {"task": task, "annotation": instance}` in the
/// same function: the text with the dictionary written in place of the spread, so that its
/// conditions read as if they were written in the call.
fn spread_filters(ctx: &Ctx, func: Option<Idx>, before: u32, text: &str) -> String {
    let Some(pos) = text.find("(**") else {
        return text.to_string();
    };
    let name: String = text[pos + 3..]
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    let Some(a) = ctx.facts.last_assign(func, before, &name) else {
        return text.to_string();
    };
    let dict = a.value_text.trim();
    if name.is_empty() || !dict.starts_with('{') || !dict.ends_with('}') {
        return text.to_string();
    }
    format!(
        "{}({}{}",
        &text[..pos],
        &dict[1..dict.len() - 1],
        &text[pos + 3 + name.len()..]
    )
}

/// Is `text` a query filtered by equality on one entity's key (`filter(user=user)`,
/// `where(project_id: project.id)`, `where: { userId }`, `Link.user_id == user.id`)? Its rows
/// are the children of one entity: one user's keys, one annotation's links, usually few. A
/// filter on other columns (`status="paid"`), on a list (`id__in=ids`, `In(ids)`) or none at
/// all reads the table.
pub fn one_entity(ctx: &Ctx, text: &str) -> bool {
    let key_like = |key: &str| {
        let key = key.trim().trim_start_matches(':').trim_matches(['"', '\'']);
        let last = key.rsplit(['.', ' ']).next().unwrap_or(key);
        let mut segs: Vec<&str> = last.split("__").collect();
        // `event__organizer=org` is scoped too; `id__in=ids`, `created__gt=t` are not
        // equality.
        if segs.len() > 1 {
            let op = segs[segs.len() - 1];
            if !["id", "pk", "exact"].contains(&op)
                && !ctx.index.relation_names.contains_key(op)
                && !op.ends_with("_id")
            {
                return None;
            }
            if op == "exact" {
                segs.pop();
            }
        }
        let last = segs.last().copied().unwrap_or("");
        if last.is_empty() || !last.chars().all(|c| c.is_alphanumeric() || c == '_') {
            return None;
        }
        let lower = last.to_ascii_lowercase();
        Some(
            lower == "id"
                || lower == "pk"
                || lower.ends_with("_id")
                || last.ends_with("Id")
                || ctx.index.relation_names.contains_key(last)
                || ctx.index.relation_names.contains_key(segs[0]),
        )
        .map(|fk| (fk, last.to_string()))
    };
    // A value naming one thing: `user`, `self.event`, `user.id`, `@project.id`, `req.params.id`.
    let scalar = |value: &str| {
        // The value ends where its bracket closes (`id: x).to_a`).
        let v = value
            .split([')', '}'])
            .next()
            .unwrap_or("")
            .trim_end_matches(']');
        let v = v.trim();
        let first = v.chars().next();
        if !first.is_some_and(|c| c.is_alphabetic() || c == '_' || c == '@') {
            return false;
        }
        if [
            "true",
            "false",
            "True",
            "False",
            "None",
            "nil",
            "null",
            "undefined",
        ]
        .contains(&v)
        {
            return false;
        }
        // `options['organization']`, `params[:id]` name one value too.
        if !v.chars().all(|c| {
            c.is_alphanumeric() || matches!(c, '_' | '.' | '@' | '$' | '[' | ']' | '\'' | '"' | ':')
        }) {
            return false;
        }
        // `cart_id=OuterRef("cart_id")`, `F("x")`: a column of the rows, not one value.
        if matches!(v, "OuterRef" | "F" | "Subquery") {
            return false;
        }
        let last = v.rsplit('.').next().unwrap_or(v);
        // `status=Order.STATUS_PENDING`: a constant, a state many rows share.
        if last.len() > 1
            && last
                .chars()
                .all(|c| c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit())
        {
            return false;
        }
        let last = last.to_ascii_lowercase();
        // `project_id: project_ids`: a list, an `IN`.
        !(last.ends_with("ids") || last.ends_with("list"))
    };
    let mut found = false;
    // Keyword and hash conditions: `user=user`, `project_id: x`, `:user => u`, `a.b == c`.
    for part in text.split(['(', ',', '{', '[', '\n']) {
        let part = part
            .trim_end_matches(|c: char| matches!(c, ')' | '}' | ']') || c.is_whitespace())
            .trim();
        let (key, value) = if let Some((k, v)) = part.split_once("==") {
            (k, v)
        } else if let Some((k, v)) = part.split_once("=>") {
            (k, v)
        } else if let Some((k, v)) = part.split_once(": ") {
            (k, v)
        } else if let Some((k, v)) = part.split_once('=') {
            if k.ends_with(['!', '<', '>']) || v.starts_with('=') {
                continue;
            }
            (k, v)
        } else {
            // `where: { userId }`: shorthand for `userId: userId`.
            let p = part.trim();
            if !p.is_empty()
                && p.chars().all(|c| c.is_alphanumeric() || c == '_')
                && (p.ends_with("Id") || p.ends_with("_id"))
                && text.contains("where")
            {
                found = true;
            }
            continue;
        };
        let Some((fk, _)) = key_like(key) else {
            continue;
        };
        if fk && scalar(value) {
            found = true;
        }
    }
    found
}

/// May the keys of a query that picks rows by primary key be many? The query returns no
/// more rows than keys, so when nothing says the keys are many (a set of a few ids built
/// in the function, the rows of one formset, a name that is not plural) nothing says the
/// rows are. Keys with evidence of their own (rows of a query, request data, a plural
/// parameter) leave the query's evidence as it was. Keys a user picked in a submitted form
/// (`pk__in=form.cleaned_data["pk"]`, or a set filled from the rows so picked) are many too,
/// as `request.POST.getlist("pk")` is.
fn many_keys(ctx: &Ctx, func: Option<Idx>, before: u32, keys: &str, depth: u32) -> bool {
    if rows_expr(ctx, func, before, keys, depth + 1).is_some() {
        return true;
    }
    let f = ctx.facts;
    let form = |t: &str| t.contains("cleaned_data[") || t.contains("cleaned_data.get(");
    if form(keys) {
        return true;
    }
    // A name assigned a form value, or filled in a loop over the rows a form picked.
    let name = keys.trim();
    let Some(a) = f.last_assign(func, before, name) else {
        return false;
    };
    let filled = empty_collection(&a.value_text)
        && f.loops.iter().any(|l| {
            l.func == func
                && l.span.start > a.span.end
                && l.span.end <= before
                && l.iter.as_deref().is_some_and(form)
                && f.calls
                    .iter()
                    .any(|c| l.body.contains(&c.span) && c.path.len() == 2 && c.root() == name)
        });
    form(&a.value_text) || filled
}

/// Is one argument of the query a model class (`cls`, `type(self)`, `self.__class__`,
/// `self.model`, `obj._meta.model`), positional or the value of a keyword? Its rows describe
/// that class: configuration, a handful per model.
fn schema_rows(text: &str) -> bool {
    let class = |v: &str| {
        let v = v.trim();
        matches!(
            v,
            "cls" | "type(self)" | "self.__class__" | "self.model" | "model_class"
        ) || v.ends_with("._meta.model")
    };
    let Some(open) = text.find('(') else {
        return false;
    };
    // The arguments of the chain's calls, at their top level.
    let mut depth = 0i32;
    let mut start = open + 1;
    let mut args: Vec<&str> = Vec::new();
    for (i, c) in text.char_indices().skip_while(|&(i, _)| i < open) {
        match c {
            '(' | '[' | '{' => {
                depth += 1;
                if depth == 1 {
                    start = i + 1;
                }
            }
            ')' | ']' | '}' => {
                if depth == 1 {
                    args.push(&text[start..i]);
                }
                depth -= 1;
            }
            ',' if depth == 1 => {
                args.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    args.iter().any(|a| {
        let value = match a.split_once('=') {
            Some((k, v)) if !v.starts_with('=') && !k.contains(['(', '[']) => v,
            _ => a,
        };
        class(value)
    })
}

/// Does the query read the database's own catalog (`information_schema.columns`,
/// `pg_catalog`, `sqlite_master`)? Its rows describe the schema: a table's columns, a
/// database's tables, fixed by the code's migrations.
fn catalog_rows(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    [
        "information_schema.",
        "pg_catalog.",
        "sqlite_master",
        "sqlite_schema",
        "pragma_table_info",
    ]
    .iter()
    .any(|c| lower.contains(c))
}

/// The key list of a query that picks rows by primary key (`filter(pk__in=ids)`,
/// `filter(id__in=[a.pk for a in rows], ...)`, Ruby `where(id: ids)`): the query returns at
/// most one row per key, so the rows are as many as the keys, and the keys carry the
/// evidence. Only the top-level arguments of the query's calls count.
fn primary_keys(text: &str) -> Option<&str> {
    let keys = ["pk__in=", "id__in=", "id: ", ":id => "];
    let bytes = text.as_bytes();
    let mut depth = 0i32;
    let mut quote: Option<u8> = None;
    for (i, &b) in bytes.iter().enumerate() {
        if let Some(q) = quote {
            if b == q && bytes.get(i.wrapping_sub(1)) != Some(&b'\\') {
                quote = None;
            }
            continue;
        }
        match b {
            b'"' | b'\'' => quote = Some(b),
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth -= 1,
            _ => {}
        }
        // An argument of a call of the chain: inside its parentheses, at the start of an
        // argument (`(pk__in=`, `, id__in=`).
        if depth != 1 || !matches!(b, b'(' | b',') {
            continue;
        }
        let rest = text[i + 1..].trim_start();
        let Some(key) = keys.iter().find(|k| rest.starts_with(**k)) else {
            continue;
        };
        // Ruby's `id:` only in `where(...)`.
        if key.contains(':') && !text[..i].ends_with("where") {
            continue;
        }
        let value = &rest[key.len()..];
        let mut d = 0i32;
        let end = value
            .char_indices()
            .find(|&(_, c)| {
                match c {
                    '(' | '[' | '{' => d += 1,
                    ')' | ']' | '}' => d -= 1,
                    _ => {}
                }
                d < 0 || d == 0 && c == ','
            })
            .map_or(value.len(), |(j, _)| j);
        let value = value[..end].trim();
        return (!value.is_empty()).then_some(value);
    }
    None
}

/// Does the text after a model's name build one new instance: a call of the class itself
/// (`Order(...)` in Python) or Ruby's `Order.new` / `Order.new(...)`?
fn constructor(rest: &str) -> bool {
    // Python models take keyword arguments (`Order(event=e)`); a positional argument
    // (`Counter(ids)`) is more often a wrapper around a collection.
    let keywords = rest.strip_prefix('(').is_some_and(|args| {
        let args = args.trim_start();
        args.starts_with(')') || {
            let key: String = args
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            !key.is_empty()
                && args[key.len()..].trim_start().starts_with('=')
                && !args[key.len()..].trim_start().starts_with("==")
        }
    });
    keywords
        || rest
            .strip_prefix(".new")
            .is_some_and(|r| !r.starts_with(|c: char| c.is_alphanumeric() || c == '_'))
}

/// Does the chain end in a call that returns one row (`.get(...)`, `.first`,
/// `.findOne(...)`, `.find_by(...)`)? Only calls outside any brackets count.
fn single_row(text: &str) -> bool {
    let mut depth = 0i32;
    let mut last = String::new();
    let mut cur = String::new();
    let mut in_name = false;
    for c in text.chars() {
        match c {
            '(' | '[' | '{' => {
                if depth == 0 && in_name {
                    last = std::mem::take(&mut cur);
                }
                in_name = false;
                depth += 1;
            }
            ')' | ']' | '}' => depth -= 1,
            '.' if depth == 0 => {
                in_name = true;
                cur.clear();
            }
            c if depth == 0 && in_name && (c.is_alphanumeric() || c == '_' || c == '!') => {
                cur.push(c)
            }
            _ => {
                if depth == 0 && in_name && !cur.is_empty() {
                    last = std::mem::take(&mut cur);
                }
                in_name = false;
            }
        }
    }
    if in_name && !cur.is_empty() {
        last = cur;
    }
    matches!(
        last.as_str(),
        "get"
            | "first"
            | "last"
            | "findOne"
            | "findUnique"
            | "findByPk"
            | "find_by"
            | "find_by!"
            | "get_or_none"
            | "one"
            | "one_or_none"
            | "scalar"
            | "value"
    )
}

/// Is `var` the variable of a loop around `at` that runs over many items?
fn outer_row(ctx: &Ctx, at: u32, var: &str) -> bool {
    let f = ctx.facts;
    f.loops.iter().enumerate().any(|(i, l)| {
        l.body.start <= at
            && at <= l.body.end
            && l.vars.iter().any(|v| v == var)
            && l.iter.as_deref().is_some_and(|it| !it.contains(var))
            && many_items(ctx, i as Idx)
    })
}

/// The text naming what a loop iterates, for messages.
pub fn loop_subject(l: &Loop) -> String {
    match &l.iter {
        Some(i) if i.len() <= 60 && !i.contains('\n') => format!("`{i}`"),
        Some(_) => "a collection".into(),
        None => match l.kind {
            LoopKind::While => "a `while` loop".into(),
            _ => "the loop".into(),
        },
    }
}

/// The label and related location for the loop.
pub fn loop_related(l: &Loop) -> Related {
    let message = match &l.iter {
        Some(i) if i.len() <= 60 && !i.contains('\n') => format!("loops over `{i}`"),
        _ => "the loop".into(),
    };
    Related {
        span: l.header,
        message,
        path: None,
    }
}

/// Is this callback loop the argument of `Promise.all(...)` (parallel, still one query per
/// item)?
pub fn in_promise_all(f: &FileFacts, l: &Loop) -> bool {
    l.kind == LoopKind::Callback
        && f.calls.iter().any(|c| {
            matches!(
                c.dotted().as_str(),
                "Promise.all" | "Promise.allSettled" | "asyncio.gather"
            ) && c.span.contains(&l.span)
                && c.span != l.span
        })
}

pub fn finding(
    rule: &'static str,
    span: Span,
    message: String,
    label: String,
    help: String,
    related: Vec<Related>,
    hash: u64,
) -> Finding {
    Finding {
        rule,
        span,
        message,
        label,
        help,
        related,
        code_hash: hash,
        fix: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `starts_with_head` answers what `t.starts_with(c.dotted().split('.').next())` answers,
    /// for every call of every fixture and texts that do and do not start with it.
    #[test]
    fn head_test_matches_the_dotted_text() {
        let mut checked = 0;
        for (path, lang, src) in crate::lang::fixture_sources() {
            let Ok(f) = crate::facts::extract(lang, &src, &Default::default()) else {
                continue;
            };
            for c in &f.calls {
                let dotted = c.dotted();
                let head = dotted.split('.').next().unwrap_or("").to_string();
                let root = c.root().to_string();
                for t in [
                    dotted.clone(),
                    format!("{dotted}.all"),
                    root.clone(),
                    format!("{root}()"),
                    format!("{root}x"),
                    format!("x{head}"),
                    String::new(),
                ] {
                    assert_eq!(
                        starts_with_head(&t, c),
                        t.starts_with(&head),
                        "{t:?} for {dotted:?} in {}",
                        path.display()
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 10_000, "only {checked} texts checked");
    }
}
