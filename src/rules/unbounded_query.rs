//! `unbounded-query`: list queries with no limit whose rows go back to the client.

use super::request::{flows_to_response, on_request_path};
use super::{Ctx, Finding};
use crate::facts::{ArgKind, Call};
use crate::lang::Lang;

const ID: &str = "unbounded-query";

fn chain_has(c: &Call, names: &[&str]) -> bool {
    c.path.iter().any(|s| names.contains(&s.name.as_str()))
}

fn first_object_keys(c: &Call) -> Option<Vec<&str>> {
    c.args
        .iter()
        .find(|a| a.kind == ArgKind::Object)
        .map(|a| a.keys.iter().map(|k| k.as_str()).collect())
}

/// Why a query call is an unbounded list, or `None`.
fn unbounded(ctx: &Ctx, c: &Call) -> Option<(String, &'static str)> {
    let f = ctx.facts;
    let op = ctx.index.db_op(f, c).or_else(|| ruby_model_chain(ctx, c))?;
    if op.write {
        return None;
    }
    let fw = op.api.framework.as_str();
    let bounded_chain = [
        "limit",
        "take",
        "first",
        "get",
        "count",
        "exists",
        "aggregate",
        "paginate",
        "page",
        "per",
        "pagy",
        "find",
        "find_by",
        "pluck_first",
        "findOne",
        "findUnique",
        "findFirst",
        "getOne",
        "sum",
        "max",
        "min",
        "avg",
        "latest",
        "earliest",
        "in_bulk",
        "iterator",
        "last",
        "countDocuments",
        "findById",
        "findByPk",
    ];
    match fw {
        "prisma" if op.op == "findMany" => {
            let keys = first_object_keys(c).unwrap_or_default();
            (!keys.contains(&"take") && !c.args.iter().any(|a| a.kind == ArgKind::Ident))
                .then(|| (format!("`{}` has no `take`", c.dotted()), "pass `take` (and `skip`/`cursor`) from the request's page parameters"))
        }
        "sequelize" if matches!(op.op.as_str(), "findAll" | "find" | "findAndCountAll") => {
            if op.op == "find" {
                return (!chain_has(c, &["limit", "paginate"]))
                    .then(|| (format!("`{}` has no `.limit()`", c.dotted()), "add `.limit(n)` and a page parameter (`.skip()` or a range on a sorted key)"));
            }
            let keys = first_object_keys(c).unwrap_or_default();
            (!keys.contains(&"limit") && !c.args.iter().any(|a| a.kind == ArgKind::Ident))
                .then(|| (format!("`{}` has no `limit`", c.dotted()), "pass `limit` and `offset` from the request's page parameters"))
        }
        "typeorm" if matches!(op.op.as_str(), "find" | "findBy" | "getMany" | "getRawMany" | "findAndCount") => {
            let keys = first_object_keys(c).unwrap_or_default();
            (!keys.contains(&"take") && !chain_has(c, &["take", "limit"]) && !c.args.iter().any(|a| a.kind == ArgKind::Ident))
                .then(|| (format!("`{}` has no `take`", c.dotted()), "pass `take`/`skip` (or `.take()`/`.skip()` on the query builder)"))
        }
        "sql-builder" => {
            let sql = c.path.iter().find(|s| s.called && s.args.first().is_some_and(|a| a.starts_with(['"', '\'', '`']))).and_then(|s| s.args.first());
            let is_raw = op.op == "query" || op.op == "execute" || op.op == "all" || op.op == "any" || op.op == "many" || op.op == "manyOrNone";
            if is_raw {
                let sql = sql?.to_ascii_lowercase();
                if !sql.contains("select") || sql.contains("limit") || sql.contains("count(") || sql.contains("where id") || sql.contains(".id =") || sql.contains(" id =") || sql.contains("fetch first") {
                    return None;
                }
                return Some((format!("`{}` runs SQL without `LIMIT`", c.dotted()), "add `LIMIT $n OFFSET $m` (or keyset pagination) driven by the request"));
            }
            (chain_has(c, &["select"]) && !chain_has(c, &bounded_chain))
                .then(|| (format!("`{}` has no `.limit()`", c.dotted()), "add `.limit(n)` and `.offset(m)` (or keyset pagination) driven by the request"))
        }
        "django" if matches!(op.op.as_str(), "all" | "filter" | "exclude" | "order_by" | "values" | "values_list" | "select_related" | "prefetch_related" | "annotate" | "only" | "defer" | "distinct") => {
            (!chain_has(c, &bounded_chain)).then(|| (format!("`{}` returns every matching row", c.dotted()), "paginate (`Paginator`, DRF `pagination_class`) or slice the queryset (`[:50]`)"))
        }
        "activerecord" if matches!(op.op.as_str(), "all" | "where" | "order" | "includes" | "joins" | "left_joins" | "select" | "preload" | "eager_load") => {
            (!chain_has(c, &bounded_chain)).then(|| (format!("`{}` loads every matching record", c.dotted()), "paginate (`.page(params[:page]).per(25)` with kaminari, `pagy`, or `.limit(n)`)"))
        }
        _ => None,
    }
}

