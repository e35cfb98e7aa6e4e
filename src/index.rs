//! The project index: what needs every file's facts. Models and their relations (the model
//! graph), project functions that run queries (directly or through other project
//! functions), and how a call resolves to a project function.

use std::collections::{HashMap, HashSet};

use crate::apis::{self, DbOp, Models};
use crate::config::Config;
use crate::facts::{Call, FileFacts, Idx, Span};
use crate::lang::Lang;

/// A relation of a model: `order.customer` (to-one) or `customer.orders` (to-many).
#[derive(Debug, Clone)]
pub struct Relation {
    pub to_many: bool,
    pub target: String,
}

/// A project function that runs database work when called.
#[derive(Debug, Clone)]
pub struct Helper {
    pub path: String,
    /// Where the database work is (the query itself, or the call to the next helper).
    pub span: Span,
    pub what: String,
    pub write: bool,
    /// 1: runs the query itself; 2: through one other project function; ...
    pub depth: u8,
}

/// What one file tells the index on its own, before any other file is known; taken in the
/// first pass while the file's facts are in memory.
#[derive(Debug, Default)]
pub struct LocalFacts {
    /// (family, class) of the models this file defines on direct evidence.
    models: Vec<(&'static str, String)>,
    relations: Vec<(String, String, Relation)>,
    requests_patched: bool,
    default_pagination: bool,
    handlers: crate::handlers::FileHandlers,
}

pub fn local_facts(path: &str, f: &FileFacts) -> LocalFacts {
    LocalFacts {
        models: model_evidence(f),
        relations: relations_of(f),
        requests_patched: f.lang == Lang::Python
            && f.assigns.iter().any(|a| {
                a.targets
                    .iter()
                    .any(|t| t.starts_with("requests.") || t.starts_with("HTTPAdapter."))
            }),
        default_pagination: (path.ends_with("settings.py") || path.contains("/settings/"))
            && f.strings_mention("DEFAULT_PAGINATION_CLASS"),
        handlers: crate::handlers::find(path, f),
    }
}

/// A call that resolves to a project function.
#[derive(Debug)]
struct Edge {
    /// The named function the call is in.
    caller: Option<Idx>,
    span: Span,
    /// The call as written (for helper messages), when it has a caller.
    what: String,
    /// What the head of a chain resolves to (`lazy_helper(x)` in `lazy_helper(x).sum()`).
    head: Option<(u32, Idx)>,
    target: Option<(u32, Idx)>,
}

/// One file's share of the index, from [`ProjectIndex::scan`].
#[derive(Debug, Default)]
pub struct FileScan {
    helpers: Vec<((u32, Idx), Helper)>,
    lazy: Vec<(u32, Idx)>,
    edges: Vec<Edge>,
    idle_async: Vec<(u32, Idx)>,
}

#[derive(Debug, Default)]
pub struct ProjectIndex {
    pub files: Vec<String>,
    /// family → model class names.
    pub models: HashMap<String, HashSet<String>>,
    /// (model, attribute) → relation.
    pub relations: HashMap<(String, String), Relation>,
    /// attribute → is it a to-many relation of some model (any model).
    pub relation_names: HashMap<String, bool>,
    /// (file index, function index) → the database work it does.
    pub helpers: HashMap<(u32, Idx), Helper>,
    /// Functions that build a query and hand it back unevaluated.
    lazy_helpers: HashSet<(u32, Idx)>,
    /// `async` functions that await nothing: awaiting one overlaps nothing.
    pub idle_async: HashSet<(u32, Idx)>,
    by_path: HashMap<String, u32>,
    /// file stem (`repo`, `helpers`) → file indexes.
    by_stem: HashMap<String, Vec<u32>>,
    /// class/module name → (file, class index).
    classes: HashMap<String, Vec<(u32, Idx)>>,
    query_functions: Vec<String>,
    write_functions: Vec<String>,
    /// Entry points and the functions they reach.
    pub request: crate::handlers::RequestPath,
    /// The project's Django settings set `DEFAULT_PAGINATION_CLASS`.
    pub default_pagination: bool,
    /// The project patches `requests` (`requests.Session.request = ...`, a mounted adapter
    /// class) to give every call a default timeout.
    pub requests_patched: bool,
}

impl Models for ProjectIndex {
    fn is_model(&self, family: &str, name: &str) -> bool {
        self.models.get(family).is_some_and(|s| s.contains(name))
    }
}

fn last_seg(s: &str) -> &str {
    s.rsplit(['.', ':']).next().unwrap_or(s)
}

fn stem(path: &str) -> String {
    let file = path.rsplit('/').next().unwrap_or(path);
    let base = file.split('.').next().unwrap_or(file);
    if base == "index" || base == "__init__" {
        // `./repo/index.js` is imported as `./repo`.
        let mut parts = path.rsplit('/');
        parts.next();
        return parts.next().unwrap_or(base).to_string();
    }
    base.to_string()
}

fn imports_any(f: &FileFacts, needles: &[&str]) -> bool {
    f.imports
        .iter()
        .any(|i| needles.iter().any(|n| i.source.contains(n)))
        || f.calls.iter().any(|c| {
            c.path.len() == 1
                && (c.root() == "require")
                && c.args
                    .first()
                    .is_some_and(|a| needles.iter().any(|n| a.text.contains(n)))
        })
}

impl ProjectIndex {
    /// The whole index from facts all in memory (one-file runs, tests). A run over a project
    /// uses the staged form, [`local_facts`] → [`ProjectIndex::new`] → [`ProjectIndex::scan`]
    /// → [`ProjectIndex::link`], which needs each file's facts only one at a time.
    pub fn build(files: &[(&str, &FileFacts)], config: &Config) -> ProjectIndex {
        let locals: Vec<LocalFacts> = files.iter().map(|(p, f)| local_facts(p, f)).collect();
        let mut ix = ProjectIndex::new(files, locals, config);
        let scans: Vec<FileScan> = (0..files.len()).map(|i| ix.scan(files, i as u32)).collect();
        ix.link(files, scans);
        ix
    }

