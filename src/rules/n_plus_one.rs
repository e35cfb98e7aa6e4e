//! `n-plus-one`: database reads inside loops, directly, through project helpers, or by
//! lazy-loading relations of iterated query results.

use std::collections::HashSet;

use super::db_loop::{self, Work};
use super::{Ctx, Finding, Related};
use crate::apis::Models;
use crate::facts::{FileFacts, Idx, Loop, Span};
use crate::index::Relation;
use crate::lang::Lang;

const ID: &str = "n-plus-one";

pub fn check(ctx: &Ctx, out: &mut Vec<Finding>) {
    let f = ctx.facts;
    let mut seen: HashSet<u32> = HashSet::new();
    for w in db_loop::db_work(ctx) {
        if w.kind.is_write() {
            continue;
        }
        let l = &f.loops[w.loop_idx as usize];
        if receiver_children(ctx, w.loop_idx) {
            continue;
        }
        let subject = db_loop::loop_subject(l);
        let parallel = db_loop::in_promise_all(f, l);
        let per = if parallel {
            "runs one query per item even inside `Promise.all`"
        } else {
            "runs one query per iteration"
        };
        let mut related = vec![db_loop::loop_related(l)];
        let (message, help) = match &w.kind {
            Work::Op(op) => (
                format!(
                    "`{}` {per} of {subject} (loop at line {})",
                    w.call.dotted(),
                    l.header.line
                ),
                op.api.read_fix.clone(),
            ),
            Work::Helper {
                path, span, what, ..
            } => {
                related.push(Related {
                    span: *span,
                    message: format!("{what} runs the query"),
                    path: if path == ctx.path {
                        None
                    } else {
                        Some(path.clone())
                    },
                });
                (
                    format!(
                        "`{}` queries the database ({what} at {path}:{}) and {per} of {subject} (loop at line {})",
                        w.call.dotted(),
                        span.line,
                        l.header.line
                    ),
                    "load what the loop needs before it with one query for all items, and pass the rows in; or batch the lookups (a DataLoader)".to_string(),
                )
            }
        };
        let help = if parallel {
            format!("{help}; `Promise.all` only overlaps the round trips, a single query with `IN` replaces them")
        } else {
            help
        };
        if seen.insert(w.call.span.start) {
            db_loop::debug_work(ctx, ID, &w);
            out.push(db_loop::finding(
                ID,
                w.call.span,
                message,
                "query on every iteration".into(),
                help,
                related,
                w.call.hash,
            ));
        }
    }
    lazy_loads(ctx, out, &mut seen);
    serializer_fields(ctx, out, &mut seen);
}

/// Does the serializer class `ci` render lists: it, or a project class that derives from it
/// (`ProjectCountsSerializer(ProjectSerializer)`), is one of the index's listed serializers?
fn listed(ctx: &Ctx, ci: Idx) -> bool {
    ctx.index
        .listed_serializers
        .contains(&ctx.facts.classes[ci as usize].name)
}

/// The model of a serializer class: `model = Project` in its nested `class Meta`.
fn meta_model(f: &FileFacts, ci: Idx) -> Option<String> {
    let outer = f.classes[ci as usize].body;
    f.assigns.iter().find_map(|a| {
        let meta = a.class?;
        let c = &f.classes[meta as usize];
        (c.name == "Meta"
            && outer.contains(&c.span)
            && a.func.is_none()
            && a.targets.iter().any(|t| t == "model"))
        .then(|| {
            let v = a.value_text.trim();
            v.rsplit('.').next().unwrap_or(v).to_string()
        })
    })
}