/// Ruby: a model named with its namespace (`Ci::Run.where`; the index knows the class by
/// its own name), or a scope before the relation methods (`Run.queued.where(...)`,
/// `Run.by_owner(x).order(...)`: `where`/`order` on the scope's result means it is a
/// relation).
fn ruby_model_chain(ctx: &Ctx, c: &Call) -> Option<crate::apis::DbOp> {
    if ctx.facts.lang != Lang::Ruby || c.path.len() < 2 {
        return None;
    }
    let mut bare = c.clone();
    if let Some((_, base)) = c.path[0].name.rsplit_once("::") {
        bare.path[0].name = base.to_string();
    }
    if bare.path.len() >= 3 && matches!(bare.path[2].name.as_str(), "where" | "order" | "includes")
    {
        bare.path.remove(1);
    }
    if bare
        .path
        .iter()
        .map(|s| &s.name)
        .eq(c.path.iter().map(|s| &s.name))
    {
        return None;
    }
    ctx.index.db_op(ctx.facts, &bare)
}

pub fn check(ctx: &Ctx, out: &mut Vec<Finding>) {
    let f = ctx.facts;
    if !ctx.server_code {
        return;
    }
    let mut seen = std::collections::HashSet::new();
    for c in &f.calls {
        // The outermost call of a chain only: no call around it starts where it does (if one
        // does, the innermost call around it does).
        if f.calls_around(c)
            .next()
            .is_some_and(|d| d.span.start == c.span.start)
        {
            continue;
        }
        let drf_attr =
            f.lang == Lang::Python && (drf_list_queryset(ctx, c) || drf_get_queryset(ctx, c));
        if !drf_attr && !on_request_path(ctx, c) {
            continue;
        }
        let Some((what, help)) = unbounded(ctx, c) else {
            continue;
        };
        // Sliced querysets: `Model.objects.all()[:50]`.
        let sliced = f.assigns.iter().any(|a| {
            a.span.contains(&c.span)
                && a.value_text.starts_with(&*short_prefix(c))
                && a.value_text.trim_end().ends_with(']')
        });
        if sliced {
            continue;
        }
        let returned = drf_attr
            || if f.lang == Lang::Python {
                python_response_arg(f, c)
                    || python_var_to_response(f, c)
                    || (returned_by_helper(ctx, c) && flows_to_response(ctx, c))
            } else if in_handler(ctx, c) {
                flows_to_response(ctx, c)
            } else {
                returned_by_helper(ctx, c) && flows_to_response(ctx, c)
            }
            || rails_index_ivar(ctx, c)
            || sinatra_rows(ctx, c);
        if !returned || !seen.insert(c.span.start) {
            continue;
        }
        // The rows are narrowed or paginated later, or the query ends in a project method
        // whose bound cannot be seen, or the page is for administrators of a small
        // definitions table.
        if reassigned_later(f, c)
            || id_list(f, c)
            || custom_queryset_method(ctx, c)
            || admin_only(ctx, c)
            || one_parent(f, c)
            || keyed_by_parent_param(ctx, c)
            || paged_table(f, c)
            || hand_ordered(c)
        {
            continue;
        }
        out.push(finding(c, what, help));
    }
}

fn finding(c: &Call, what: String, help: &str) -> Finding {
    Finding {
        rule: ID,
        span: c.span,
        message: format!(
            "{what}, and its rows go back to the client: the response grows with the table"
        ),
        label: "unbounded list query".into(),
        help: help.into(),
        related: Vec::new(),
        code_hash: c.hash,
        fix: None,
    }
}