    /// The index's global tables from each file's skeleton (see [`FileFacts::skeleton`]) and
    /// local facts: models (with subclasses), relations, classes, handlers.
    pub fn new(
        skeletons: &[(&str, &FileFacts)],
        locals: Vec<LocalFacts>,
        config: &Config,
    ) -> ProjectIndex {
        let mut ix = ProjectIndex {
            query_functions: config.query_functions.clone(),
            write_functions: config.write_functions.clone(),
            ..Default::default()
        };
        for (i, (path, f)) in skeletons.iter().enumerate() {
            ix.files.push(path.to_string());
            ix.by_path.insert(path.to_string(), i as u32);
            ix.by_stem.entry(stem(path)).or_default().push(i as u32);
            for (ci, c) in f.classes.iter().enumerate() {
                ix.classes
                    .entry(c.name.clone())
                    .or_default()
                    .push((i as u32, ci as Idx));
            }
        }
        for l in &locals {
            for (fam, name) in &l.models {
                ix.add_model(fam, name);
            }
        }
        ix.subclass_models(skeletons);
        let mut rels = Vec::new();
        for l in locals {
            ix.requests_patched |= l.requests_patched;
            ix.default_pagination |= l.default_pagination;
            rels.extend(l.relations);
            for (_, fw) in &l.handlers.regions {
                *ix.request.counts.entry(fw).or_default() += 1;
            }
            ix.request.per_file.push(l.handlers);
        }
        for (model, attr, rel) in rels {
            let e = ix.relation_names.entry(attr.clone()).or_insert(rel.to_many);
            *e = *e || rel.to_many;
            ix.relations.insert((model, attr), rel);
        }
        ix
    }

    fn add_model(&mut self, family: &str, name: &str) -> bool {
        self.models
            .entry(family.to_string())
            .or_default()
            .insert(name.to_string())
    }

