//! `write-in-loop`: row-by-row inserts, updates and deletes inside loops.

use std::collections::HashSet;

use super::db_loop::{self, Work};
use super::{Ctx, Finding, Related};
use crate::facts::{Call, FileFacts, Idx};
use crate::lang::Lang;

const ID: &str = "write-in-loop";

pub fn check(ctx: &Ctx, out: &mut Vec<Finding>) {
    let f = ctx.facts;
    let mut seen = HashSet::new();
    for w in db_loop::db_work(ctx) {
        if !w.kind.is_write() {
            continue;
        }
        let l = &f.loops[w.loop_idx as usize];
        if matches!(w.kind, Work::Op(_)) && group_statement(f, w.loop_idx, w.call) {
            continue;
        }
        if direct_children(ctx, w.loop_idx) {
            continue;
        }
        // The records of a JSON file are evidence for reads only (see `db_loop::json_file`).
        if db_loop::evidence(ctx, w.loop_idx) == Some("json-file") {
            continue;
        }
        let subject = db_loop::loop_subject(l);
        let mut related = vec![db_loop::loop_related(l)];
        let (message, help) = match &w.kind {
            Work::Op(op) => (
                format!(
                    "`{}` writes one row per iteration of {subject} (loop at line {})",
                    w.call.dotted(),
                    l.header.line
                ),
                op.api.write_fix.clone(),
            ),
            Work::Helper {
                path, span, what, ..
            } => {
                related.push(Related {
                    span: *span,
                    message: format!("{what} writes"),
                    path: if path == ctx.path {
                        None
                    } else {
                        Some(path.clone())
                    },
                });
                (
                    format!("`{}` writes to the database ({what} at {path}:{}) once per iteration of {subject}", w.call.dotted(), span.line),
                    "collect the rows in the loop and write them once after it with the bulk form".to_string(),
                )
            }
        };
        if seen.insert(w.call.span.start) {
            db_loop::debug_work(ctx, ID, &w);
            out.push(db_loop::finding(
                ID,
                w.call.span,
                message,
                "write on every iteration".into(),
                help,
                related,
                w.call.hash,
            ));
        }
    }
    // A test's own rows (`for r in Rendition.objects.all(): r.delete()` in a test's setup or
    // teardown) are the few the test created; so are a test-data factory's. Database calls
    // and helpers in loops are not reported there either (`db_loop::db_work`).
    if crate::handlers::is_test_path(ctx.path) || crate::handlers::imports_test_factories(f) {
        return;
    }
    instance_writes(ctx, out, &mut seen);
}

/// `record.save`, `order.update(...)`, `entry.delete()` on a model instance that the loop
/// iterates (from a query) or builds (`Model(...)`, `Model.new`, `new Model()`).
fn instance_writes(ctx: &Ctx, out: &mut Vec<Finding>, seen: &mut HashSet<u32>) {
    let f = ctx.facts;
    for call in &f.calls {
        let Some(li) = call.in_loop else { continue };
        if call.path.len() != 2
            || !db_loop::loop_counts(f, li)
            || seen.contains(&call.span.start)
            || db_loop::in_rescue(f, li, &call.span)
        {
            continue;
        }
        let m = call.method();
        let is_write = match f.lang {
            Lang::Ruby => matches!(
                m,
                "save"
                    | "save!"
                    | "update"
                    | "update!"
                    | "destroy"
                    | "destroy!"
                    | "delete"
                    | "touch"
                    | "update_column"
                    | "update_columns"
                    | "increment!"
                    | "decrement!"
                    | "toggle!"
            ),
            Lang::Python => matches!(m, "save" | "delete"),
            _ => {
                matches!(
                    m,
                    "save"
                        | "destroy"
                        | "remove"
                        | "deleteOne"
                        | "updateOne"
                        | "increment"
                        | "decrement"
                        | "reload"
                ) || crate::index::association_writer(&ctx.index.relations, call)
            }
        };
        if !is_write || call.path[0].called {
            continue;
        }
        // `data.delete('run_id')`, `seen.delete(key)`: a Hash or Set delete. A record's
        // `delete` takes no positional argument.
        if f.lang == Lang::Ruby && m == "delete" && call.args.iter().any(|a| a.keyword.is_none()) {
            continue;
        }
        let var = call.root();
        if !instance_of_model(ctx, f, li, var, call) {
            continue;
        }
        // The write is followed by a `break`/`return` that always runs after it: it runs at
        // most once per call of the function (the first matching device, then done).
        if db_loop::exits_after(f, li, call) {
            continue;
        }
        // A fallback that runs only after the set statement failed
        // (`except ProtectedError:` around a one-by-one delete).
        if db_loop::loop_in_rescue(f, li) {
            continue;
        }
        // Outside data migrations, the children of one entity
        // (`for m in Meta.objects.filter(event=other)`, `where(wiki_id: id)`) are usually few.
        if !crate::handlers::is_migration_path(ctx.path) && db_loop::scoped_loop(ctx, li) {
            continue;
        }
        // Outside data migrations, only loops over the rows of a query: on the hand-checked
        // corpus samples, instance writes in loops over lists, parameters and form data were
        // right about two times in three (small sets of one entity, per-item work on
        // purpose). `[write-in-loop] all-instance-writes = true` reports them too.
        if !crate::handlers::is_migration_path(ctx.path)
            && !ctx.config.all_instance_writes
            && !db_loop::query_rows(ctx, li)
        {
            continue;
        }
        // A migration that edits a few named rows (`Permission.where(controller: "x")`).
        if crate::handlers::is_migration_path(ctx.path)
            && f.loops[li as usize]
                .iter
                .as_deref()
                .is_some_and(db_loop::literal_filter)
        {
            continue;
        }
        let l = &f.loops[li as usize];
        seen.insert(call.span.start);
        let work = if crate::handlers::is_migration_path(ctx.path) {
            "instance-migration"
        } else {
            "instance"
        };
        db_loop::debug_evidence(ctx, ID, call.span.line, work, db_loop::evidence(ctx, li));
        let fix = match f.lang {
            Lang::Ruby => "collect the changes and write them once with `upsert_all` / `insert_all`, or one `where(id: ids).update_all(...)`",
            Lang::Python => "collect the objects and write them once with `bulk_update(objs, fields)` / `bulk_create(objs)`, or one `filter(pk__in=ids).update(...)` / `.delete()`",
            _ => "write all rows at once (`bulkCreate`, `bulkWrite`, one `update` with `where: { id: ids }`)",
        };
        out.push(db_loop::finding(
            ID,
            call.span,
            format!(
                "`{}` writes one row per iteration of {} (loop at line {})",
                call.dotted(),
                db_loop::loop_subject(l),
                l.header.line
            ),
            "write on every iteration".into(),
            fix.into(),
            vec![db_loop::loop_related(l)],
            call.hash,
        ));
    }
}