/// Is the call inside a handler itself (not a function a handler reaches)?
fn in_handler(ctx: &Ctx, c: &Call) -> bool {
    ctx.index.request.handler_at(ctx.file, &c.span).is_some()
}

/// Outside a handler: the call sits in a function whose result a handler sends back
/// (directly or through the functions that return it in turn), and the query's rows are
/// what it returns. A helper whose result the handler only inspects, counts or filters
/// with does not send its rows.
fn returned_by_helper(ctx: &Ctx, c: &Call) -> bool {
    !in_handler(ctx, c)
        && crate::index::innermost_named(ctx.facts, c)
            .is_some_and(|fx| ctx.index.response_helpers.contains(&(ctx.file, fx)))
}

/// Python: the queryset is handed straight to the response (`JsonResponse(list(qs))`,
/// `Serializer(qs, many=True)`), not through a variable, a `Prefetch`, an `Exists` or a
/// background call, where the rows may never reach the client.
fn python_response_arg(f: &crate::facts::FileFacts, c: &Call) -> bool {
    let mut around: Vec<&Call> = f
        .calls
        .iter()
        .filter(|d| d.span.contains(&c.span) && d.span != c.span)
        .collect();
    around.sort_by_key(|d| d.span.len());
    for d in around {
        let m = d.method();
        if matches!(m, "list" | "dict" | "tuple") && d.path.len() == 1 {
            continue;
        }
        return matches!(
            m,
            "JsonResponse" | "Response" | "jsonify" | "ORJSONResponse" | "JSONResponse"
        ) || (m.ends_with("Serializer")
            && d.keyword("many").is_some_and(|a| a.text == "True"));
    }
    false
}

/// Python: the queryset is assigned to a name that is handed straight to the response
/// (`JsonResponse(list(rows))`, `render(..., {"rows": rows})`).
fn python_var_to_response(f: &crate::facts::FileFacts, c: &Call) -> bool {
    let Some(a) = f.assign_of(c) else {
        return false;
    };
    let [v] = a.targets.as_slice() else {
        return false;
    };
    f.calls.iter().any(|r| {
        let m = r.method();
        let response = matches!(
            m,
            "JsonResponse"
                | "Response"
                | "jsonify"
                | "render"
                | "TemplateResponse"
                | "ORJSONResponse"
        ) || (m.ends_with("Serializer")
            && r.keyword("many").is_some_and(|x| x.text == "True"));
        response
            && r.func == c.func
            && r.span.start > a.span.end
            && r.args.iter().any(|x| {
                let t = x.text.as_str();
                t == v
                    || t == format!("list({v})")
                    || t.contains(&format!(": {v}}}"))
                    || t.contains(&format!(": {v},"))
                    || t.contains(&format!(": list({v})"))
            })
    })
}

fn short_prefix(c: &Call) -> String {
    c.path.first().map(|s| s.name.clone()).unwrap_or_default()
}

/// `queryset = Model.objects.all()` on a DRF list view with no pagination class, in a
/// project whose settings set no default pagination.
fn drf_list_queryset(ctx: &Ctx, c: &Call) -> bool {
    let f = ctx.facts;

    let Some(a) = f.assigns.iter().find(|a| {
        a.func.is_none()
            && a.class.is_some()
            && a.targets.iter().any(|t| t == "queryset")
            && a.value_call
                .is_some_and(|ci| f.calls[ci as usize].span == c.span)
    }) else {
        return false;
    };
    let Some(ci) = a.class else { return false };
    // A class that computes its own queryset (`get_queryset`, `filter_queryset`) does not
    // list the attribute as written.
    let own_queryset = f.functions.iter().any(|x| {
        x.class == Some(ci) && matches!(x.name.as_str(), "get_queryset" | "filter_queryset")
    });
    !own_queryset && unpaginated_list_view(ctx, ci)
}