    /// Subclasses of models are models (abstract bases, `ApplicationRecord`).
    fn subclass_models(&mut self, files: &[(&str, &FileFacts)]) {
        for _ in 0..6 {
            let mut added = false;
            for (_, f) in files {
                for c in &f.classes {
                    for s in &c.superclasses {
                        let base = last_seg(s);
                        let fams: Vec<String> = self
                            .models
                            .iter()
                            .filter(|(_, set)| set.contains(base))
                            .map(|(k, _)| k.clone())
                            .collect();
                        for fam in fams {
                            added |= self.add_model(&fam, &c.name);
                        }
                    }
                }
            }
            if !added {
                break;
            }
        }
    }
    /// The database operation of a call, from the vocabulary or the config's own names.
    pub fn db_op(&self, f: &FileFacts, call: &Call) -> Option<DbOp> {
        let lang = f.lang;
        if let Some(op) = apis::db_op(lang, call, self, &f.imports) {
            return Some(op);
        }
        let dotted = call.dotted();
        let configured = |names: &[String]| {
            names.iter().any(|n| match n.strip_prefix("*.") {
                Some(m) => call.method() == m && call.path.len() >= 2,
                None => dotted == *n || dotted.ends_with(&format!(".{n}")),
            })
        };
        let api = apis::all().iter().find(|a| {
            a.language
                == if lang == Lang::Python {
                    "python"
                } else if lang == Lang::Ruby {
                    "ruby"
                } else {
                    "ecma"
                }
        })?;
        if configured(&self.write_functions) {
            return Some(DbOp {
                api,
                op: call.method().to_string(),
                write: true,
                bulk: false,
            });
        }
        if configured(&self.query_functions) {
            return Some(DbOp {
                api,
                op: call.method().to_string(),
                write: false,
                bulk: false,
            });
        }
        None
    }

    /// The project function a call runs, best effort: same file, `this.`/`self.` methods,
    /// imported names, Ruby and Python class constants.
    pub fn resolve(
        &self,
        files: &[(&str, &FileFacts)],
        file: u32,
        call: &Call,
    ) -> Option<(u32, Idx)> {
        let f = files[file as usize].1;
        let name = call.method();
        let by_name = |fi: u32, class: Option<Idx>| -> Option<(u32, Idx)> {
            let ff = files[fi as usize].1;
            ff.functions
                .iter()
                .position(|x| {
                    x.name == name && (class.is_none() || x.class == class) && x.arg_of.is_none()
                })
                .map(|i| (fi, i as Idx))
        };
        match call.path.len() {
            1 => {
                // A plain call: a top-level function of this file, a method of the same class
                // (Ruby, Python), or an imported name.
                if let Some(x) = f.functions.iter().position(|x| {
                    x.name == name
                        && x.arg_of.is_none()
                        && (x.class.is_none() || x.class == call.class)
                }) {
                    return Some((file, x as Idx));
                }
                let imp = f.imports.iter().find(|i| i.local == name)?;
                let target = if imp.imported == "default" || imp.imported == "*" {
                    name
                } else {
                    imp.imported.as_str()
                };
                let src_stem = imp.source.rsplit(['/', '.']).find(|s| !s.is_empty())?;
                for &fi in self.by_stem.get(src_stem)? {
                    let ff = files[fi as usize].1;
                    if let Some(x) = ff
                        .functions
                        .iter()
                        .position(|x| x.name == target && x.arg_of.is_none())
                    {
                        return Some((fi, x as Idx));
                    }
                }
                None
            }
            2 => {
                let root = call.root();
                if matches!(root, "this" | "self") {
                    return by_name(file, call.class);
                }
                if root.chars().next().is_some_and(|c| c.is_uppercase()) {
                    // A class or module constant: its methods anywhere in the project.
                    for &(fi, ci) in self.classes.get(root)? {
                        if let Some(r) = by_name(fi, Some(ci)) {
                            return Some(r);
                        }
                    }
                    return None;
                }
                // A namespace import: `repo.loadUser()` with `import * as repo from './repo'`.
                let imp = f
                    .imports
                    .iter()
                    .find(|i| i.local == root && i.imported == "*")?;
                let src_stem = imp.source.rsplit(['/', '.']).find(|s| !s.is_empty())?;
                for &fi in self.by_stem.get(src_stem)? {
                    if let Some(r) = by_name(fi, None) {
                        return Some(r);
                    }
                }
                None
            }
            _ => None,
        }
    }