/// Is `var` a model instance: a loop variable over a query or a model collection, or a name
/// assigned in the loop body from a model constructor or query?
fn instance_of_model(ctx: &Ctx, f: &FileFacts, li: Idx, var: &str, call: &Call) -> bool {
    let is_model = |name: &str| {
        let n = name
            .trim_start_matches("new ")
            .rsplit("::")
            .next()
            .unwrap_or(name);
        ctx.index.is_any_model(n)
    };
    let from_model_text = |text: &str| {
        let t = text.trim_start_matches("await ").trim_start_matches("new ");
        let head: String = t
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        is_model(&head)
    };
    let from_query =
        |ci: Option<Idx>| ci.is_some_and(|ci| ctx.index.db_op(f, &f.calls[ci as usize]).is_some());
    // Assigned inside the loop body.
    let l = &f.loops[li as usize];
    if let Some(a) = f
        .assigns
        .iter()
        .filter(|a| {
            l.body.contains(&a.span)
                && a.span.end <= call.span.start
                && a.targets.iter().any(|t| t == var)
        })
        .max_by_key(|a| a.span.start)
    {
        return from_model_text(&a.value_text) || from_query(a.value_call);
    }
    // A loop variable.
    let Some((_, lp)) = f
        .enclosing_loops(li)
        .find(|(_, lp)| lp.vars.iter().any(|v| v == var))
    else {
        return false;
    };
    let Some(iter) = &lp.iter else { return false };
    if from_model_text(iter) {
        return true;
    }
    // The iterated name was assigned from a query in the same function.
    f.last_assign(lp.func, lp.span.start, iter.trim())
        .is_some_and(|a| from_model_text(&a.value_text) || from_query(a.value_call))
}

/// Does the loop run over the children of one row, filtered in its header on that row's key
/// and nothing else (`for tli in LayoutItem.objects.filter(item=source)`,
/// `Redirect.where(wiki_id: id).each`)? Copying or moving one item's few layout assignments,
/// one insert each, is not a loop over a table. A filter through a relation
/// (`filter(item__event=other)`: the children of every item of one event) or a nested
/// condition (`where(order: { customer_id: id })`) reaches many rows: those stay reported.
/// Instance writes have the wider test of `db_loop::scoped_loop`.
fn direct_children(ctx: &Ctx, li: Idx) -> bool {
    let Some(iter) = ctx.facts.loops[li as usize].iter.as_deref() else {
        return false;
    };
    !iter.contains("__") && iter.matches('{').count() <= 1 && db_loop::scoped_loop(ctx, li)
}

/// Is the write one set statement over the item's group, with the item's own values: an
/// `update` of the rows filtered on a column the item fills other than the key
/// (`Issue.where(status_id: status.id).update_all(done_ratio: status.default_done_ratio)`)?
/// One statement per status, each with its own value. The same update with a value that does
/// not change (`update_all(read_at: now)`) is one `where(user_id: ids)` away, and
/// `where(id: user.id)` or `filter(pk=pk)` writes one row: those are reported.
fn group_statement(f: &FileFacts, li: Idx, call: &Call) -> bool {
    if !matches!(call.method(), "update_all" | "update" | "updateMany") {
        return false;
    }
    let items = db_loop::item_names(f, li, call.span.start);
    let n = call.path.len();
    let own_values = call.path.last().is_some_and(|seg| {
        seg.args
            .iter()
            .any(|a| items.iter().any(|i| crate::index::mentions(a, i)))
    });
    if !own_values {
        return false;
    }
    let mut grouped = false;
    for seg in &call.path[..n.saturating_sub(1)] {
        if !matches!(seg.name.as_str(), "where" | "filter" | "exclude") {
            continue;
        }
        for arg in &seg.args {
            for part in arg.split(',') {
                let part = part.trim().trim_matches(['{', '}', ' ']);
                let (key, value) = if let Some((k, v)) = part.split_once("=>") {
                    (k, v)
                } else if let Some((k, v)) = part.split_once(": ") {
                    (k, v)
                } else if let Some((k, v)) = part.split_once('=') {
                    if v.starts_with('=') || k.ends_with(['!', '<', '>']) {
                        continue;
                    }
                    (k, v)
                } else {
                    continue;
                };
                if !items.iter().any(|i| crate::index::mentions(value, i)) {
                    continue;
                }
                let key = key.trim().trim_start_matches(':').trim_matches(['"', '\'']);
                let key = key.trim_end_matches("__exact").to_ascii_lowercase();
                if matches!(key.as_str(), "id" | "pk" | "_id") {
                    return false;
                }
                grouped = true;
            }
        }
    }
    grouped
}