/// `def get_queryset(self): return Model.objects.filter(...)` on a DRF list view with no
/// pagination (see [`unpaginated_list_view`]) whose `list` is DRF's own: the queryset
/// returned is what the list serializes. Silent when the rows are the children of one
/// object the method looks up (`get_object_or_404(Task, pk=...)`, `self.kwargs[...]`):
/// those lists are as long as one parent's children.
fn drf_get_queryset(ctx: &Ctx, c: &Call) -> bool {
    let f = ctx.facts;
    let Some(fi) = c.func else { return false };
    let func = &f.functions[fi as usize];
    if func.name != "get_queryset" {
        return false;
    }
    let Some(ci) = func.class else { return false };
    // `list` overridden: what it sends is its own business (checked where it responds),
    // unless it only defers to DRF's (`return super().list(request, ...)`).
    let own_list = f
        .functions
        .iter()
        .position(|x| x.class == Some(ci) && x.name == "list");
    if let Some(li) = own_list {
        let defers = f.calls.iter().any(|d| {
            d.func == Some(li as crate::facts::Idx) && d.root() == "super" && d.method() == "list"
        });
        if !defers {
            return false;
        }
    }
    // Returned as it is: not sliced (`return qs[:100]`) nor chained on.
    let returned = f.exits.iter().zip(&f.exit_texts).any(|(&(s, e), t)| {
        s <= c.span.start
            && c.span.end <= e
            && t.starts_with("return")
            && !t
                .get((c.span.end - s) as usize..)
                .is_some_and(|after| after.trim_start().starts_with(['[', '.']))
    }) || returned_name(f, c, fi);
    // An owner or a container looked up (`project = get_object_or_404(Project, ...)`) is no
    // such parent: one project's rows grow with use (see [`owner_name`]).
    let one_parent = f.calls.iter().any(|d| {
        d.func == Some(fi)
            && matches!(
                d.method(),
                "get_object_or_404" | "get_object" | "get_parent_object" | "get_entity"
            )
            && !f
                .assign_of(d)
                .is_some_and(|a| !a.targets.is_empty() && a.targets.iter().all(|t| owner_name(t)))
    }) || c.args.iter().any(|a| a.text.contains("self.kwargs"))
        || c.path
            .iter()
            .any(|s| s.args.iter().any(|a| a.contains("self.kwargs")));
    returned && !one_parent && unpaginated_list_view(ctx, ci)
}

/// The query is assigned to a name that the function then returns as it is
/// (`qs = Model.objects.filter(...)` ... `return qs`).
fn returned_name(f: &crate::facts::FileFacts, c: &Call, fi: crate::facts::Idx) -> bool {
    let Some(a) = f.assign_of(c) else {
        return false;
    };
    let [v] = a.targets.as_slice() else {
        return false;
    };
    f.exits.iter().zip(&f.exit_texts).any(|(&(s, _), t)| {
        s > a.span.end
            && f.functions[fi as usize].span.start <= s
            && s < f.functions[fi as usize].span.end
            && t.strip_prefix("return").map(str::trim) == Some(v.as_str())
    })
}

/// A DRF list view (`ListAPIView`, `ModelViewSet`, ...) with no pagination of its own
/// (`pagination_class`, a `paginate_queryset` call), in a project whose settings set no
/// default pagination class.
fn unpaginated_list_view(ctx: &Ctx, ci: crate::facts::Idx) -> bool {
    let f = ctx.facts;
    let class = &f.classes[ci as usize];
    let list_view = class.superclasses.iter().any(|s| {
        let b = s.rsplit('.').next().unwrap_or(s);
        matches!(
            b,
            "ListAPIView"
                | "ListCreateAPIView"
                | "ModelViewSet"
                | "ReadOnlyModelViewSet"
                | "ListModelMixin"
        )
    });
    let has_pagination = f.assigns.iter().any(|x| {
        x.class == Some(ci)
            && x.func.is_none()
            && x.targets.iter().any(|t| t == "pagination_class")
            && x.value_text != "None"
    }) || f
        .calls
        .iter()
        .any(|d| d.class == Some(ci) && d.method() == "paginate_queryset");
    let paginated_by_default = ctx.index.default_pagination && project_paginates(ctx);
    list_view && !has_pagination && !paginated_by_default
}

/// Does a Django settings module of this file's project set `DEFAULT_PAGINATION_CLASS`?
/// A settings module covers the files under the folder that holds its package
/// (`proj/settings.py` and `proj/settings/base.py` cover everything beside `proj/`).
fn project_paginates(ctx: &Ctx) -> bool {
    ctx.index.pagination_settings.iter().any(|p| {
        let dir = match p.find("/settings/") {
            Some(i) => &p[..i],
            None => p.rsplit_once('/').map(|(d, _)| d).unwrap_or(""),
        };
        let root = dir.rsplit_once('/').map(|(r, _)| r).unwrap_or("");
        root.is_empty() || ctx.path.starts_with(&format!("{root}/"))
    })
}