/// Django REST framework's `SerializerMethodField`: `get_<field>(self, obj)` runs once per
/// object rendered. When the serializer renders lists (the `serializer_class` of a list view,
/// or called with `many=True`) and the method queries a to-many relation of the object
/// (`project.tasks.filter(...).count()`), the list runs one query per row, with no loop in
/// the code. Only methods that query even when the view prefetched the relation (`filter`,
/// `exists`, a project QuerySet method...), on a relation of the serializer's `Meta.model`.
fn serializer_fields(ctx: &Ctx, out: &mut Vec<Finding>, seen: &mut HashSet<u32>) {
    let f = ctx.facts;
    if f.lang != Lang::Python
        || ctx.index.listed_serializers.is_empty()
        || crate::handlers::is_test_path(ctx.path)
    {
        return;
    }
    for (fi, fun) in f.functions.iter().enumerate() {
        let (Some(ci), Some(field)) = (fun.class, fun.name.strip_prefix("get_")) else {
            continue;
        };
        if fun.params.len() < 2 || fun.params[0] != "self" {
            continue;
        }
        let Some(decl) = f.assigns.iter().find(|a| {
            a.class == Some(ci)
                && a.func.is_none()
                && a.targets.iter().any(|t| t == field)
                && a.value_text.contains("SerializerMethodField")
        }) else {
            continue;
        };
        if !listed(ctx, ci) {
            continue;
        }
        let Some(model) = meta_model(f, ci) else {
            continue;
        };
        let obj = fun.params[1].as_str();
        for call in &f.calls {
            if call.func != Some(fi as Idx)
                || call.in_loop.is_some()
                || call.path.len() < 3
                || call.root() != obj
                || call.path[1].called
            {
                continue;
            }
            let rel = call.path[1].name.as_str();
            let m = call.path[2].name.as_str();
            let to_many = ctx
                .index
                .relations
                .get(&(model.clone(), rel.to_string()))
                .is_some_and(|r| r.to_many);
            if !to_many
                || !(queries_even_if_loaded(f.lang, m) || custom_query(ctx, m))
                || writes_through_relation(f.lang, chain_end(f, call).method())
                || !seen.insert(call.span.start)
            {
                continue;
            }
            let class = &f.classes[ci as usize].name;
            out.push(db_loop::finding(
                ID,
                call.span,
                format!(
                    "`{obj}.{rel}.{m}` queries the `{rel}` relation once per object `{class}` renders, and `{class}` renders lists (field `{field}`)"
                ),
                "query per serialized object".into(),
                format!("annotate the value onto the list view's queryset (`.annotate(...)` with `Count`/`Subquery` on `{rel}`) and read it from the object, or prefetch `{rel}` with a `Prefetch(...)` and compute it in Python"),
                vec![Related {
                    span: decl.span,
                    message: format!("`{field}` is a `SerializerMethodField`: `{}` runs for each object", fun.name),
                    path: None,
                }],
                call.hash,
            ));
        }
    }
}

/// Is the loop in a Django signal receiver (`@receiver(post_save, sender=Rack)`) and over a
/// query filtered on one entity's key (`Device.objects.filter(rack=instance)`)? A receiver
/// reacts to one saved or copied object; the rows of that object are a handful.
fn receiver_children(ctx: &Ctx, li: Idx) -> bool {
    let f = ctx.facts;
    f.loops[li as usize].func.is_some_and(|fi| {
        f.functions[fi as usize]
            .decorators
            .iter()
            .any(|d| d.trim_start_matches('@').starts_with("receiver("))
    }) && db_loop::scoped_loop(ctx, li)
}

/// Methods on a to-many relation that query even when the relation was eager-loaded.
fn queries_even_if_loaded(lang: Lang, m: &str) -> bool {
    match lang {
        Lang::Ruby => matches!(
            m,
            "count"
                | "where"
                | "pluck"
                | "exists?"
                | "find"
                | "find_by"
                | "order"
                | "sum"
                | "average"
                | "minimum"
                | "maximum"
                | "ids"
                | "limit"
                | "group"
                | "joins"
                | "calculate"
                | "not"
                | "rewhere"
                | "reorder"
        ),
        _ => matches!(
            m,
            "filter"
                | "exclude"
                | "order_by"
                | "get"
                | "exists"
                | "aggregate"
                | "values"
                | "values_list"
                | "annotate"
                | "latest"
                | "earliest"
                | "first"
                | "last"
                | "in_bulk"
                | "iterator"
        ),
    }
}

