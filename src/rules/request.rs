//! What the request-path rules share: where a call runs, and where its result goes.

use crate::facts::{Call, FileFacts, Idx};
use crate::handlers;
use crate::rules::Ctx;

/// Is the call in server code on a request path (a handler, or a function one reaches)?
pub fn on_request_path(ctx: &Ctx, call: &Call) -> bool {
    ctx.server_code && ctx.index.request.covers(ctx.file, ctx.facts, call)
}

/// Is the call inside an `async` function (any enclosing one)?
pub fn in_async(f: &FileFacts, call: &Call) -> bool {
    f.enclosing_functions(call.func)
        .any(|(_, func)| func.is_async)
}

/// Is the innermost function around the call an `async` one?
pub fn directly_in_async(f: &FileFacts, call: &Call) -> bool {
    call.func.is_some_and(|i| f.functions[i as usize].is_async)
}

/// Is the call inside an argument of a call that moves work off the event loop
/// (`asyncio.to_thread`, `run_in_executor`, `sync_to_async`)?
pub fn offloaded(f: &FileFacts, call: &Call) -> bool {
    f.calls_around(call).any(|c| {
        matches!(
            c.method(),
            "to_thread"
                | "run_in_executor"
                | "sync_to_async"
                | "run_sync"
                | "defer_to_thread"
                | "setImmediate"
        )
    })
}

/// Does `name` appear as a whole word in `text`?
pub fn mentions(text: &str, name: &str) -> bool {
    if name.is_empty() {
        return false;
    }
    let b = text.as_bytes();
    let mut from = 0;
    while let Some(p) = text[from..].find(name) {
        let s = from + p;
        let e = s + name.len();
        let before =
            s == 0 || !(b[s - 1].is_ascii_alphanumeric() || b[s - 1] == b'_' || b[s - 1] == b'.');
        let after = e >= b.len() || !(b[e].is_ascii_alphanumeric() || b[e] == b'_');
        if before && after {
            return true;
        }
        from = e;
    }
    false
}

/// Does `name` appear in `text` as the rows themselves, not only through an aggregate of
/// them (`items.length`, `items.reduce(...)`)?
fn mentions_rows(text: &str, name: &str) -> bool {
    let mut from = 0;
    while let Some(p) = text[from..].find(name) {
        let s = from + p;
        let e = s + name.len();
        let rest = &text[e..];
        let aggregate = [
            ".length",
            ".reduce(",
            ".size",
            ".count",
            ".some(",
            ".every(",
            ".includes(",
            ".find(",
            ".total",
        ]
        .iter()
        .any(|a| rest.starts_with(a));
        if !aggregate
            && mentions(&text[s..], name)
            && (s == 0 || !text.as_bytes()[s - 1].is_ascii_alphanumeric())
        {
            return true;
        }
        from = e;
    }
    false
}

/// Does the `return` statement `t` hand back the rows named `name` themselves (`return
/// rows`, `return { data: rows }`, `return rows.map(...)`), not only a value computed from
/// them by another call (`return combineScopes(user, rows)`)?
pub fn returns_rows(t: &str, name: &str) -> bool {
    let r = t.trim_start_matches("return").trim_start();
    let r = r.strip_prefix("await ").unwrap_or(r);
    let mut from = 0;
    while let Some(p) = r[from..].find(name) {
        let s = from + p;
        let depth = r[..s].matches('(').count() as i64 - r[..s].matches(')').count() as i64;
        // A whole word, not a quoted key (`{"rows": len(rows)}`).
        let word_start = s == 0 || {
            let b = r.as_bytes()[s - 1];
            !(b.is_ascii_alphanumeric() || b"_.$\"'`".contains(&b))
        };
        if depth <= 0 && word_start && mentions_rows(&r[s..], name) {
            return true;
        }
        from = s + name.len();
    }
    false
}

/// Response calls: the rows given to one of these go back to the client.
fn is_response_call(c: &Call) -> bool {
    let m = c.method();
    matches!(
        m,
        "json"
            | "send"
            | "jsonify"
            | "JsonResponse"
            | "Response"
            | "render"
            | "render_to_response"
            | "ok"
            | "JSONResponse"
            | "ORJSONResponse"
            | "TemplateResponse"
    ) || (m.ends_with("Serializer") && c.keyword("many").is_some_and(|a| a.text == "True"))
}

/// Do the rows of `call` go back to the client: returned, passed to a response, or
/// assigned to a name that is?
pub fn flows_to_response(ctx: &Ctx, call: &Call) -> bool {
    rows_leave(ctx.facts, call)
}

/// Does the result of `call` (one of `f.calls`) leave the function it is in: passed to a
/// response call, returned, or assigned to a name that is?
pub fn rows_leave(f: &FileFacts, call: &Call) -> bool {
    // Directly inside a response call or a return.
    if f.calls_around(call).any(is_response_call) {
        return true;
    }
    if exit_contains(f, call) {
        return true;
    }
    // Assigned to a name used later in a response or a return of the same function.
    let Some(a) = f.assign_of(call) else {
        return false;
    };
    let names: Vec<&str> = a.targets.iter().map(|t| t.as_str()).collect();
    f.calls.iter().any(|c| {
        c.func == call.func
            && c.span.start > a.span.end
            && is_response_call(c)
            && c.args
                .iter()
                .any(|x| names.iter().any(|n| mentions_rows(&x.text, n)))
    }) || f.exits.iter().zip(&f.exit_texts).any(|((s, _), t)| {
        *s > a.span.end
            && func_of_offset(f, *s) == call.func
            && t.starts_with("return")
            && !t.contains(").size")
            && !t.contains(").length")
            && names.iter().any(|n| returns_rows(t, n))
    }) || f.assigns.iter().any(|b| {
        b.func == call.func
            && b.span.start > a.span.end
            && b.targets.iter().any(|t| t.ends_with(".body"))
            && names.iter().any(|n| mentions(&b.value_text, n))
    })
}