/// The name the rows are assigned to is assigned again later in the same function
/// (`users = get_paginator(request, users)`, `rows = rows.filter(...)`): what finally
/// goes out is not this query.
fn reassigned_later(f: &crate::facts::FileFacts, c: &Call) -> bool {
    let Some(a) = f.assign_of(c) else {
        return false;
    };
    a.func.is_some()
        && f.assigns.iter().any(|b| {
            b.func == a.func
                && b.span.start > a.span.end
                && b.targets.iter().any(|t| a.targets.contains(t))
                && !(f.lang == Lang::Ruby && narrows(f, b))
        })
}

/// Ruby: `jobs = jobs.where(...)`: the same rows narrowed by an optional filter (Sinatra
/// and Rails handlers do it under `if params[:x]`), not paged; what goes out is still every
/// row that matches.
fn narrows(f: &crate::facts::FileFacts, b: &crate::facts::Assign) -> bool {
    let [v] = b.targets.as_slice() else {
        return false;
    };
    b.value_call.is_some_and(|ci| {
        let d = &f.calls[ci as usize];
        d.root() == v.as_str()
            && d.path.len() >= 2
            && d.path[1..].iter().all(|s| {
                matches!(
                    s.name.as_str(),
                    "where"
                        | "not"
                        | "or"
                        | "order"
                        | "reorder"
                        | "includes"
                        | "joins"
                        | "left_joins"
                        | "preload"
                        | "eager_load"
                        | "distinct"
                )
            })
    })
}

/// The query is bounded by a list of ids the request names (`run_ids = params[:run_ids]`
/// ... `where(run_id: run_ids)`): as many rows as the client lists.
fn id_list(f: &crate::facts::FileFacts, c: &Call) -> bool {
    let texts = c
        .path
        .iter()
        .flat_map(|s| s.args.iter().map(String::as_str))
        .chain(c.args.iter().map(|a| a.text.as_str()));
    texts.into_iter().any(|t| {
        t.split(|ch: char| !(ch.is_alphanumeric() || ch == '_'))
            .filter(|w| w.ends_with("ids"))
            .any(|w| {
                f.last_assign(c.func, c.span.start, w).is_some_and(|a| {
                    a.value_text.contains("params") || a.value_text.starts_with("request.")
                })
            })
    })
}

/// Sinatra: the rows of a route block go into the page or the JSON it answers with: an
/// instance variable the block's template sees (`@runs = ...` then `erb :runs`), or a name
/// passed to the template's locals, turned into JSON (`runs.to_json`), or put into a hash
/// that is (`data = { results: runs }` ... `data.to_json`).
fn sinatra_rows(ctx: &Ctx, c: &Call) -> bool {
    let f = ctx.facts;
    if f.lang != Lang::Ruby {
        return false;
    }
    let Some((region, "sinatra")) = ctx.index.request.handler_at(ctx.file, &c.span) else {
        return false;
    };
    let Some(a) = f.assign_of(c) else {
        return false;
    };
    let [v] = a.targets.as_slice() else {
        return false;
    };
    let after = |s: &crate::facts::Span| {
        region.start <= s.start && s.end <= region.end && s.start > a.span.end
    };
    // Assigned again, other than by a narrowing filter: the rows that go out are not these.
    if f.assigns
        .iter()
        .any(|b| after(&b.span) && b.targets.contains(v) && !narrows(f, b))
    {
        return false;
    }
    // Handed to a function whose result is kept (`results = page_of(@runs, params[:page])`):
    // what the page shows is that result.
    if f.assigns.iter().any(|b| {
        after(&b.span)
            && b.value_call.is_some_and(|ci| {
                let d = &f.calls[ci as usize];
                d.args.iter().any(|x| x.text == *v)
            })
    }) {
        return false;
    }
    let template = |d: &Call| {
        d.path.len() == 1 && matches!(d.root(), "erb" | "haml" | "slim" | "json" | "jbuilder")
    };
    // Names that hold the rows: the name itself and hashes built from it.
    let mut names = vec![v.as_str()];
    for b in &f.assigns {
        if after(&b.span) && hash_value(&b.value_text, v) {
            names.extend(b.targets.iter().map(String::as_str));
        }
    }
    f.calls.iter().any(|d| {
        after(&d.span)
            && ((v.starts_with('@') && template(d))
                || (template(d)
                    && d.args
                        .iter()
                        .any(|x| names.iter().any(|n| hash_value(&x.text, n))))
                || (d.method() == "to_json" && d.path.len() == 2 && names.contains(&d.root()))
                || (d.root() == "JSON"
                    && matches!(d.method(), "generate" | "dump" | "pretty_generate")
                    && d.args
                        .first()
                        .is_some_and(|x| names.contains(&x.text.as_str()))))
    })
}

