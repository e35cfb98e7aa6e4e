//! `sequential-await`: independent awaits run one after another, in straight-line code and
//! in loops.

use std::collections::HashMap;

use super::request::mentions;
use super::{Ctx, Edit, Finding, Related};
use crate::facts::{Assign, Await, AwaitUse, Call, FileFacts, LoopKind, Span};
use crate::handlers;
use crate::lang::Lang;

const ID: &str = "sequential-await";

/// Calls whose order is the point: sleeping, retrying, locking, connection lifecycle, and
/// the combinators that already run things together.
fn ordering_call(c: &Call) -> bool {
    let m = c.method();
    let d = c.dotted();
    matches!(
        m,
        "sleep"
            | "delay"
            | "setTimeout"
            | "wait"
            | "retry"
            | "acquire"
            | "release"
            | "lock"
            | "unlock"
            | "close"
            | "end"
            | "disconnect"
            | "flush"
            | "commit"
            | "rollback"
            | "begin"
            | "connect"
            | "throttle"
            | "all"
            | "allSettled"
            | "race"
            | "any"
            | "gather"
            | "wait_for"
            | "shield"
            | "as_completed"
            | "waitForTimeout"
            | "waitForSelector"
            | "waitForNavigation"
            | "waitFor"
            | "setImmediate"
            | "nextTick"
            | "backoff"
            | "sleep_ms"
            | "timeout"
    ) || d.contains("limiter")
        || d.contains("Limiter")
        || d.contains("retry")
        || d.contains("Retry")
        || m.starts_with("waitFor")
}

const WRITE_VERBS: &[&str] = &[
    "insert",
    "update",
    "delete",
    "remove",
    "save",
    "commit",
    "send",
    "post",
    "put",
    "patch",
    "write",
    "emit",
    "publish",
    "create",
    "destroy",
    "set",
    "add",
    "push",
    "upsert",
    "increment",
    "decrement",
    "append",
    "enqueue",
    "dispatch",
    "notify",
    "execute",
    "run",
    "exec",
    "store",
    "upload",
    "mark",
    "register",
    "unregister",
    "invalidate",
    "clear",
    "reset",
    "apply",
    "submit",
    "approve",
    "cancel",
    "charge",
    "refund",
    "assign",
    "attach",
    "detach",
    "move",
    "copy",
    "rename",
    "sync",
    "import",
    "export",
    "process",
    "handle",
    "trigger",
    "schedule",
    "log",
    "track",
    "record",
    "lock",
    "persist",
    "merge",
    "replace",
    "drop",
    "truncate",
    "grant",
    "revoke",
    "invite",
    "sendMail",
    "mutate",
    "do",
];

fn is_write(ctx: &Ctx, c: &Call) -> bool {
    if let Some(op) = ctx.index.db_op(ctx.facts, c) {
        return op.write;
    }
    let m = c.method();
    let lower = m.to_ascii_lowercase();
    WRITE_VERBS.iter().any(|v| {
        lower == *v
            || (lower.starts_with(v)
                && m.as_bytes()
                    .get(v.len())
                    .is_some_and(|b| b.is_ascii_uppercase() || *b == b'_'))
    })
}

/// The method a call's result comes from: `a.get(x).then(f)` and `a.get(x).catch(f)` are
/// `get`, a private `#load` or `_load` is `load`.
fn effective_method(c: &Call) -> &str {
    let mut segs = c.path.iter().rev();
    let mut m = segs.next().map(|s| s.name.as_str()).unwrap_or("");
    while matches!(m, "then" | "catch" | "finally") {
        match segs.next() {
            Some(s) => m = s.name.as_str(),
            None => return "",
        }
    }
    m.trim_start_matches(['#', '_'])
}