/// A read method of one of the project's QuerySet or Manager classes
/// (`translation.change_set.content()`): like `filter`, it builds a query of its own
/// whether or not the relation was eager-loaded. Not one that eager-loads
/// (`prefetch_full()`): it reads the relation's rows to work on them together, group work
/// (`translation.unit_set.prefetch_full()` per translation exported).
fn custom_query(ctx: &Ctx, m: &str) -> bool {
    ctx.facts.lang == Lang::Python
        && ctx.index.queryset_methods.contains(m)
        && !ctx.index.eager_methods.contains(m)
}

/// Set writes that close a chain over a to-many relation (`order.items.filter(..).delete()`,
/// `post.comments.where(..).update_all(..)`): the query methods before them only build the
/// statement.
fn writes_through_relation(lang: Lang, m: &str) -> bool {
    match lang {
        Lang::Ruby => matches!(m, "delete_all" | "update_all" | "destroy_all"),
        _ => matches!(m, "delete" | "update"),
    }
}

/// The longest call chain that starts with `call` (`a.rel.filter().delete()` for
/// `a.rel.filter()`).
fn chain_end<'a>(f: &'a FileFacts, call: &'a crate::facts::Call) -> &'a crate::facts::Call {
    f.calls
        .iter()
        .filter(|c| {
            c.span.start == call.span.start
                && c.span.contains(&call.span)
                && c.path.len() > call.path.len()
                && c.path.iter().zip(&call.path).all(|(a, b)| a.name == b.name)
        })
        .max_by_key(|c| c.path.len())
        .unwrap_or(call)
}

/// Methods on a to-many relation that query when it was not eager-loaded.
fn queries_if_not_loaded(lang: Lang, m: &str) -> bool {
    queries_even_if_loaded(lang, m)
        || match lang {
            Lang::Ruby => matches!(
                m,
                "each"
                    | "map"
                    | "collect"
                    | "to_a"
                    | "first"
                    | "last"
                    | "size"
                    | "length"
                    | "any?"
                    | "empty?"
                    | "none?"
                    | "include?"
                    | "select"
                    | "reject"
                    | "find_each"
                    | "flat_map"
                    | "sort_by"
                    | "group_by"
                    | "index_by"
                    | "each_with_index"
                    | "present?"
                    | "blank?"
                    | "take"
                    | "load"
                    | "to_ary"
                    | "filter_map"
                    | "sum"
            ),
            _ => matches!(m, "all" | "count"),
        }
}