/// `{ key: name }` / `{ key: name, ... }` / `key => name`: `name` is a value of the hash.
fn hash_value(text: &str, name: &str) -> bool {
    [": ", "=> "].iter().any(|sep| {
        text.match_indices(&format!("{sep}{name}")).any(|(i, m)| {
            let rest = &text[i + m.len()..];
            rest.is_empty() || rest.starts_with([',', '}', ' ', ')', '\n'])
        })
    })
}

/// Django: a call in the chain that is not part of Django's queryset API (a project's own
/// manager or queryset method such as `.recent()` may slice).
fn custom_queryset_method(ctx: &Ctx, c: &Call) -> bool {
    if ctx.facts.lang != Lang::Python {
        return false;
    }
    let Some(pos) = c.path.iter().position(|s| s.name == "objects") else {
        return false;
    };
    c.path[pos + 1..].iter().any(|s| {
        !matches!(
            s.name.as_str(),
            "all"
                | "filter"
                | "exclude"
                | "order_by"
                | "values"
                | "values_list"
                | "select_related"
                | "prefetch_related"
                | "annotate"
                | "only"
                | "defer"
                | "distinct"
                | "using"
                | "alias"
                | "reverse"
        )
    })
}

/// A page only administrators reach (`before_action :require_admin`, Django's
/// `staff_member_required` / `superuser_required`, a Python module under an `admin/`
/// folder): it lists definitions they manage, a
/// table that does not grow with user activity.
fn admin_only(ctx: &Ctx, c: &Call) -> bool {
    let f = ctx.facts;
    let admin = |t: &str| guard_name(t);
    // Python: the views of a project's own admin site (`app/admin/views.py`), which lists
    // the definitions administrators manage.
    if f.lang == Lang::Python && ctx.path.split('/').rev().skip(1).any(|d| d == "admin") {
        return true;
    }
    if let Some(ci) = c.class {
        if guards_class(f, ci) {
            return true;
        }
        // Guarded by a base controller in another file
        // (`class InboxController < Conductor::BaseController`, whose body says
        // `before_action :ensure_development_env`).
        if f.lang == Lang::Ruby
            && f.classes[ci as usize]
                .superclasses
                .iter()
                .any(|s| ctx.index.guarded_classes.contains(bare_class(s)))
        {
            return true;
        }
    }
    f.lang == Lang::Python
        && c.func.is_some_and(|i| {
            f.functions[i as usize].decorators.iter().any(|d| {
                let head = d.split('(').next().unwrap_or("");
                admin(head.rsplit('.').next().unwrap_or(head))
            })
        })
}

/// A guard's name that lets only administrators in, or only a development setup
/// (`require_admin`, `staff_member_required`, `ensure_development_env`).
fn guard_name(t: &str) -> bool {
    ["admin", "superuser", "staff", "development"]
        .iter()
        .any(|w| t.contains(w))
}

/// Ruby: the class's own body guards every action (`before_action :require_admin`).
fn guards_class(f: &crate::facts::FileFacts, ci: crate::facts::Idx) -> bool {
    f.calls.iter().any(|b| {
        b.class == Some(ci)
            && b.func.is_none()
            && b.path.len() == 1
            && matches!(b.root(), "before_action" | "before_filter")
            && b.args.first().is_some_and(|a| guard_name(&a.text))
    })
}

/// Ruby classes of this file whose body guards every action for administrators or for
/// development (see [`guards_class`]); the index adds the classes that inherit from them.
pub fn guarded_classes(f: &crate::facts::FileFacts) -> Vec<String> {
    if f.lang != Lang::Ruby {
        return Vec::new();
    }
    (0..f.classes.len())
        .filter(|&ci| !f.classes[ci].name.is_empty() && guards_class(f, ci as crate::facts::Idx))
        .map(|ci| bare_class(&f.classes[ci].name).to_string())
        .collect()
}