    /// What one file adds to the index once the models are known: the functions that run
    /// database work themselves (depth 1), the ones that hand back an unevaluated query, and
    /// every call that resolves to a project function. `files` holds this file's full facts
    /// and the skeletons of the others.
    pub fn scan(&self, files: &[(&str, &FileFacts)], file: u32) -> FileScan {
        let (path, f) = files[file as usize];
        let mut out = FileScan::default();
        let mut helpers: HashMap<(u32, Idx), Helper> = HashMap::new();
        let mut lazy: HashSet<(u32, Idx)> = HashSet::new();
        for call in &f.calls {
            let caller = innermost_named(f, call);
            if let Some(func) = caller {
                self.direct_work(path, f, file, func, call, &mut helpers, &mut lazy);
            }
            // `lazy_helper(x).sum(...)`: the chain evaluates the builder the head returns.
            let head = (caller.is_some() && call.path.len() >= 2 && call.path[0].called)
                .then(|| {
                    let mut head = call.clone();
                    head.path.truncate(1);
                    self.resolve(files, file, &head)
                })
                .flatten();
            let target = self.resolve(files, file, call);
            if head.is_none() && target.is_none() {
                continue;
            }
            out.edges.push(Edge {
                caller,
                span: call.span,
                what: if caller.is_some() {
                    format!("`{}`", call.dotted())
                } else {
                    String::new()
                },
                head,
                target,
            });
        }
        let mut helpers: Vec<_> = helpers.into_iter().collect();
        helpers.sort_by_key(|(k, _)| *k);
        out.helpers = helpers;
        let mut lazy: Vec<_> = lazy.into_iter().collect();
        lazy.sort();
        out.lazy = lazy;
        for (fx, fun) in f.functions.iter().enumerate() {
            let fx = fx as Idx;
            if fun.is_async
                && !f.awaits.iter().any(|a| a.func == Some(fx))
                && !f
                    .calls
                    .iter()
                    .any(|x| x.func == Some(fx) && (x.awaited || x.root() == "await"))
            {
                out.idle_async.push((file, fx));
            }
        }
        out
    }

    /// Depth 1: `call`, in function `func`, runs a query itself.
    #[allow(clippy::too_many_arguments)]
    fn direct_work(
        &self,
        path: &str,
        f: &FileFacts,
        file: u32,
        func: Idx,
        call: &Call,
        helpers: &mut HashMap<(u32, Idx), Helper>,
        lazy: &mut HashSet<(u32, Idx)>,
    ) {
        let Some(op) = self.db_op(f, call) else {
            return;
        };
        let key = (file, func);
        // A memoised or cached helper queries once, not per call.
        let fun = &f.functions[func as usize];
        let cached = fun.decorators.iter().any(|d| {
            let d = d.to_ascii_lowercase();
            d.contains("cache") || d.contains("memo")
        }) || f.calls.iter().any(|c| {
            fun.span.contains(&c.span) && c.span.start < call.span.start && {
                let d = c.dotted().to_ascii_lowercase();
                d.contains("cache.") || d.starts_with("cache") || d.contains("memo")
            }
        });
        if cached {
            return;
        }
        if !runs_here(f, &op, call) {
            // A function that returns a query builder (`Order.where(...)`): the
            // caller runs it (`paid_scope(id).sum(:total)`).
            if !op.write && !set_query(call) {
                lazy.insert(key);
            }
            return;
        }
        let entry = helpers.get(&key);
        // Prefer recording a read (n-plus-one) over a write when both are present.
        if entry.is_some_and(|h| !h.write || op.write) {
            return;
        }
        helpers.insert(
            key,
            Helper {
                path: path.to_string(),
                span: call.span,
                what: format!("`{}`", call.dotted()),
                write: op.write,
                depth: 1,
            },
        );
    }