/// The call's value is what a `return` hands back: the call is the returned expression,
/// or part of it outside any other call's arguments (`return { rows: find() }`), and
/// nothing is chained on it (`return find().length`).
fn exit_contains(f: &FileFacts, call: &Call) -> bool {
    f.exits.iter().zip(&f.exit_texts).any(|(&(s, e), t)| {
        if !(s <= call.span.start
            && call.span.end <= e
            && t.starts_with("return")
            && func_of_offset(f, s) == call.func)
        {
            return false;
        }
        let (from, to) = ((call.span.start - s) as usize, (call.span.end - s) as usize);
        let (Some(before), after) = (t.get(..from), t.get(to..).unwrap_or("")) else {
            return true;
        };
        let depth = before.matches('(').count() as i64 - before.matches(')').count() as i64;
        let chained = after.trim_start().starts_with(['.', '[']);
        depth <= 0 && !chained
    })
}

fn func_of_offset(f: &FileFacts, off: u32) -> Option<Idx> {
    f.functions
        .iter()
        .enumerate()
        .filter(|(_, x)| x.span.start <= off && off < x.span.end)
        .min_by_key(|(_, x)| x.span.len())
        .map(|(i, _)| i as Idx)
}

/// Names of functions that run once, when the process starts (or at shutdown).
fn startup_name(lang: crate::lang::Lang, name: &str) -> bool {
    const EXACT: &[&str] = &[
        "startup",
        "start",
        "startApp",
        "startServer",
        "init",
        "initialise",
        "bootstrap",
        "boot",
        "setup",
        "main",
        "lifespan",
        "on_startup",
        "startup_event",
        "listen",
        "onModuleInit",
        "onApplicationBootstrap",
        "onModuleDestroy",
        "shutdown",
        "on_shutdown",
        "ready",
    ];
    if EXACT.contains(&name) || (name == "initialize" && lang != crate::lang::Lang::Ruby) {
        return true;
    }
    [
        "setup",
        "bootstrap",
        "startup",
        "init_",
        "initApp",
        "initServer",
    ]
    .iter()
    .any(|p| name.starts_with(p))
}

/// Does the code at `call` run only at startup, from a CLI or at module load: inside a
/// function named as startup code (`startup`, `lifespan`, `bootstrap`, ...), or in a
/// function whose every caller in the project is one of those (up to 3 calls up)?
/// A function with no caller found, or one caller on a request path, is not.
pub fn startup_only(ctx: &Ctx, call: &Call) -> bool {
    let f = ctx.facts;
    // Any enclosing function named as startup code.
    let mut cur = call.func;
    let mut innermost_named = None;
    let mut guard = 0;
    while let Some(i) = cur {
        guard += 1;
        if guard > 32 {
            return false;
        }
        let func = &f.functions[i as usize];
        if startup_name(f.lang, &func.name) {
            return true;
        }
        // A listener or timer registered at startup runs later, once per event.
        if innermost_named.is_none()
            && func.arg_of.is_some_and(|ci| {
                matches!(
                    f.calls[ci as usize].method(),
                    "on" | "once"
                        | "addListener"
                        | "addEventListener"
                        | "subscribe"
                        | "setInterval"
                        | "setTimeout"
                        | "schedule"
                        | "watch"
                )
            })
        {
            return false;
        }
        if innermost_named.is_none() && !func.name.is_empty() && func.arg_of.is_none() {
            innermost_named = Some(i);
        }
        cur = func.parent;
    }
    if ctx.index.request.handler_at(ctx.file, &call.span).is_some() {
        return false;
    }
    match innermost_named {
        Some(i) => only_startup_callers(ctx, (ctx.file, i), 0),
        None => false,
    }
}

fn only_startup_callers(ctx: &Ctx, target: (u32, Idx), depth: u32) -> bool {
    if depth >= 3 {
        return false;
    }
    let mut callers = 0;
    for &(fi, span, func) in ctx.index.callers.get(&target).into_iter().flatten() {
        let (path, ff) = ctx.files[fi as usize];
        callers += 1;
        if handlers::not_server_code(path) {
            continue; // a CLI, a script, a build config
        }
        if ctx.index.request.handler_at(fi, &span).is_some() {
            return false;
        }
        // The caller's own function: startup-named, or called only from startup code.
        let mut cur = func;
        let mut named = None;
        let mut startup = false;
        let mut guard = 0;
        while let Some(i) = cur {
            guard += 1;
            if guard > 32 {
                return false;
            }
            let func = &ff.functions[i as usize];
            if startup_name(ff.lang, &func.name) {
                startup = true;
                break;
            }
            if named.is_none() && !func.name.is_empty() && func.arg_of.is_none() {
                named = Some(i);
            }
            cur = func.parent;
        }
        if startup || func.is_none() {
            continue; // startup code, or module load
        }
        match named {
            Some(g) if (fi, g) != target && only_startup_callers(ctx, (fi, g), depth + 1) => {}
            _ => return false,
        }
    }
    callers > 0
}

/// Is the span inside a branch that runs only in development or tests?
pub fn dev_only(f: &FileFacts, span: &crate::facts::Span) -> bool {
    f.dev_guards
        .iter()
        .any(|&(s, e)| s <= span.start && span.end <= e)
}

/// Is the span inside a branch that runs only when something is missing
/// (`if (!cache)`, `if x is None:`)?
pub fn once_branch(f: &FileFacts, span: &crate::facts::Span) -> bool {
    f.once_guards
        .iter()
        .any(|&(s, e)| s <= span.start && span.end <= e)
}