/// `Conductor::BaseController` → `BaseController`.
pub fn bare_class(name: &str) -> &str {
    name.rsplit("::").next().unwrap_or(name)
}

/// `@posts = Post.all` in a Rails `index` action: the view renders every record.
fn rails_index_ivar(ctx: &Ctx, c: &Call) -> bool {
    let f = ctx.facts;
    if f.lang != Lang::Ruby {
        return false;
    }
    let Some((region, "rails")) = ctx.index.request.handler_at(ctx.file, &c.span) else {
        return false;
    };
    let in_index = f
        .functions
        .iter()
        .any(|x| x.span == region && x.name == "index");
    in_index
        && (f.assigns.iter().any(|a| {
            a.targets.iter().any(|t| t.starts_with('@'))
                && a.value_call
                    .is_some_and(|ci| f.calls[ci as usize].span == c.span)
        }) || regrouped_into_ivar(f, c, &region))
        || f.calls.iter().any(|r| {
            r.root() == "render" && r.span.contains(&c.span) && r.keyword("json").is_some()
        })
}

/// Ruby: the rows are held in a local and then handed to the view whole, rearranged
/// (`issues = Issue.where(...)` ... `@issues_by_version = issues.group_by(&:fixed_version)`):
/// the same records, every one of them, reach the template.
fn regrouped_into_ivar(f: &crate::facts::FileFacts, c: &Call, region: &crate::facts::Span) -> bool {
    let Some(a) = f.assign_of(c) else {
        return false;
    };
    let [v] = a.targets.as_slice() else {
        return false;
    };
    if v.starts_with('@') {
        return false;
    }
    f.assigns.iter().any(|b| {
        region.start <= b.span.start
            && b.span.end <= region.end
            && b.span.start > a.span.end
            && b.targets.iter().any(|t| t.starts_with('@'))
            && b.value_call.is_some_and(|ci| {
                let d = &f.calls[ci as usize];
                d.root() == v.as_str()
                    && d.path.len() == 2
                    && matches!(
                        d.method(),
                        "to_a" | "group_by" | "index_by" | "sort_by" | "partition" | "chunk_while"
                    )
            })
    })
}

/// Python: the rows are the children of one object: the query names an object the
/// function looked up by the URL (`obj = get_object_or_404(...)`, `obj = self.get_object()`)
/// or the key of an object passed in (`def jobs_for(self, instance): ...
/// filter(object_id=instance.pk)`). Such a list is as long as one parent's children
/// (the ports of a device, the images of a page), not the table. An owner or a container
/// (`user`, `project`, see [`owner_name`]) is no such parent.
fn one_parent(f: &crate::facts::FileFacts, c: &Call) -> bool {
    if f.lang != Lang::Python {
        return false;
    }
    let Some(fi) = c.func else { return false };
    let func = &f.functions[fi as usize];
    let looked_up: Vec<&str> = f
        .assigns
        .iter()
        .filter(|a| {
            a.func == Some(fi)
                && a.span.end <= c.span.start
                && (a.value_text.starts_with("get_object_or_404(")
                    || a.value_text.starts_with("self.get_object(")
                    || a.value_text.starts_with("self.get_parent_object("))
        })
        .flat_map(|a| a.targets.iter().map(String::as_str))
        .filter(|v| !owner_name(v))
        .collect();
    let texts: Vec<&str> = c
        .path
        .iter()
        .flat_map(|s| s.args.iter().map(String::as_str))
        .chain(c.args.iter().map(|a| a.text.as_str()))
        .collect();
    let names_object = |t: &str, v: &str| {
        t.match_indices(v).any(|(i, _)| {
            let before = t[..i].chars().next_back();
            let after = t[i + v.len()..].chars().next();
            !before.is_some_and(|b| b.is_alphanumeric() || b == '_' || b == '.')
                && !after.is_some_and(|a| a.is_alphanumeric() || a == '_')
        })
    };
    let key_of = |t: &str, v: &str| {
        names_object(t, &format!("{v}.pk")) || names_object(t, &format!("{v}.id"))
    };
    texts.iter().any(|t| {
        looked_up.iter().any(|v| names_object(t, v))
            || func
                .params
                .iter()
                .filter(|p| !matches!(p.as_str(), "self" | "cls" | "request") && !owner_name(p))
                .any(|p| key_of(t, p))
    })
}