/// Loads through one row of an iterated query: a Sequelize association accessor
/// (`user.getProfile()`, `order.countItems()` in a loop over `User.findAll(...)`, where the
/// project declares the association: `User.hasOne(Profile)`), which runs its query whether
/// or not the first query included the association; or a Mongoose document's `populate`.
fn accessor_loads(ctx: &Ctx, out: &mut Vec<Finding>, seen: &mut HashSet<u32>) {
    let f = ctx.facts;
    for call in &f.calls {
        let Some(li) = call.in_loop else { continue };
        let [var, m] = call.path.as_slice() else {
            continue;
        };
        let populate = m.name == "populate";
        let accessor = crate::index::association_call(call, &["get", "count", "has"]);
        // An accessor name of no declared association (`el.getAttribute()`): nothing to look up.
        let declared = |name: &str| ctx.index.relations.keys().any(|(_, r)| r == name);
        if (!populate && !accessor.as_ref().is_some_and(|(_, name)| declared(name)))
            || var.called
            || matches!(var.name.as_str(), "this" | "self")
            || !db_loop::loop_counts(f, li)
            || db_loop::in_rescue(f, li, &call.span)
            || db_loop::group_guarded(f, li, &call.span)
        {
            continue;
        }
        let Some(bl) = binding_loop(f, li, &var.name) else {
            continue;
        };
        let l = &f.loops[bl as usize];
        if reassigned(f, l, &var.name, call.span.start) {
            continue;
        }
        let Some((_, model)) = iterated_query(ctx, l) else {
            continue;
        };
        if !db_loop::many_items(ctx, bl) || receiver_children(ctx, bl) {
            continue;
        }
        let subject = db_loop::loop_subject(l);
        let line = f.loops[li as usize].header.line;
        let var = &var.name;
        // `getOrders()`, or sequelize-typescript's `$get('orders')`.
        let m = match call.args.first() {
            Some(a) if m.name.starts_with('$') => format!("{}({})", m.name, a.text),
            _ => format!("{}()", m.name),
        };
        let (message, help) = match accessor {
            Some((verb, name)) => {
                let Some(relation) = ctx.index.relations.get(&(model, name.into_owned())) else {
                    continue;
                };
                // `countX`/`hasX` exist on to-many associations only.
                if verb != "get" && !relation.to_many {
                    continue;
                }
                let target = &relation.target;
                (
                    format!("`{var}.{m}` queries the associated `{target}` with one query per item of {subject} (loop at line {line})"),
                    format!("load the association with the first query (`include: [{{ model: {target}, as: ... }}]`) and read it from each row instead of calling `{m}`; or query all of them at once with `where: {{ id: ids }}`"),
                )
            }
            None => (
                format!("`{var}.populate(...)` loads the referenced documents with one query per item of {subject} (loop at line {line})"),
                "populate in the first query (`Model.find(...).populate(path)`): one query per path for all documents".to_string(),
            ),
        };
        if !seen.insert(call.span.start) {
            continue;
        }
        db_loop::debug_evidence(
            ctx,
            ID,
            call.span.line,
            "accessor",
            db_loop::evidence(ctx, bl),
        );
        out.push(db_loop::finding(
            ID,
            call.span,
            message,
            "query on every iteration".into(),
            help,
            vec![db_loop::loop_related(l)],
            call.hash,
        ));
    }
}

/// What a loop iterates, as the text of a query chain and the model it starts from.
fn iterated_query(ctx: &Ctx, l: &Loop) -> Option<(String, String)> {
    let f = ctx.facts;
    let mut text = l.iter.clone()?;
    // A name assigned earlier in the same function: follow it (once or twice).
    for _ in 0..3 {
        let name = text.trim();
        if !name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '@' || c == '.')
        {
            break;
        }
        let assign = f.last_assign(l.func, l.span.start, name);
        match assign {
            Some(a) => text = a.value_text.clone(),
            None => break,
        }
    }
    let head: String = text
        .trim_start_matches(['(', '['])
        .trim_start_matches("await ")
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
        .collect();
    let model = head.rsplit("::").next().unwrap_or(&head).to_string();
    if ctx.index.is_any_model(&model) {
        return Some((text, model));
    }
    // SQLAlchemy: the one entity a session query or a `select` returns rows of
    // (`session.query(Order)`, `session.scalars(select(Order).where(...))`).
    let model = selected_entity(&text)?;
    ctx.index
        .is_any_model(model)
        .then(|| (text.clone(), model.to_string()))
}

/// The entity of `query(X)` or `select(X)` in a query's text, when it is the only one.
fn selected_entity(text: &str) -> Option<&str> {
    ["query(", "select("].iter().find_map(|open| {
        let at = text.find(open)?;
        let before = text[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            return None;
        }
        let rest = text[at + open.len()..].trim_start();
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
            .unwrap_or(rest.len());
        let name = &rest[..end];
        let entity = name.rsplit('.').next().unwrap_or(name);
        let one = rest[end..].trim_start().starts_with(')');
        (one && entity.starts_with(|c: char| c.is_ascii_uppercase())).then_some(entity)
    })
}