/// The first word of a method name: `getUserById` and `get_user_by_id` give `get`.
fn first_word(m: &str) -> String {
    let mut w = String::new();
    for (i, ch) in m.char_indices() {
        if ch == '_' || ch == '$' || (i > 0 && ch.is_ascii_uppercase()) {
            if w.is_empty() {
                continue;
            }
            break;
        }
        w.push(ch.to_ascii_lowercase());
    }
    w
}

/// Verbs that name a read: a call named so is there for its result, not its effect.
const READ_VERBS: &[&str] = &[
    "get",
    "find",
    "fetch",
    "load",
    "read",
    "list",
    "count",
    "search",
    "lookup",
    "retrieve",
    "has",
    "is",
    "exists",
    "can",
    "does",
    "first",
    "last",
    "select",
    "where",
    "from",
    "all",
    "browse",
    "describe",
    "inspect",
    "download",
    "query",
    "aggregate",
    "hget",
    "hgetall",
    "mget",
    "hmget",
    "smembers",
    "sismember",
    "zrange",
    "lrange",
    "llen",
    "scard",
    "zscore",
    "ttl",
    "head",
    "stat",
    "readdir",
    "scan",
    "total",
    "sum",
    "max",
    "min",
    "avg",
    "peek",
    "quote",
];

/// Plural or noun-like first words that name what a getter returns (`totals`, `usage`,
/// `rolesWithScope`, `settingsInfo`), never an action.
fn noun_like(w: &str) -> bool {
    const NOT_NOUNS: &[&str] = &[
        "process", "access", "pass", "press", "focus", "discuss", "does", "is", "has", "sets",
        "runs", "uses", "adds", "puts", "syncs", "posts", "sends", "takes", "makes", "calls",
        "assess", "bypass", "express", "compress", "progress", "address", "dismiss",
    ];
    w.len() > 3
        && !NOT_NOUNS.contains(&w)
        && ((w.ends_with('s') && !w.ends_with("ss") && !w.ends_with("us"))
            || [
                "age", "info", "data", "stats", "config", "settings", "details", "ity",
            ]
            .iter()
            .any(|x| w.ends_with(x)))
}

/// `getSession()`, `get_client()`, `getConnection()`: a handle, not data. Taking one does
/// little I/O to overlap, or takes a connection the next call may need.
fn handle_getter(m: &str) -> bool {
    let l = m.to_ascii_lowercase();
    [
        "session",
        "client",
        "connection",
        "conn",
        "pool",
        "lock",
        "logger",
        "transaction",
        "cursor",
        "channel",
        "socket",
    ]
    .iter()
    .any(|h| l.ends_with(h))
}

/// A call named like a pure read (`getUser`, `find_orders`, `Config.get`, `aget`, `totals`):
/// any other name (`build`, `verify`, `render`, `prepare`, `resolve`, `import`) may be an
/// effect, a guard or an ordering step, or do no I/O at all.
fn read_named(python: bool, c: &Call) -> bool {
    let m = effective_method(c);
    if m.is_empty() {
        return false;
    }
    let w = first_word(m);
    !chain_writes(c) && !handle_getter(m) && (noun_like(&w) || verb_is_read(python, &w))
}

/// A call whose name starts with a read verb (`getUser`, `fetch_rates`), nouns not included.
fn read_verb(python: bool, c: &Call) -> bool {
    !chain_writes(c) && verb_is_read(python, &first_word(effective_method(c)))
}

/// A builder chain with a write step before its last call (`knex(t).update(x).where(y)`).
fn chain_writes(c: &Call) -> bool {
    c.path[..c.path.len().saturating_sub(1)].iter().any(|s| {
        s.called
            && matches!(
                first_word(s.name.trim_start_matches(['#', '_'])).as_str(),
                "insert"
                    | "update"
                    | "delete"
                    | "del"
                    | "upsert"
                    | "increment"
                    | "decrement"
                    | "truncate"
                    | "create"
                    | "destroy"
                    | "remove"
                    | "save"
                    | "set"
                    | "merge"
            )
    })
}