/// JavaScript / TypeScript: a helper that lists the rows of one parent whose key it is
/// given (`getColumns(tableId) { ... .where('c.tableId = :tableId', { tableId }) ... }`):
/// the rows are that parent's children, as in [`one_parent`]. A key of an owner or a
/// container (`userId`, `projectId`, see [`owner_name`]) is no such parent, and a handler's
/// own route parameter is not taken for one (the client names any parent it likes there).
fn keyed_by_parent_param(ctx: &Ctx, c: &Call) -> bool {
    let f = ctx.facts;
    if !f.lang.is_ecma() || in_handler(ctx, c) {
        return false;
    }
    let Some(fi) = c.func else { return false };
    let keys: Vec<&str> = f.functions[fi as usize]
        .params
        .iter()
        .map(String::as_str)
        .filter(|p| p.len() > 2 && (p.ends_with("Id") || p.ends_with("_id")) && !owner_name(p))
        .collect();
    if keys.is_empty() {
        return false;
    }
    c.path
        .iter()
        .flat_map(|s| s.args.iter().map(String::as_str))
        .chain(c.args.iter().map(|a| a.text.as_str()))
        .any(|t| {
            t.split(|ch: char| !(ch.is_alphanumeric() || ch == '_' || ch == '$'))
                .any(|w| keys.contains(&w))
        })
}

/// A name for an owner or a container rather than a parent (`user`, `account`,
/// `project`, ...): the rows of one user or one project grow with use, unlike the ports of a
/// device.
fn owner_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "user",
        "owner",
        "account",
        "org",
        "author",
        "member",
        "requestor",
        "customer",
        "tenant",
        "team",
        "workspace",
        "project",
    ]
    .iter()
    .any(|w| n.contains(w))
}

/// Python: the rows fill a django-tables2 table that pages them: the view class names a
/// table (`table = DeviceTable`, `table_class = ...`, as `SingleTableView` and the list
/// views built on it do), or the rows go into a `...Table(rows)` that is then configured
/// with the request (`table.configure(request)`, `RequestConfig(request).configure(table)`).
fn paged_table(f: &crate::facts::FileFacts, c: &Call) -> bool {
    if f.lang != Lang::Python {
        return false;
    }
    let class_table = c.class.is_some_and(|ci| {
        f.assigns.iter().any(|a| {
            a.class == Some(ci)
                && a.func.is_none()
                && a.targets.iter().any(|t| t == "table" || t == "table_class")
                && a.value_text != "None"
        })
    });
    if class_table {
        return true;
    }
    let Some(a) = f.assign_of(c) else {
        return false;
    };
    let [v] = a.targets.as_slice() else {
        return false;
    };
    // `table = RowTable(rows)` (or `data=rows`), later configured with the request.
    f.assigns.iter().any(|t| {
        t.func == c.func
            && t.span.start > a.span.end
            && t.value_call.is_some_and(|ti| {
                let tc = &f.calls[ti as usize];
                tc.method().ends_with("Table")
                    && tc
                        .args
                        .iter()
                        .any(|x| x.text == *v || x.text == format!("data={v}"))
            })
            && t.targets.iter().any(|tn| {
                f.calls.iter().any(|k| {
                    k.func == c.func
                        && k.span.start > t.span.end
                        && ((k.root() == tn.as_str() && k.method() == "configure")
                            || (k.method() == "configure"
                                && k.root() == "RequestConfig"
                                && k.args.iter().any(|x| x.text == *tn)))
                })
            })
    })
}

/// The rows are sorted first by a column people set by hand (`order_by("order")`,
/// `.order(:position)`, `order_by("weight", "pk")`): the list of a table whose rows are
/// arranged one by one (ranks, saved views, menu entries), which stays short.
fn hand_ordered(c: &Call) -> bool {
    c.path
        .iter()
        .filter(|s| matches!(s.name.as_str(), "order_by" | "order" | "reorder"))
        .any(|s| {
            s.args.first().is_some_and(|a| {
                let key = a
                    .trim_start_matches(['"', '\'', ':', '-', '{', ' '])
                    .split(['"', '\'', ',', ':', ' ', ')', '}', '='])
                    .next()
                    .unwrap_or("");
                matches!(
                    key,
                    "order" | "position" | "sort_order" | "sort_index" | "ordering" | "weight"
                )
            })
        })
}