/// Does a call in the loop's iterable, or in the assignments it comes from, eager-load
/// `rel` (`prefetch_related(Prefetch("rel", ...))` written over several lines, past the
/// text kept of the expression)?
fn eager_in_chain(ctx: &Ctx, l: &Loop, rel: &str) -> bool {
    let f = ctx.facts;
    let mut spans: Vec<Span> = l.iter_span.into_iter().collect();
    let mut text = l.iter.clone().unwrap_or_default();
    let mut before = l.span.start;
    let mut last = String::new();
    for _ in 0..4 {
        let t = text.trim();
        let plain = |n: &str| {
            !n.is_empty()
                && n.chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '@' || c == '.')
        };
        // `items = items.filter(...)`: a refinement of the same name keeps what the first
        // assignment eager-loaded.
        let name = if plain(t) {
            t.to_string()
        } else if !last.is_empty()
            && t.strip_prefix(last.as_str())
                .is_some_and(|rest| rest.starts_with('.'))
        {
            last.clone()
        } else {
            break;
        };
        let Some(a) = f.last_assign(l.func, before, &name) else {
            break;
        };
        spans.push(a.span);
        text = a.value_text.clone();
        before = a.span.start;
        last = name;
    }
    let names = [
        format!("'{rel}'"),
        format!("\"{rel}\""),
        format!("'{rel}__"),
        format!("\"{rel}__"),
        format!(":{rel}"),
        format!("{rel}:"),
        format!(".{rel})"),
        format!(".{rel},"),
    ];
    let names_rel = |a: &str| names.iter().any(|p| a.contains(p.as_str()));
    f.calls.iter().any(|c| {
        spans.iter().any(|s| s.contains(&c.span))
            // The last segment's arguments are the call's own.
            && ((EAGER.contains(&c.method()) && c.args.iter().any(|a| names_rel(&a.text)))
                || c.path.iter().any(|seg| {
                    // A custom queryset method that eager-loads (`Billing.objects.prefetch()`).
                    (seg.called && ctx.index.eager_methods.contains(&seg.name))
                        || (EAGER.contains(&seg.name.as_str())
                            && seg.args.iter().any(|a| names_rel(a)))
                }))
    })
}

const EAGER: &[&str] = &[
    "select_related",
    "prefetch_related",
    "includes",
    "preload",
    "eager_load",
    "options",
];

fn eager_loaded(text: &str, rel: &str) -> bool {
    let eager = [
        "select_related",
        "prefetch_related",
        "includes",
        "preload",
        "eager_load",
        "include",
        "populate",
        "relations",
        "with",
    ];
    // SQLAlchemy's loader options (`selectinload(Course.topics)`) come through `options`,
    // also when built elsewhere (`query.options(*self.eager)`): any of them may load it.
    text.contains(".options(")
        || eager.iter().any(|e| text.contains(e))
            && [
                format!("'{rel}"),
                format!("\"{rel}"),
                format!(":{rel}"),
                format!("{rel}:"),
                format!("{rel}__"),
            ]
            .iter()
            .any(|p| text.contains(p.as_str()))
}

/// Is `var` assigned again in the loop's body before `at`?
fn reassigned(f: &FileFacts, l: &Loop, var: &str, at: u32) -> bool {
    f.assigns
        .iter()
        .any(|a| l.body.contains(&a.span) && a.span.end <= at && a.targets.iter().any(|t| t == var))
}

/// The loop in `l`'s chain of enclosing loops that binds `var`.
fn binding_loop(f: &FileFacts, li: Idx, var: &str) -> Option<Idx> {
    f.enclosing_loops(li)
        .find(|(_, l)| l.vars.iter().any(|v| v == var))
        .map(|(i, _)| i)
}