fn verb_is_read(python: bool, w: &str) -> bool {
    if READ_VERBS.contains(&w) {
        return true;
    }
    // Django and friends name the async twin of a read `aget`, `acount`, `afirst`.
    python && w.len() > 1 && w.starts_with('a') && READ_VERBS.contains(&&w[1..])
}

/// A file's assignments by the names they assign, in file order.
type ByTarget<'f> = HashMap<&'f str, Vec<&'f Assign>>;

fn by_target(f: &FileFacts) -> ByTarget<'_> {
    let mut by: ByTarget = HashMap::new();
    for a in &f.assigns {
        for t in &a.targets {
            let list = by.entry(t.as_str()).or_default();
            // An assignment that names the same target twice is listed once.
            if !list.last().is_some_and(|x| std::ptr::eq(*x, a)) {
                list.push(a);
            }
        }
    }
    by
}

/// The call hands over a session, connection or transaction: as an argument, an option, or
/// in its builder chain (`knex(t).transacting(trx)`, `getRepository(ctx, User).find()`).
fn carries_connection(f: &FileFacts, by: &ByTarget, c: &Call) -> bool {
    sequential_receiver(f, by, c).is_some()
        || c.args.iter().any(|x| connection_token(x).is_some())
        || c.path.iter().any(|s| {
            matches!(
                s.name.as_str(),
                "transacting" | "useTransaction" | "withTransaction" | "setSession" | "session"
            ) && s.called
                || s.args
                    .iter()
                    .any(|a| CONNECTION_NAMES.contains(&a.as_str()))
        })
}

/// A receiver that runs one operation at a time: a transaction, a connection, a session,
/// a cursor, a browser page, a stream.
fn sequential_receiver(f: &FileFacts, by: &ByTarget, c: &Call) -> Option<String> {
    if c.path.len() < 2 {
        return None;
    }
    let root = if matches!(c.root(), "this" | "self") && c.path.len() >= 3 {
        format!("{}.{}", c.root(), c.path[1].name)
    } else {
        c.root().to_string()
    };
    let last = root.rsplit('.').next().unwrap_or(&root);
    // In async Python, `db` is an `AsyncSession` (`db.get(Model, key)`, `db.execute(q)`).
    if last == "db" && f.lang == Lang::Python {
        return Some(root);
    }
    // A pg `Client` (or a mysql connection) runs one query at a time; a pool does not.
    if last == "client" && matches!(c.method(), "query" | "execute" | "exec") {
        return Some(root);
    }
    let by_name = matches!(
        last,
        "tx" | "trx"
            | "transaction"
            | "t"
            | "conn"
            | "connection"
            | "session"
            | "queryRunner"
            | "manager"
            | "cursor"
            | "cur"
            | "page"
            | "browser"
            | "stream"
            | "lock"
            | "socket"
            | "ws"
            | "channel"
            | "file"
            | "fh"
            | "reader"
            | "writer"
            | "db_session"
            | "client_session"
            | "txn"
            | "em"
            | "entityManager"
    );
    let assigned = by.get(root.as_str()).map(Vec::as_slice).unwrap_or_default();
    let created = assigned.iter().any(|a| {
        a.value_call.is_some_and(|ci| {
            let m = f.calls[ci as usize].method().to_string();
            matches!(
                m.as_str(),
                "connect"
                    | "transaction"
                    | "begin"
                    | "acquire"
                    | "getConnection"
                    | "newPage"
                    | "launch"
                    | "createQueryRunner"
                    | "cursor"
                    | "startSession"
                    | "begin_nested"
            )
        })
    });
    if by_name || created {
        return Some(root);
    }
    // `const [q, countQ] = this.queries(em)`, `const repo = trx.getRepository(X)`: built on
    // the connection it was handed or called on.
    assigned.iter().find_map(|a| {
        let vc = &f.calls[a.value_call? as usize];
        if vc.path.len() >= 2 && CONNECTION_NAMES.contains(&vc.root()) {
            return Some(format!("via {}", vc.root()));
        }
        vc.args
            .iter()
            .find_map(connection_token)
            .map(|t| format!("via {t}"))
    })
}