    /// Joins the files' scans: functions that query through other project functions (up to
    /// 4 deep), and the functions reached from request handlers (3 calls deep).
    /// `skeletons` gives each file's functions.
    pub fn link(&mut self, skeletons: &[(&str, &FileFacts)], scans: Vec<FileScan>) {
        for s in &scans {
            self.helpers.extend(s.helpers.iter().cloned());
            self.lazy_helpers.extend(s.lazy.iter().copied());
            self.idle_async.extend(s.idle_async.iter().copied());
        }
        for depth in 2..=4u8 {
            let mut new = Vec::new();
            for (fi, scan) in scans.iter().enumerate() {
                let fi = fi as u32;
                for e in &scan.edges {
                    let Some(func) = e.caller else { continue };
                    if self.helpers.contains_key(&(fi, func)) {
                        continue;
                    }
                    if depth == 2 {
                        if let Some(t) = e.head {
                            if self.lazy_helpers.contains(&t) && t != (fi, func) {
                                new.push((
                                    (fi, func),
                                    Helper {
                                        path: self.files[fi as usize].clone(),
                                        span: e.span,
                                        what: e.what.clone(),
                                        write: false,
                                        depth: 2,
                                    },
                                ));
                                continue;
                            }
                        }
                    }
                    let Some(target) = e.target else { continue };
                    if target == (fi, func) {
                        continue;
                    }
                    if let Some(h) = self.helpers.get(&target) {
                        if h.depth == depth - 1 {
                            new.push((
                                (fi, func),
                                Helper {
                                    path: self.files[fi as usize].clone(),
                                    span: e.span,
                                    what: e.what.clone(),
                                    write: h.write,
                                    depth,
                                },
                            ));
                        }
                    }
                }
            }
            if new.is_empty() {
                break;
            }
            for (k, h) in new {
                self.helpers.entry(k).or_insert(h);
            }
        }
        let edges: Vec<Vec<(Span, (u32, Idx))>> = scans
            .into_iter()
            .map(|s| {
                s.edges
                    .into_iter()
                    .filter_map(|e| Some((e.span, e.target?)))
                    .collect()
            })
            .collect();
        self.request.reach(skeletons, &edges);
    }