/// Does a Peewee query select and join `target` (`Tweet.select(Tweet, User).join(User)`)?
/// The joined rows fill the relation.
fn joins(text: &str, target: &str) -> bool {
    text.split(".join(")
        .skip(1)
        .any(|rest| rest.trim_start().starts_with(target))
}

/// How to load `model`'s relation `rel` (to `target`) with the query the loop iterates.
fn eager_fix(ctx: &Ctx, model: &str, rel: &str, to_many: bool, target: &str) -> String {
    if ctx.facts.lang == Lang::Ruby {
        return format!(
            "eager-load the association: add `.includes(:{rel})` to the query the loop iterates"
        );
    }
    // The ORM of the loop's file, when the model is one of its models.
    let uses = |needles: &[&str]| crate::index::imports_any(ctx.facts, needles);
    if ctx.index.is_model("pymodel", model) && uses(&["peewee", "playhouse"]) {
        return if to_many {
            format!("load `{rel}` for all rows at once: `prefetch(query, {target}.select())`, or count with a join and `group_by`")
        } else {
            format!("select and join the related model in the query the loop iterates: `.select(..., {target}).join({target})`")
        };
    }
    if ctx.index.is_model("sqlalchemy", model) && uses(&["sqlalchemy", "flask_sqlalchemy"]) {
        return format!("load the collection with the query the loop iterates: `.options(selectinload({model}.{rel}))`");
    }
    if to_many {
        format!("add `.prefetch_related(\"{rel}\")` to the query the loop iterates")
    } else {
        format!("add `.select_related(\"{rel}\")` to the query the loop iterates")
    }
}