/// Methods that change the receiver they are called on (a later read of it depends).
fn mutates_receiver(m: &str) -> bool {
    matches!(
        m,
        "reload"
            | "refresh"
            | "load"
            | "init"
            | "initialize"
            | "connect"
            | "open"
            | "click"
            | "fill"
            | "type"
            | "press"
            | "goto"
            | "navigate"
            | "select"
            | "check"
            | "submit"
            | "hover"
            | "focus"
            | "tap"
            | "setup"
            | "prepare"
            | "start"
            | "next"
            | "read"
            | "refresh_from_db"
            | "arefresh_from_db"
            | "login"
            | "authenticate"
    )
}

/// Names a connection, session or transaction is usually passed under.
const CONNECTION_NAMES: &[&str] = &[
    "session",
    "db",
    "conn",
    "connection",
    "tx",
    "trx",
    "transaction",
    "manager",
    "queryRunner",
    "client",
    "txn",
    "cursor",
    "cur",
    "db_session",
    "ctx",
    "options",
    "reader",
    "writer",
    "stream",
    "page",
    "browser",
    "socket",
    "queue",
    "lock",
    "em",
    "entityManager",
    "sharedContext",
];

/// Attribute names under which an object holds its session, connection or transaction
/// (`context.session`, `self.conn`): fewer than [`CONNECTION_NAMES`], whose generic names
/// (`options`, `client`, `page`) say nothing once they are an attribute.
const HELD_CONNECTIONS: &[&str] = &[
    "session",
    "db_session",
    "dbsession",
    "conn",
    "connection",
    "tx",
    "trx",
    "txn",
    "transaction",
    "cursor",
    "queryRunner",
    "entityManager",
];

/// Object keys under which a transaction, session or connection is handed to a call
/// (`{ transaction: t }`, `{ transacting }`, `{ session }`).
const CONNECTION_KEYS: &[&str] = &[
    "transaction",
    "transacting",
    "trx",
    "tx",
    "txn",
    "session",
    "connection",
    "conn",
    "client",
    "queryRunner",
    "manager",
    "entityManager",
    "em",
    "knex",
    "sharedContext",
];

/// The connection, session or transaction this argument hands over (by name, keyword or
/// object key), as a token two calls can be compared by.
fn connection_token(x: &crate::facts::Arg) -> Option<String> {
    let t = x
        .text
        .trim_start_matches("session=")
        .trim_start_matches("db=");
    if CONNECTION_NAMES.contains(&t) {
        return Some(t.to_string());
    }
    // `context.session`, `self.db_session`, `this.queryRunner`: a session kept on an object.
    if let Some((owner, last)) = t.rsplit_once('.') {
        if !owner.is_empty()
            && owner
                .chars()
                .all(|ch| ch.is_alphanumeric() || ch == '_' || ch == '.' || ch == '$')
            && HELD_CONNECTIONS.contains(&last)
        {
            return Some(t.to_string());
        }
    }
    if let Some(k) = x.keyword.as_deref() {
        if matches!(
            k,
            "session" | "db" | "conn" | "connection" | "transaction" | "using"
        ) {
            return Some(format!("{k}={}", x.text));
        }
    }
    if x.kind == crate::facts::ArgKind::Object {
        if let Some(k) = x
            .keys
            .iter()
            .find(|k| CONNECTION_KEYS.contains(&k.as_str()))
        {
            return Some(format!("{{{k}}}"));
        }
    }
    None
}