    pub fn file_index(&self, path: &str) -> Option<u32> {
        self.by_path.get(path).copied()
    }
}

/// The named function a call sits in, skipping function literals passed as arguments
/// (a callback's query belongs to the function that passes it).
fn innermost_named(f: &FileFacts, call: &Call) -> Option<Idx> {
    let mut cur = call.func;
    let mut guard = 0;
    while let Some(i) = cur {
        guard += 1;
        if guard > 32 {
            return None;
        }
        let func = &f.functions[i as usize];
        if func.arg_of.is_none() && !func.name.is_empty() {
            return Some(i);
        }
        cur = func.parent;
    }
    None
}

/// `comments` → `Comment`, `line_items` → `LineItem`, `author` → `Author`.
pub fn singular_camel(attr: &str) -> String {
    let base = if let Some(s) = attr.strip_suffix("ies") {
        format!("{s}y")
    } else if let Some(s) = attr.strip_suffix("ses") {
        format!("{s}s")
    } else if let Some(s) = attr.strip_suffix('s') {
        s.to_string()
    } else {
        attr.to_string()
    };
    base.split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// Does this database call run a query, one row set at a time, where it stands? Not when it
/// is a lazy builder nobody evaluates here, nor when it is already keyed on a set of values.
pub fn runs_here(f: &FileFacts, op: &DbOp, call: &Call) -> bool {
    !(set_query(call) || (lazy(op, call) && !evaluated(f, call)))
}

/// Is the query already keyed on a set of values (`In(ids)`, `id__in=chunk`, `whereIn`,
/// `where(id: ids)` with a list, `= ANY($1)`)? Then each iteration is a batch, not a row.
pub fn set_query(call: &Call) -> bool {
    call.path.iter().any(|s| {
        matches!(
            s.name.as_str(),
            "whereIn" | "where_in" | "in_" | "filter_in" | "whereInIds"
        )
    }) || call
        .path
        .iter()
        .flat_map(|s| s.args.iter())
        .chain(call.args.iter().map(|a| &a.text))
        .any(|t| {
            t.contains("__in=")
                || t.contains("In(")
                || t.contains("{ in:")
                || t.contains("{in:")
                || t.contains("$in")
                || t.contains(".in_(")
                || t.to_ascii_lowercase().contains("= any(")
                || t.contains(" IN (")
                || t.contains(" in (")
        })
}

/// A query builder that has not run yet (`Model.objects.filter(...)` assigned or passed on,
/// `Post.where(...)` kept as a relation): it queries only where it is evaluated.
fn lazy(op: &DbOp, call: &Call) -> bool {
    if op.write {
        return false;
    }
    let last = call.method();
    let lazy_ops: &[&str] = match op.api.framework.as_str() {
        "django" => &[
            "all",
            "filter",
            "exclude",
            "order_by",
            "annotate",
            "select_related",
            "prefetch_related",
            "only",
            "defer",
            "distinct",
            "none",
            "values",
            "values_list",
            "using",
            "alias",
        ],
        "activerecord" => &[
            "where",
            "order",
            "joins",
            "left_joins",
            "includes",
            "preload",
            "eager_load",
            "select",
            "all",
            "limit",
            "offset",
            "group",
            "distinct",
            "none",
            "not",
            "reorder",
            "rewhere",
            "unscope",
            "merge",
            "readonly",
            "lock",
            "references",
            "from",
        ],
        "sqlalchemy" => &[
            "query",
            "filter",
            "filter_by",
            "join",
            "outerjoin",
            "order_by",
            "limit",
            "offset",
            "group_by",
            "distinct",
            "with_entities",
            "where",
        ],
        _ => return false,
    };
    lazy_ops.contains(&last)
}

/// Is a lazy query evaluated right here: wrapped in `list()`/`len()`/..., or iterated?
fn evaluated(f: &FileFacts, call: &Call) -> bool {
    const EVAL: &[&str] = &[
        "list",
        "len",
        "tuple",
        "set",
        "sorted",
        "sum",
        "any",
        "all",
        "bool",
        "dict",
        "enumerate",
        "zip",
        "next",
        "iter",
        "reversed",
        "max",
        "min",
        "frozenset",
    ];
    f.calls.iter().any(|c| {
        c.path.len() == 1
            && EVAL.contains(&c.root())
            && c.span.contains(&call.span)
            && c.span != call.span
    }) || f
        .loops
        .iter()
        .any(|l| l.iter_span.is_some_and(|s| s.contains(&call.span)))
}

/// Models this file defines on its own evidence: (family, class).
fn model_evidence(f: &FileFacts) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    match f.lang {
        Lang::Python => {
            let py_orm = imports_any(f, &["peewee", "tortoise"]);
            let sqla = imports_any(f, &["sqlalchemy", "flask_sqlalchemy"]);
            for c in &f.classes {
                for s in &c.superclasses {
                    let fam = match s.as_str() {
                        "db.Model" => Some("sqlalchemy"),
                        "Base" | "DeclarativeBase" | "Model" if sqla => Some("sqlalchemy"),
                        "models.Model" | "Model" if py_orm => Some("pymodel"),
                        "models.Model" => Some("django"),
                        _ => None,
                    };
                    if let Some(fam) = fam {
                        out.push((fam, c.name.clone()));
                    }
                }
            }
        }
        Lang::Ruby => {
            for c in &f.classes {
                if c.superclasses
                    .iter()
                    .any(|s| s == "ApplicationRecord" || s == "ActiveRecord::Base")
                {
                    out.push(("activerecord", c.name.clone()));
                }
            }
        }
        _ => {
            let sequelize = imports_any(f, &["sequelize"]);
            for c in &f.classes {
                if sequelize
                    && c.superclasses
                        .iter()
                        .any(|s| s == "Model" || s.ends_with(".Model"))
                {
                    out.push(("jsmodel", c.name.clone()));
                }
            }
            for a in &f.assigns {
                let Some(ci) = a.value_call else { continue };
                let call = &f.calls[ci as usize];
                let m = call.method();
                let is_model = (m == "define"
                    && call.path.len() == 2
                    && call
                        .args
                        .first()
                        .is_some_and(|x| x.kind == crate::facts::ArgKind::String))
                    || (m == "model"
                        && (call.path.len() == 1
                            || call.root() == "mongoose"
                            || call.root() == "connection"
                            || call.root() == "db")
                        && call
                            .args
                            .first()
                            .is_some_and(|x| x.kind == crate::facts::ArgKind::String));
                if is_model {
                    if let Some(t) = a.targets.first() {
                        let name = last_seg(t).to_string();
                        out.push(("jsmodel", name));
                    }
                }
            }
        }
    }
    out
}

/// Relations declared in this file: (model, attribute, relation), reverse ones included.
fn relations_of(f: &FileFacts) -> Vec<(String, String, Relation)> {
    let mut rels: Vec<(String, String, Relation)> = Vec::new();
    match f.lang {
        Lang::Python => {
            for a in &f.assigns {
                let (Some(ci), Some(cls)) = (a.value_call, a.class) else {
                    continue;
                };
                let model = &f.classes[cls as usize].name;
                let call = &f.calls[ci as usize];
                let kind = call.method();
                let (fwd_many, rev_many) = match kind {
                    "ForeignKey" | "ParentalKey" => (false, true),
                    "OneToOneField" => (false, false),
                    "ManyToManyField" | "ParentalManyToManyField" => (true, true),
                    _ => continue,
                };
                let Some(attr) = a.targets.first() else {
                    continue;
                };
                let target = call
                    .args
                    .iter()
                    .find(|x| x.keyword.is_none() || x.keyword.as_deref() == Some("to"))
                    .map(|x| last_seg(x.text.trim_matches(['"', '\''])).to_string())
                    .unwrap_or_default();
                let target = if target == "self" {
                    model.clone()
                } else {
                    target
                };
                rels.push((
                    model.clone(),
                    attr.clone(),
                    Relation {
                        to_many: fwd_many,
                        target: target.clone(),
                    },
                ));
                let related = call
                    .keyword("related_name")
                    .map(|x| x.text.trim_matches(['"', '\'']).to_string());
                let reverse = match related {
                    Some(r) if r.starts_with('+') => None,
                    Some(r) => Some(r),
                    None if rev_many => Some(format!("{}_set", model.to_lowercase())),
                    None => Some(model.to_lowercase()),
                };
                if let Some(r) = reverse {
                    rels.push((
                        target,
                        r,
                        Relation {
                            to_many: rev_many,
                            target: model.clone(),
                        },
                    ));
                }
            }
        }
        Lang::Ruby => {
            for c in &f.calls {
                let Some(cls) = c.class else { continue };
                if c.path.len() != 1 || c.func.is_some() {
                    continue;
                }
                let to_many = match c.root() {
                    "belongs_to" | "has_one" => false,
                    "has_many" | "has_and_belongs_to_many" => true,
                    _ => continue,
                };
                let Some(a) = c.args.first() else { continue };
                let attr = a
                    .text
                    .trim_start_matches(':')
                    .trim_matches(['"', '\''])
                    .to_string();
                let model = f.classes[cls as usize].name.clone();
                let target = c
                    .keyword("class_name")
                    .map(|x| x.text.trim_matches(['"', '\'']).to_string())
                    .unwrap_or_else(|| singular_camel(&attr));
                rels.push((model, attr, Relation { to_many, target }));
            }
        }
        _ => {}
    }
    rels
}