fn lazy_loads(ctx: &Ctx, out: &mut Vec<Finding>, seen: &mut HashSet<u32>) {
    let f = ctx.facts;
    if crate::handlers::is_test_path(ctx.path)
        || crate::handlers::is_migration_path(ctx.path)
        || crate::handlers::imports_test_factories(f)
    {
        return;
    }
    if !matches!(f.lang, Lang::Python | Lang::Ruby) {
        accessor_loads(ctx, out, seen);
        return;
    }
    if ctx.index.relations.is_empty() {
        return;
    }
    // To-many relations with a query method: `order.items.count()`, `post.comments.count`.
    for call in &f.calls {
        let Some(li) = call.in_loop else { continue };
        if call.path.len() < 3
            || !db_loop::loop_counts(f, li)
            || call.path[1].called
            || db_loop::in_rescue(f, li, &call.span)
            || db_loop::group_guarded(f, li, &call.span)
        {
            continue;
        }
        // `addon.events.filter(kind__in=old).delete()`: a write through the relation, one
        // set statement per item; `write-in-loop` judges writes, not this rule.
        if writes_through_relation(f.lang, chain_end(f, call).method()) {
            continue;
        }
        let var = call.root();
        let rel = call.path[1].name.as_str();
        let Some(bl) = binding_loop(f, li, var) else {
            continue;
        };
        let l = &f.loops[bl as usize];
        if reassigned(f, l, var, call.span.start)
            || !db_loop::many_items(ctx, bl)
            || receiver_children(ctx, bl)
        {
            continue;
        }
        let iterated = iterated_query(ctx, l);
        let relation: Option<Relation> = match &iterated {
            Some((_, model)) => ctx
                .index
                .relations
                .get(&(model.clone(), rel.to_string()))
                .cloned(),
            // Not from a query we can see: the loop variable must be named after a model
            // that declares the relation (`order` of `Order.items`).
            None => {
                let model = crate::index::singular_camel(var.trim_start_matches('@'));
                ctx.index.relations.get(&(model, rel.to_string())).cloned()
            }
        };
        let Some(relation) = relation else { continue };
        if !relation.to_many {
            continue;
        }
        let m = call.path[2].name.as_str();
        let loaded = iterated.as_ref().is_some_and(|(t, _)| eager_loaded(t, rel))
            || eager_in_chain(ctx, l, rel);
        let queries = if loaded {
            queries_even_if_loaded(f.lang, m)
        } else {
            queries_if_not_loaded(f.lang, m)
        } || custom_query(ctx, m);
        if !queries || !seen.insert(call.span.start) {
            continue;
        }
        db_loop::debug_evidence(ctx, ID, call.span.line, "lazy", db_loop::evidence(ctx, bl));
        let l = &f.loops[li as usize];
        out.push(db_loop::finding(
            ID,
            call.span,
            format!(
                "`{var}.{rel}.{m}` queries the `{rel}` relation once per item of {} (loop at line {})",
                db_loop::loop_subject(l),
                l.header.line
            ),
            "query on every iteration".into(),
            if loaded {
                format!("`{m}` ignores the eager-loaded `{rel}`: compute it from the loaded rows, or aggregate in the first query (annotate / group and count)")
            } else {
                let model = iterated.as_ref().map(|(_, m)| m.as_str()).unwrap_or_default();
                eager_fix(ctx, model, rel, true, &relation.target)
            },
            vec![db_loop::loop_related(l)],
            call.hash,
        ));
    }
    // To-one relations read from an iterated query's rows: `order.customer.name`.
    let mut members: Vec<&crate::facts::Member> = f.members.iter().collect();
    members.sort_by_key(|m| (m.span.start, std::cmp::Reverse(m.span.end)));
    let mut last_start = u32::MAX;
    let mut loaded_rel: HashSet<(Idx, String, String)> = HashSet::new();
    for m in members {
        if m.span.start == last_start {
            continue;
        }
        last_start = m.span.start;
        let Some(li) = m.in_loop else { continue };
        if m.path.len() < 2
            || !db_loop::loop_counts(f, li)
            || db_loop::in_rescue(f, li, &m.span)
            || db_loop::group_guarded(f, li, &m.span)
        {
            continue;
        }
        let var = &m.path[0];
        let rel = &m.path[1];
        let Some(bl) = binding_loop(f, li, var) else {
            continue;
        };
        let l = &f.loops[bl as usize];
        // `o = Order.objects.select_related("event").get(pk=o.pk)` in the body: no longer
        // the iterated row.
        if reassigned(f, l, var, m.span.start) {
            continue;
        }
        let Some((text, model)) = iterated_query(ctx, l) else {
            continue;
        };
        // The rows must be many by the same evidence as other queries in loops (a name
        // assigned from some entity's query is often its few children).
        if !db_loop::many_items(ctx, bl) || receiver_children(ctx, bl) {
            continue;
        }
        let Some(relation) = ctx.index.relations.get(&(model.clone(), rel.clone())) else {
            continue;
        };
        if relation.to_many
            || eager_loaded(&text, rel)
            || eager_in_chain(ctx, l, rel)
            || joins(&text, &relation.target)
        {
            continue;
        }
        // `issue.project = other`: assigning the association loads nothing.
        if f.assigns.iter().any(|a| a.span.start == m.span.start) {
            continue;
        }
        // `if issue.version && issue.version.closed?`: the first access loads the row, the
        // next ones in the same pass read it from the object.
        if !seen.insert(m.span.start) || !loaded_rel.insert((li, var.clone(), rel.clone())) {
            continue;
        }
        let target = if relation.target.is_empty() {
            rel.clone()
        } else {
            relation.target.clone()
        };
        db_loop::debug_evidence(ctx, ID, m.span.line, "to-one", db_loop::evidence(ctx, bl));
        let inner = &f.loops[li as usize];
        out.push(db_loop::finding(
            ID,
            m.span,
            format!(
                "`{var}.{rel}` loads the related `{target}` with one query per item of {} (loop at line {})",
                db_loop::loop_subject(l),
                inner.header.line
            ),
            format!("lazy-loads `{rel}`"),
            eager_fix(ctx, &model, rel, false, &relation.target),
            vec![db_loop::loop_related(l)],
            m.hash,
        ));
    }
}