fn eligible(ctx: &Ctx, a: &Await) -> Option<usize> {
    // An await whose result is not used (`await check(id);`) is there for its effect or
    // to throw (a guard): the order is the point.
    if a.multi || a.in_finally || matches!(a.usage, AwaitUse::Other | AwaitUse::Expr) {
        return None;
    }
    // `const s = new S({ schema: await getSchema() })`: the await is nested in the value, and
    // what it binds (`s`) is not its own result.
    if a.usage == AwaitUse::Decl && a.target.is_empty() {
        return None;
    }
    let ci = a.call? as usize;
    let c = &ctx.facts.calls[ci];
    let python = ctx.facts.lang == Lang::Python;
    if ordering_call(c) || c.in_loop.is_some() || !read_named(python, c) {
        return None;
    }
    // Django's async ORM (`Model.objects.aget`) runs every query on one thread: awaits on it
    // do not overlap.
    if python && c.path.iter().any(|s| s.name == "objects") {
        return None;
    }
    if does_no_io(ctx, c) {
        return None;
    }
    Some(ci)
}

/// The callee is a project `async` function that awaits nothing (it validates, builds a
/// closure or a query object): there is nothing to overlap.
fn does_no_io(ctx: &Ctx, c: &Call) -> bool {
    let Some((fi, fx)) = ctx.index.resolve(ctx.files, ctx.file, c) else {
        return false;
    };
    ctx.index.idle_async.contains(&(fi, fx))
}

pub fn check(ctx: &Ctx, out: &mut Vec<Finding>) {
    let f = ctx.facts;
    // Tests order their steps on purpose; schema migrations run once, offline, usually in
    // one transaction.
    if !(f.lang.is_ecma() || f.lang == Lang::Python)
        || handlers::is_test_path(ctx.path)
        || handlers::is_migration_path(ctx.path)
    {
        return;
    }
    let by = by_target(f);
    straight_line(ctx, &by, out);
    in_loops(ctx, &by, out);
}

/// Names, for the question "does this text mention one of them" (`mentions`) asked of many
/// texts: plain names (letters, digits, `_`) are looked up by the words of the text, others
/// searched for one by one.
#[derive(Default)]
struct Names<'f> {
    plain: std::collections::HashSet<&'f str>,
    other: Vec<&'f str>,
}

impl<'f> Names<'f> {
    fn add(&mut self, name: &'f str) {
        if name.is_empty() {
            return;
        }
        if name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            self.plain.insert(name);
        } else if !self.other.contains(&name) {
            self.other.push(name);
        }
    }

    /// Does `text` mention one of the names, as [`mentions`] decides? For a plain name that
    /// is: a whole word of `text` (a longest run of letters, digits and `_`) not after a `.`.
    fn mentioned_in(&self, text: &str) -> bool {
        if !self.plain.is_empty() {
            let b = text.as_bytes();
            let word = |x: u8| x.is_ascii_alphanumeric() || x == b'_';
            let mut i = 0;
            while i < b.len() {
                if !word(b[i]) {
                    i += 1;
                    continue;
                }
                let start = i;
                while i < b.len() && word(b[i]) {
                    i += 1;
                }
                if (start == 0 || b[start - 1] != b'.') && self.plain.contains(&text[start..i]) {
                    return true;
                }
            }
        }
        self.other.iter().any(|n| mentions(text, n))
    }
}

fn straight_line(ctx: &Ctx, by: &ByTarget, out: &mut Vec<Finding>) {
    let f = ctx.facts;
    let mut awaits: Vec<&Await> = f
        .awaits
        .iter()
        .filter(|a| a.func.is_some_and(|i| f.functions[i as usize].is_async))
        .collect();
    awaits.sort_by_key(|a| (a.block, a.index));
    let mut run: Vec<(&Await, usize)> = Vec::new();
    // Per await of the run: its call's sequential receiver and whether it carries a
    // connection, worked out once; and the names the run's awaits bound or changed.
    let mut conn: Vec<(Option<String>, bool)> = Vec::new();
    let mut written = Names::default();
    let flush = |run: &mut Vec<(&Await, usize)>,
                 conn: &mut Vec<(Option<String>, bool)>,
                 written: &mut Names,
                 out: &mut Vec<Finding>| {
        if run.len() >= 2 {
            report_run(ctx, run, out);
        }
        run.clear();
        conn.clear();
        *written = Names::default();
    };
    for a in awaits {
        let Some(ci) = eligible(ctx, a) else {
            flush(&mut run, &mut conn, &mut written, out);
            continue;
        };
        let c = &f.calls[ci];
        let receiver = sequential_receiver(f, by, c);
        let carries = carries_connection(f, by, c);
        if let Some((prev, _)) = run.last() {
            let adjacent = prev.block == a.block
                && prev.index + 1 == a.index
                && prev.func == a.func
                && prev.usage != AwaitUse::Return;
            // Def-use: the later await reads what an earlier one bound or changed.
            let depends = written.mentioned_in(&a.expr_text);
            // One session, connection or transaction handed to both calls.
            // Two calls that each carry a session or transaction (`{ transacting }` on one,
            // `.transacting(trx)` or `getRepository(ctx, X)` on the other) most likely carry
            // the same one: do not pair them.
            let shared_session = carries && conn.iter().any(|(_, b)| *b);
            let same_connection = shared_session
                || receiver
                    .as_deref()
                    .is_some_and(|r| conn.iter().any(|(b, _)| b.as_deref() == Some(r)));
            if !adjacent || depends || same_connection {
                flush(&mut run, &mut conn, &mut written, out);
            }
        }
        // What a later await of the run must not read: the names this one binds, a dotted
        // target it sets, the receiver of a call that changes it.
        for n in &a.binds {
            written.add(n);
        }
        if a.target.contains('.') {
            written.add(&a.target);
        }
        if mutates_receiver(c.method()) && c.path.len() >= 2 {
            written.add(c.root());
        }
        run.push((a, ci));
        conn.push((receiver, carries));
    }
    flush(&mut run, &mut conn, &mut written, out);
}

fn report_run(ctx: &Ctx, run: &[(&Await, usize)], out: &mut Vec<Finding>) {
    let f = ctx.facts;
    // Any write in the run: the order may be the point.
    if run.iter().any(|(_, ci)| is_write(ctx, &f.calls[*ci])) {
        return;
    }
    let python = f.lang == Lang::Python;
    let exprs: Vec<&str> = run.iter().map(|(a, _)| a.expr_text.as_str()).collect();
    let all_const = run.iter().all(|(a, _)| a.usage == AwaitUse::Const);
    let all_expr = run.iter().all(|(a, _)| a.usage == AwaitUse::Expr);
    let targets: Vec<String> = run
        .iter()
        .map(|(a, _)| {
            if a.target.is_empty() {
                "_".to_string()
            } else {
                a.target.clone()
            }
        })
        .collect();
    let rewrite = if python {
        format!(
            "{} = await asyncio.gather({})",
            targets.join(", "),
            exprs.join(", ")
        )
    } else if all_expr {
        format!("await Promise.all([{}]);", exprs.join(", "))
    } else {
        format!(
            "const [{}] = await Promise.all([{}]);",
            targets.join(", "),
            exprs.join(", ")
        )
    };
    let first = run[0].0;
    let last = run[run.len() - 1].0;
    let names: Vec<String> = run
        .iter()
        .map(|(_, ci)| format!("`{}`", f.calls[*ci].dotted()))
        .collect();
    let related: Vec<Related> = run[1..]
        .iter()
        .map(|(a, _)| Related {
            span: a.expr,
            message: "does not use the result of the await above".into(),
            path: None,
        })
        .collect();
    // A fix only where it is a pure reordering: single-name `const` (or Python single
    // assignment) declarations, or bare awaits, adjacent, nothing in between, one line each.
    let one_line = run.iter().all(|(a, _)| a.stmt.line == a.stmt.end_line);
    let fix = ((all_const || all_expr) && one_line && !exprs.iter().any(|e| e.contains('\n')))
        .then(|| {
            let span = Span {
                start: first.stmt.start,
                end: last.stmt.end,
                line: first.stmt.line,
                col: first.stmt.col,
                end_line: last.stmt.end_line,
                end_col: last.stmt.end_col,
            };
            (
                "Run the independent awaits together".to_string(),
                vec![Edit {
                    span,
                    replacement: rewrite.clone(),
                }],
            )
        });
    let combinator = if python {
        "asyncio.gather"
    } else {
        "Promise.all"
    };
    out.push(Finding {
        rule: ID,
        span: first.expr,
        message: format!(
            "{} independent awaits run one after another ({}): each waits for the previous one to finish",
            run.len(),
            names.join(", ")
        ),
        label: format!("first of {} independent awaits", run.len()),
        help: format!("run them together with `{combinator}`: `{rewrite}`"),
        related,
        code_hash: crate::facts::normalised_hash(&exprs.join(";")),
        fix,
    });
}

/// An awaited call in a loop whose iterations do not depend on each other.
fn in_loops(ctx: &Ctx, by: &ByTarget, out: &mut Vec<Finding>) {
    let f = ctx.facts;
    let python = f.lang == Lang::Python;
    let mut reported = std::collections::HashSet::new();
    for a in &f.awaits {
        let Some(ci) = a.call else { continue };
        let c = &f.calls[ci as usize];
        let Some(li) = c.in_loop else { continue };
        let l = &f.loops[li as usize];
        if l.kind != LoopKind::For
            || l.is_await
            || l.literal_iter
            || l.runs_once
            || reported.contains(&li)
        {
            continue;
        }
        if a.func != l.func || !a.func.is_some_and(|i| f.functions[i as usize].is_async) {
            continue;
        }
        // Database work in loops is n-plus-one's or write-in-loop's.
        if ctx.index.db_op(f, c).is_some()
            || ctx
                .index
                .resolve(ctx.files, ctx.file, c)
                .is_some_and(|t| ctx.index.helpers.contains_key(&t))
        {
            continue;
        }
        // A project `async` function that awaits nothing has nothing to overlap.
        if ordering_call(c) || is_write(ctx, c) || does_no_io(ctx, c) {
            continue;
        }
        // An await whose result is dropped runs for its effect (activate, disconnect,
        // reload); a call of the item itself runs a hook or a step of a chain; a session or
        // connection handed to every iteration runs one statement at a time.
        if a.usage == AwaitUse::Expr
            || (c.path.len() == 1 && l.vars.iter().any(|v| v == c.root()))
            || carries_connection(f, by, c)
            || !read_verb(python, c)
        {
            continue;
        }
        // The result lands in a variable of the enclosing scope (`last = await get(x)`, or
        // `found = fetched` after it): the last iteration wins, so the order is the point.
        let plain = |t: &str| {
            !t.is_empty()
                && t.chars()
                    .all(|ch| ch.is_alphanumeric() || ch == '_' || ch == '$')
        };
        let last_wins = (a.usage == AwaitUse::Assign && plain(&a.target))
            || f.assigns.iter().any(|x| {
                l.body.contains(&x.span)
                    && x.targets.len() == 1
                    && plain(&x.targets[0])
                    && !l.vars.contains(&x.targets[0])
                    && a.binds
                        .iter()
                        .any(|b| *b == x.value_text && *b != x.targets[0])
            });
        // Other awaited work in the same iteration that is not a read (create, update, send):
        // the iteration is a read-then-act step, and the acts may not interleave.
        // tree-sitter reads `await (0, m.f)(x)` in a script as a call of a function named
        // `await`: count those too.
        let acts = f.awaits.iter().any(|b| {
            l.body.contains(&b.expr)
                && b.expr != a.expr
                && b.call
                    .is_none_or(|bi| !read_verb(python, &f.calls[bi as usize]))
        }) || f.calls.iter().enumerate().any(|(i, x)| {
            i != ci as usize
                && l.body.contains(&x.span)
                && (x.awaited || x.root() == "await")
                && (is_write(ctx, x) || !read_verb(python, x))
        });
        if last_wins || acts {
            continue;
        }
        // The call must take the item as an argument (an item that is only the receiver,
        // `rule.getRecommendations(x)`, is a plugin or strategy object, not data); the loop
        // must not leave early or carry state.
        let takes_item = |x: &Call| {
            l.vars.iter().any(|v| {
                x.args.iter().any(|arg| mentions(&arg.text, v))
                    || x.path[..x.path.len().saturating_sub(1)]
                        .iter()
                        .any(|s| s.args.iter().any(|t| mentions(t, v)))
            })
        };
        if !takes_item(c) {
            continue;
        }
        // Gathering the iterations would overlap every call of the body: one of them on a
        // shared session or connection (`db=db`) cannot run concurrently with the others.
        if f.calls
            .iter()
            .any(|x| l.body.contains(&x.span) && carries_connection(f, by, x))
        {
            continue;
        }
        let exits = f
            .exits
            .iter()
            .any(|&(s, e)| l.body.start <= s && e <= l.body.end);
        let ordered = f
            .calls
            .iter()
            .any(|x| l.body.contains(&x.span) && ordering_call(x));
        let carried = f.assigns.iter().any(|x| {
            l.body.contains(&x.span)
                && x.targets.iter().any(|t| {
                    f.assigns.iter().any(|y| {
                        y.func == l.func && y.span.end <= l.span.start && y.targets.contains(t)
                    })
                })
        });
        let other_awaits = f.awaits.iter().filter(|b| l.body.contains(&b.expr)).count();
        if exits || ordered || carried || other_awaits > 2 {
            continue;
        }
        reported.insert(li);
        let item = l.vars.first().cloned().unwrap_or_else(|| "item".into());
        let iter = l.iter.clone().unwrap_or_else(|| "items".into());
        let help = if f.lang == Lang::Python {
            format!("run the iterations together: `await asyncio.gather(*({} for {item} in {iter}))`; for large collections bound the concurrency with an `asyncio.Semaphore`", a.expr_text)
        } else {
            format!("run the iterations together: `await Promise.all({iter}.map(async ({item}) => {}))`; for large collections bound the concurrency (p-limit)", a.expr_text)
        };
        out.push(Finding {
            rule: ID,
            span: a.expr,
            message: format!("`{}` is awaited once per item of `{iter}`, one after another, though the iterations do not depend on each other", c.dotted()),
            label: "awaited on every iteration".into(),
            help,
            related: vec![Related { span: l.header, message: format!("loops over `{iter}`"), path: None }],
            code_hash: c.hash,
            fix: None,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `Names::mentioned_in` decides what `mentions` decides, for every await text of every
    /// fixture and every name its file binds, targets or calls on, one name at a time.
    #[test]
    fn names_lookup_matches_mentions() {
        let (mut checked, mut yes) = (0, 0);
        for (path, lang, src) in crate::lang::fixture_sources() {
            let Ok(f) = crate::facts::extract(lang, &src, &Default::default()) else {
                continue;
            };
            let mut names: Vec<&str> = Vec::new();
            for a in &f.awaits {
                names.extend(a.binds.iter().map(String::as_str));
                names.push(&a.target);
            }
            names.extend(f.calls.iter().map(|c| c.root()));
            names.extend(["", "a.b", "$x", "é"]);
            for a in &f.awaits {
                for &n in &names {
                    let mut one = Names::default();
                    one.add(n);
                    let want = mentions(&a.expr_text, n);
                    assert_eq!(
                        one.mentioned_in(&a.expr_text),
                        want,
                        "{n:?} in {:?} ({})",
                        a.expr_text,
                        path.display()
                    );
                    checked += 1;
                    yes += usize::from(want);
                }
            }
        }
        assert!(
            checked > 10_000 && yes > 100,
            "{checked} checked, {yes} mentioned"
        );
    }
}
