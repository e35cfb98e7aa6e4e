//! The project index: what needs every file's facts. Models and their relations (the model
//! graph), project functions that run queries (directly or through other project
//! functions), and how a call resolves to a project function.

use std::collections::{HashMap, HashSet};

use crate::apis::{self, DbOp, Models};
use crate::config::Config;
use crate::facts::{Arg, ArgKind, Call, FileFacts, Idx, Span};
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
    eager_methods: Vec<String>,
    queryset_methods: Vec<String>,
    listed_serializers: Vec<String>,
    /// Module-level singletons: `Memories = MemoriesTable()` as (name, class).
    instances: Vec<(String, String)>,
    /// Ruby controllers that let only administrators or a development setup in
    /// (`before_action :require_admin`, `before_action :ensure_development_env`).
    guarded_classes: Vec<String>,
    /// A Ruby file that requires a web framework, an ORM, a database driver or a job queue.
    requires_server: bool,
    /// The project files a Ruby file requires (`handlers::ruby_required_paths`).
    required: Vec<String>,
}

pub fn local_facts(path: &str, f: &FileFacts) -> LocalFacts {
    LocalFacts {
        models: model_evidence(f),
        // Migrations declare stand-in copies of the models (Alembic scripts), often without
        // the real model's loading options.
        relations: if crate::handlers::is_migration_path(path) {
            Vec::new()
        } else {
            relations_of(f)
        },
        requests_patched: f.lang == Lang::Python
            && f.assigns.iter().any(|a| {
                a.targets
                    .iter()
                    .any(|t| t.starts_with("requests.") || t.starts_with("HTTPAdapter."))
            }),
        // Settings modules, and helpers that build the `REST_FRAMEWORK` dict for them
        // (`get_drf_settings()` in an API package); never a test.
        default_pagination: f.lang == Lang::Python
            && f.strings_mention("DEFAULT_PAGINATION_CLASS")
            && !crate::handlers::is_test_path(path),
        handlers: crate::handlers::find(path, f),
        eager_methods: eager_methods(f),
        queryset_methods: queryset_methods(f),
        listed_serializers: listed_serializers(f),
        instances: instances(f),
        guarded_classes: crate::rules::unbounded_query::guarded_classes(f),
        requires_server: crate::handlers::requires_server_lib(f),
        required: crate::handlers::ruby_required_paths(f),
    }
}

/// Python module-level singletons, `Users = UsersTable()`: a capitalised name bound at the
/// top of a module to a call of a capitalised class with no arguments.
fn instances(f: &FileFacts) -> Vec<(String, String)> {
    if f.lang != Lang::Python {
        return Vec::new();
    }
    f.assigns
        .iter()
        .filter(|a| a.func.is_none() && a.class.is_none())
        .filter_map(|a| {
            let [name] = a.targets.as_slice() else {
                return None;
            };
            let c = &f.calls[a.value_call? as usize];
            let class = c.root();
            let capital = |t: &str| t.chars().next().is_some_and(|x| x.is_ascii_uppercase());
            (c.path.len() == 1 && c.args.is_empty() && capital(name) && capital(class))
                .then(|| (name.clone(), class.to_string()))
        })
        .collect()
}

/// The spans of a file's calls that read a cache (`cache.get(key)`, `memo(...)`), for
/// [`cached_before`]; most files have none.
fn cache_reads(f: &FileFacts) -> Vec<Span> {
    f.calls
        .iter()
        .filter(|c| {
            // Neither word can span two segments: most calls are ruled out without the text.
            c.path.iter().any(|s| {
                let n = s.name.as_bytes();
                n.windows(5).any(|w| w.eq_ignore_ascii_case(b"cache"))
                    || n.windows(4).any(|w| w.eq_ignore_ascii_case(b"memo"))
            }) && {
                let d = c.dotted().to_ascii_lowercase();
                d.contains("cache.") || d.starts_with("cache") || d.contains("memo")
            }
        })
        .map(|c| c.span)
        .collect()
}

/// Is function `func` memoised, or does it read a cache before `call` (`cache.get(key)`,
/// then the query on a miss; `reads` from [`cache_reads`])? Then a call to it queries once
/// per key, not once per call.
fn cached_before(f: &FileFacts, func: Idx, call: &Call, reads: &[Span]) -> bool {
    let fun = &f.functions[func as usize];
    fun.decorators.iter().any(|d| {
        let d = d.to_ascii_lowercase();
        d.contains("cache") || d.contains("memo")
    }) || reads
        .iter()
        .any(|c| fun.span.contains(c) && c.start < call.span.start)
}

/// A call site: (file, the call's span, the innermost function the call is in).
pub type CallSite = (u32, Span, Option<Idx>);

/// A call that resolves to a project function.
#[derive(Debug)]
struct Edge {
    /// The named function the call is in.
    caller: Option<Idx>,
    /// The innermost function the call is in (a callback too).
    func: Option<Idx>,
    span: Span,
    /// The call as written (for helper messages), when it has a caller.
    what: String,
    /// What the head of a chain resolves to (`lazy_helper(x)` in `lazy_helper(x).sum()`).
    head: Option<(u32, Idx)>,
    target: Option<(u32, Idx)>,
    /// What an injected collaborator's method call resolves to (request reach only).
    injected: Option<(u32, Idx)>,
    /// The caller reads a cache or is memoised before this call (see [`cached_before`]).
    cached: bool,
}

/// One file's share of the index, from [`ProjectIndex::scan`].
#[derive(Debug, Default)]
pub struct FileScan {
    helpers: Vec<((u32, Idx), Helper)>,
    lazy: Vec<(u32, Idx)>,
    edges: Vec<Edge>,
    idle_async: Vec<(u32, Idx)>,
    /// Calls to project functions whose result leaves the function they are in (sent or
    /// returned): (the named function they are in, whether a handler makes them, target).
    returns: Vec<(Option<Idx>, bool, (u32, Idx))>,
    plural_loops: Vec<(u32, Idx)>,
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
    /// (file index, function index) of a helper → a bit per parameter whose value reaches
    /// the helper's database work (its arguments or receiver), directly or through the
    /// helpers it calls. Parameter 63 stands for every later one.
    pub param_use: HashMap<(u32, Idx), u64>,
    /// Helpers whose database work all sits in a branch (`if`/`else`/conditional
    /// expression) of their own body, directly or through the helpers they call: a call
    /// may well run no query.
    pub conditional: HashSet<(u32, Idx)>,
    /// Names of project methods that add an eager load to a query (a custom QuerySet or
    /// scope method whose body calls `select_related`, `prefetch_related`, `includes`, ...).
    pub eager_methods: HashSet<String>,
    /// Names of read methods of the project's Django QuerySet and Manager classes
    /// (`ChangeQuerySet.content`): on a to-many relation they build a new query, as
    /// `filter` does.
    pub queryset_methods: HashSet<String>,
    /// Django REST framework serializers that render many objects at once: the
    /// `serializer_class` of a list view (`ListAPIView`, `ListModelMixin`, a `ModelViewSet`)
    /// or a class called with `many=True`, and the project classes those derive from.
    pub listed_serializers: HashSet<String>,
    /// Functions that build a query and hand it back unevaluated.
    lazy_helpers: HashSet<(u32, Idx)>,
    /// `async` functions that await nothing: awaiting one overlaps nothing.
    pub idle_async: HashSet<(u32, Idx)>,
    /// Project function → the calls that resolve to it: (file, call span, the innermost
    /// function the call is in), in file and source order.
    pub callers: HashMap<(u32, Idx), Vec<CallSite>>,
    /// Project functions whose result a handler sends back, directly or through functions
    /// that return it (up to 3 calls deep): what they return reaches the client.
    pub response_helpers: HashSet<(u32, Idx)>,
    /// Plural parameters (file, function, position) that some caller fills with rows of a
    /// query or request data, directly or through its own plural parameter (see
    /// [`crate::rules::db_loop::plural_feeds`]).
    pub fed_params: HashSet<(u32, Idx, u8)>,
    /// Functions with a loop over one of their plural parameters: the ones whose callers
    /// the feed pass reads.
    pub plural_loop_fns: HashSet<(u32, Idx)>,
    /// Names of project functions with a plural parameter (`def f(orders)`): the calls the
    /// feed pass looks at.
    pub plural_fn_names: HashSet<String>,
    /// Paths of Django settings modules (or the helpers that build their `REST_FRAMEWORK`)
    /// that set `DEFAULT_PAGINATION_CLASS`.
    pub pagination_settings: Vec<String>,
    by_path: HashMap<String, u32>,
    /// file stem (`repo`, `helpers`) → file indexes.
    by_stem: HashMap<String, Vec<u32>>,
    /// class/module name → (file, class index).
    classes: HashMap<String, Vec<(u32, Idx)>>,
    /// Module-level singleton name → the classes it is bound to (`Users` → `UsersTable`).
    instances: HashMap<String, Vec<String>>,
    query_functions: Vec<String>,
    write_functions: Vec<String>,
    /// Entry points and the functions they reach.
    pub request: crate::handlers::RequestPath,
    /// The project's Django settings set `DEFAULT_PAGINATION_CLASS`.
    pub default_pagination: bool,
    /// Ruby controller classes guarded for administrators or development only, with the
    /// classes that inherit from them (by bare name: `Conductor::BaseController` is
    /// `BaseController`).
    pub guarded_classes: HashSet<String>,
    /// The project patches `requests` (`requests.Session.request = ...`, a mounted adapter
    /// class) to give every call a default timeout.
    pub requests_patched: bool,
    /// Python folders where at least half of the modules use a server framework, an ORM, a
    /// database driver or a job queue (`handlers::uses_server_module`), and folders holding a
    /// Ruby server file (see [`ProjectIndex::ruby_server_dirs`]): their modules are server
    /// code.
    pub server_dirs: HashSet<String>,
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

pub(crate) fn imports_any(f: &FileFacts, needles: &[&str]) -> bool {
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
    /// → [`ProjectIndex::link`] → [`ProjectIndex::helper_calls`] →
    /// [`ProjectIndex::link_params`], which needs each file's facts only one at a time.
    pub fn build(files: &[(&str, &FileFacts)], config: &Config) -> ProjectIndex {
        let locals: Vec<LocalFacts> = files.iter().map(|(p, f)| local_facts(p, f)).collect();
        let mut ix = ProjectIndex::new(files, locals, config);
        let scans: Vec<FileScan> = (0..files.len())
            .map(|i| ix.scan(files, i as u32, files[i].1))
            .collect();
        ix.link(files, scans);
        let calls = (0..files.len())
            .map(|i| ix.helper_calls(files, i as u32, files[i].1))
            .collect();
        ix.link_params(calls);
        ix.link_feeds_with(|ix, callers, targets| {
            let mut callers: Vec<u32> = callers.iter().copied().collect();
            callers.sort();
            callers
                .into_iter()
                .flat_map(|i| {
                    let (path, facts) = files[i as usize];
                    let ctx = crate::rules::Ctx::new(path, facts, ix, config, files, i);
                    crate::rules::db_loop::plural_feeds(&ctx, targets)
                })
                .collect()
        });
        ix
    }

    /// Runs the feed pass (`pass(index, caller files, target functions)`, see
    /// [`crate::rules::db_loop::plural_feeds`]) over the files that call a function looping
    /// over a plural parameter; then over the callers of the functions that pass their own
    /// plural parameter on to one (a few rounds); then links the feeds.
    pub fn link_feeds_with(
        &mut self,
        mut pass: impl FnMut(
            &ProjectIndex,
            &HashSet<u32>,
            &HashSet<(u32, Idx)>,
        ) -> Vec<crate::rules::db_loop::Feed>,
    ) {
        use crate::rules::db_loop::Feed;
        let mut all = Vec::new();
        let mut targets = self.plural_loop_fns.clone();
        let mut new = targets.clone();
        for _round in 0..4 {
            let files: HashSet<u32> = new
                .iter()
                .filter_map(|t| self.callers.get(t))
                .flatten()
                .map(|s| s.0)
                .collect();
            if files.is_empty() {
                break;
            }
            let feeds = pass(self, &files, &new);
            let next: HashSet<(u32, Idx)> = feeds
                .iter()
                .filter_map(|f| match f {
                    Feed::Param(_, from) => Some((from.0, from.1)),
                    Feed::Rows(_) => None,
                })
                .filter(|t| !targets.contains(t))
                .collect();
            all.extend(feeds);
            if next.is_empty() {
                break;
            }
            targets.extend(next.iter().copied());
            new = next;
        }
        self.link_feeds(all);
    }

    /// Which plural parameters some caller fills with many rows: the direct feeds, then
    /// through callers' own parameters until nothing changes.
    fn link_feeds(&mut self, feeds: Vec<crate::rules::db_loop::Feed>) {
        use crate::rules::db_loop::Feed;
        let mut fed: HashSet<(u32, Idx, u8)> = feeds
            .iter()
            .filter_map(|f| match f {
                Feed::Rows(p) => Some(*p),
                Feed::Param(..) => None,
            })
            .collect();
        for _round in 0..8 {
            let mut changed = false;
            for f in &feeds {
                if let Feed::Param(p, from) = f {
                    if fed.contains(from) && fed.insert(*p) {
                        changed = true;
                    }
                }
            }
            if !changed {
                break;
            }
        }
        self.fed_params = fed;
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
        // Per folder: (Python modules using a server library, Python modules; a package's
        // `__init__.py` only when it uses one).
        let mut py_dirs: HashMap<&str, (usize, usize)> = HashMap::new();
        for (i, (path, f)) in skeletons.iter().enumerate() {
            if f.lang == Lang::Python {
                let server = crate::handlers::uses_server_module(f);
                let package_marker = path.ends_with("__init__.py");
                if server || !package_marker {
                    let e = py_dirs.entry(crate::handlers::dir_of(path)).or_default();
                    e.0 += usize::from(server);
                    e.1 += 1;
                }
            }
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
        for (_, f) in skeletons {
            for fun in &f.functions {
                if fun
                    .params
                    .iter()
                    .any(|p| crate::rules::db_loop::plural_name(p))
                {
                    ix.plural_fn_names.insert(fun.name.clone());
                }
            }
        }
        for l in &locals {
            for (fam, name) in &l.models {
                ix.add_model(fam, name);
            }
        }
        ix.subclass_models(skeletons);
        let mut rels = Vec::new();
        let mut requires_server = Vec::with_capacity(locals.len());
        for mut l in locals {
            requires_server.push((l.requires_server, std::mem::take(&mut l.required)));
            ix.requests_patched |= l.requests_patched;
            ix.default_pagination |= l.default_pagination;
            if l.default_pagination {
                ix.pagination_settings
                    .push(ix.files[ix.request.per_file.len()].clone());
            }
            rels.extend(l.relations);
            ix.eager_methods.extend(l.eager_methods);
            ix.queryset_methods.extend(l.queryset_methods);
            ix.listed_serializers.extend(l.listed_serializers);
            for (name, class) in l.instances {
                ix.instances.entry(name).or_default().push(class);
            }
            ix.guarded_classes.extend(l.guarded_classes);
            for (_, fw) in &l.handlers.regions {
                *ix.request.counts.entry(fw).or_default() += 1;
            }
            ix.request.per_file.push(l.handlers);
        }
        // A Ruby controller that inherits from a guarded one is guarded too.
        for _ in 0..4 {
            let mut added = false;
            for (_, f) in skeletons.iter().filter(|(_, f)| f.lang == Lang::Ruby) {
                for c in &f.classes {
                    let name = crate::rules::unbounded_query::bare_class(&c.name);
                    if !name.is_empty()
                        && !ix.guarded_classes.contains(name)
                        && c.superclasses
                            .iter()
                            .any(|s| ix.guarded_classes.contains(last_seg(s)))
                    {
                        ix.guarded_classes.insert(name.to_string());
                        added = true;
                    }
                }
            }
            if !added {
                break;
            }
        }
        // A folder where at least half of the modules use a server library, if only lazily,
        // is a server package (a Django app, a gateway's provider modules): its other modules
        // are server code too. A folder where one module among many does (a client library's
        // helpers beside a module that talks to a database) is not.
        ix.server_dirs.extend(
            py_dirs
                .into_iter()
                .filter(|&(_, (server, all))| server > 0 && 2 * server >= all)
                .map(|(d, _)| d.to_string()),
        );
        // A project serializer that a listed one derives from (`ProjectCountsSerializer(
        // ProjectSerializer)`) renders those lists too.
        let bases: Vec<String> = skeletons
            .iter()
            .flat_map(|(_, f)| &f.classes)
            .filter(|c| ix.listed_serializers.contains(&c.name))
            .flat_map(|c| &c.superclasses)
            .filter_map(|s| s.rsplit('.').next())
            .map(str::to_string)
            .collect();
        ix.listed_serializers.extend(bases);
        ix.ruby_server_dirs(skeletons, &requires_server);
        for (model, attr, rel) in rels {
            let e = ix.relation_names.entry(attr.clone()).or_insert(rel.to_many);
            *e = *e || rel.to_many;
            ix.relations.insert((model, attr), rel);
        }
        ix
    }

    /// Adds the folders of Ruby server files to `server_dirs`. A Ruby file is server code
    /// when it holds a handler, defines a model, requires a web framework, an ORM, a
    /// database driver or a job queue, is part of such a library or sits in a Rails
    /// application's or engine's server folders (`handlers::ruby_server_path`), or lies
    /// under `app/` or `lib/` beside a `config/routes.rb`; and so is a project file that a
    /// Ruby server file requires (a Sinatra app's helpers and routes).
    fn ruby_server_dirs(
        &mut self,
        skeletons: &[(&str, &FileFacts)],
        requires_server: &[(bool, Vec<String>)],
    ) {
        let roots: Vec<&str> = self
            .files
            .iter()
            .filter_map(|p| p.strip_suffix("config/routes.rb"))
            .filter(|r| r.is_empty() || r.ends_with('/'))
            .collect();
        let mut dirs = Vec::new();
        for (i, (path, f)) in skeletons.iter().enumerate() {
            if f.lang != Lang::Ruby || crate::handlers::not_server_code(path) {
                continue;
            }
            let server = requires_server.get(i).is_some_and(|r| r.0)
                || self
                    .request
                    .per_file
                    .get(i)
                    .is_some_and(|h| !h.regions.is_empty())
                || f.classes
                    .iter()
                    .any(|c| !c.name.is_empty() && self.is_model("activerecord", &c.name))
                || crate::handlers::ruby_server_path(path)
                || roots.iter().any(|r| {
                    path.strip_prefix(r)
                        .is_some_and(|rest| rest.starts_with("app/") || rest.starts_with("lib/"))
                });
            if server {
                dirs.push(crate::handlers::dir_of(path).to_string());
                for req in requires_server
                    .get(i)
                    .map(|r| r.1.as_slice())
                    .unwrap_or_default()
                {
                    let tail = format!("/{req}");
                    for &fi in self
                        .by_stem
                        .get(&stem(req))
                        .map(Vec::as_slice)
                        .unwrap_or_default()
                    {
                        let p = &self.files[fi as usize];
                        if p.ends_with(&tail) && !crate::handlers::not_server_code(p) {
                            dirs.push(crate::handlers::dir_of(p).to_string());
                        }
                    }
                }
            }
        }
        self.server_dirs.extend(dirs);
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
                let lang = apis::lang_key(f.lang);
                // An anonymous class (`class extends Error {}`) names no model.
                for c in f.classes.iter().filter(|c| !c.name.is_empty()) {
                    for s in &c.superclasses {
                        let base = last_seg(s);
                        // A family of the class's own language: a JavaScript class that
                        // extends `Error` is not a model because a Python model is named so.
                        let fams: Vec<String> = self
                            .models
                            .iter()
                            .filter(|(fam, set)| {
                                set.contains(base)
                                    && apis::family_language(fam).is_none_or(|l| l == lang)
                            })
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
    /// Is `name` a model class of any framework in the project? ([`Models::is_model`] asks
    /// for one framework.)
    pub fn is_any_model(&self, name: &str) -> bool {
        self.models.values().any(|s| s.contains(name))
    }

    /// The database operation of a call, from the vocabulary or the config's own names.
    pub fn db_op(&self, f: &FileFacts, call: &Call) -> Option<DbOp> {
        let lang = f.lang;
        if let Some(op) = apis::db_op(lang, call, self, &f.imports) {
            return Some(op);
        }
        // Most projects name no functions of their own in the config.
        if self.write_functions.is_empty() && self.query_functions.is_empty() {
            return None;
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

    /// An injected collaborator named after its class: `this.userService.list()` with
    /// `constructor(private userService: UserService)` (NestJS-style dependency
    /// injection, compiled or not) resolves to `UserService.list` when one class of the
    /// project has that name; a Python module-level singleton (`Users.get_users()` with
    /// `Users = UsersTable()`) to the method of its class. Used for request reachability
    /// and response helpers only: the database-helper links keep to
    /// [`ProjectIndex::resolve`].
    pub fn resolve_injected(
        &self,
        files: &[(&str, &FileFacts)],
        file: u32,
        call: &Call,
    ) -> Option<(u32, Idx)> {
        let f = files[file as usize].1;
        let name = call.method();
        let method_of = |class: &str| {
            // One class of that name only: a name shared by several classes cannot be told
            // apart.
            let [(fi, ci)] = self.classes.get(class)?.as_slice() else {
                return None;
            };
            files[*fi as usize]
                .1
                .functions
                .iter()
                .position(|x| x.name == name && x.class == Some(*ci) && x.arg_of.is_none())
                .map(|i| (*fi, i as Idx))
        };
        // A module-level singleton: `Users.get_users()` with `Users = UsersTable()`.
        if f.lang == Lang::Python && call.path.len() == 2 {
            let [class] = self.instances.get(call.root())?.as_slice() else {
                return None;
            };
            return method_of(class);
        }
        if f.lang == Lang::Ruby || call.path.len() != 3 || !matches!(call.root(), "this" | "self") {
            return None;
        }
        let field = call.path[1].name.trim_start_matches('_');
        if !field.starts_with(|c: char| c.is_ascii_lowercase()) {
            return None;
        }
        method_of(&upper_first(field))
    }

    /// What one file adds to the index once the models are known: the functions that run
    /// database work themselves (depth 1), the ones that hand back an unevaluated query, and
    /// every call that resolves to a project function. `f` is the file's facts; `files` may
    /// hold only skeletons (see [`FileFacts::skeleton`]): resolving needs no more.
    pub fn scan(&self, files: &[(&str, &FileFacts)], file: u32, f: &FileFacts) -> FileScan {
        let path = files[file as usize].0;
        let mut out = FileScan::default();
        let mut helpers: HashMap<(u32, Idx), Helper> = HashMap::new();
        let mut lazy: HashSet<(u32, Idx)> = HashSet::new();
        let reads = cache_reads(f);
        for call in &f.calls {
            let caller = innermost_named(f, call);
            if let Some(func) = caller {
                self.direct_work(path, f, file, func, call, &reads, &mut helpers, &mut lazy);
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
            let injected = target
                .is_none()
                .then(|| self.resolve_injected(files, file, call))
                .flatten();
            if head.is_none() && target.is_none() && injected.is_none() {
                continue;
            }
            if let Some(t) = target.or(injected) {
                if crate::rules::request::rows_leave(f, call) {
                    let region = self.request.handler_at(file, &call.span);
                    // Rows sent to administrators only are the tables they manage.
                    let admin = region.is_some_and(|(r, _)| crate::handlers::admin_handler(f, &r));
                    if !admin {
                        out.returns.push((caller, region.is_some(), t));
                    }
                }
            }
            out.edges.push(Edge {
                caller,
                func: call.func,
                span: call.span,
                what: if caller.is_some() {
                    format!("`{}`", call.dotted())
                } else {
                    String::new()
                },
                head,
                target,
                injected,
                cached: caller.is_some_and(|func| cached_before(f, func, call, &reads)),
            });
        }
        let mut helpers: Vec<_> = helpers.into_iter().collect();
        helpers.sort_by_key(|(k, _)| *k);
        out.helpers = helpers;
        let mut lazy: Vec<_> = lazy.into_iter().collect();
        lazy.sort();
        out.lazy = lazy;
        // Async functions that await nothing themselves.
        let mut awaits = vec![false; f.functions.len()];
        let awaiting = f.awaits.iter().map(|a| a.func).chain(
            f.calls
                .iter()
                .filter(|x| x.awaited || x.root() == "await")
                .map(|x| x.func),
        );
        for fx in awaiting.flatten() {
            if let Some(a) = awaits.get_mut(fx as usize) {
                *a = true;
            }
        }
        for (fx, fun) in f.functions.iter().enumerate() {
            if fun.is_async && !awaits[fx] {
                out.idle_async.push((file, fx as Idx));
            }
        }
        out.plural_loops = crate::rules::db_loop::plural_loop_functions(f)
            .into_iter()
            .map(|fx| (file, fx))
            .collect();
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
        reads: &[Span],
        helpers: &mut HashMap<(u32, Idx), Helper>,
        lazy: &mut HashSet<(u32, Idx)>,
    ) {
        let Some(op) = self.db_op(f, call) else {
            return;
        };
        let key = (file, func);
        // A memoised or cached helper queries once, not per call.
        let cached = cached_before(f, func, call, reads);
        // A query in an exception handler is a fallback, not the helper's work.
        if cached
            || f.rescues
                .iter()
                .any(|&(s, e)| s <= call.span.start && call.span.end <= e)
        {
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
            self.plural_loop_fns.extend(s.plural_loops.iter().copied());
        }
        for depth in 2..=4u8 {
            let mut new = Vec::new();
            for (fi, scan) in scans.iter().enumerate() {
                let fi = fi as u32;
                for e in &scan.edges {
                    let Some(func) = e.caller else { continue };
                    if e.cached || self.helpers.contains_key(&(fi, func)) {
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
        // Functions whose result goes back to the client: returned or sent by a handler,
        // then returned by those functions in turn.
        for s in &scans {
            for (_, in_handler, t) in &s.returns {
                if *in_handler {
                    self.response_helpers.insert(*t);
                }
            }
        }
        for _depth in 0..2 {
            let mut new = Vec::new();
            for (fi, s) in scans.iter().enumerate() {
                for (caller, _, t) in &s.returns {
                    if caller.is_some_and(|c| self.response_helpers.contains(&(fi as u32, c)))
                        && !self.response_helpers.contains(t)
                    {
                        new.push(*t);
                    }
                }
            }
            if new.is_empty() {
                break;
            }
            self.response_helpers.extend(new);
        }
        let edges: Vec<Vec<(Span, (u32, Idx))>> = scans
            .into_iter()
            .enumerate()
            .map(|(fi, s)| {
                s.edges
                    .into_iter()
                    .filter_map(|e| {
                        let Some(t) = e.target else {
                            return e.injected.map(|t| (e.span, t));
                        };
                        self.callers
                            .entry(t)
                            .or_default()
                            .push((fi as u32, e.span, e.func));
                        Some((e.span, t))
                    })
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
pub fn innermost_named(f: &FileFacts, call: &Call) -> Option<Idx> {
    f.enclosing_functions(call.func)
        .find(|(_, func)| func.arg_of.is_none() && !func.name.is_empty())
        .map(|(i, _)| i)
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
    base.split('_').map(upper_first).collect()
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
                || t.contains(".In)(")
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
            let objection = imports_any(f, &["objection"]);
            for c in &f.classes {
                let model = c
                    .superclasses
                    .iter()
                    .any(|s| s == "Model" || s.ends_with(".Model"));
                if sequelize && model {
                    out.push(("jsmodel", c.name.clone()));
                }
                if objection && model {
                    out.push(("objection", c.name.clone()));
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
        // Django fields, and Peewee's `ForeignKeyField(User, backref="tweets")` in a file that
        // imports peewee (Tortoise's fields of the same name are not lazy: reading one that
        // was not fetched raises).
        Lang::Python => {
            let peewee = imports_any(f, &["peewee", "playhouse"]);
            let sqla = imports_any(f, &["sqlalchemy", "flask_sqlalchemy"]);
            for a in &f.assigns {
                let (Some(ci), Some(cls)) = (a.value_call, a.class) else {
                    continue;
                };
                let model = &f.classes[cls as usize].name;
                let call = &f.calls[ci as usize];
                let kind = call.method();
                if sqla && kind == "relationship" {
                    rels.extend(sqlalchemy_relationship(model, a, call));
                    continue;
                }
                let (fwd_many, rev_many) = match kind {
                    "ForeignKey" | "ParentalKey" => (false, true),
                    "ForeignKeyField" | "DeferredForeignKey" if peewee => (false, true),
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
                    .find(|x| matches!(x.keyword.as_deref(), None | Some("to" | "model")))
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
                    .or_else(|| call.keyword("backref").filter(|_| peewee))
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
        // Sequelize associations: `Customer.hasMany(Order, { as: 'orders' })`. The relation
        // is named as its accessors are (`getOrders`, `countOrders`): the alias, else the
        // target model's name, plural for a to-many one. The model and the target are
        // capitalised names; the target may be reached through the models' registry
        // (`models.Order`), and the model is the class itself in its own static method
        // (`this.hasMany(models.Order)` in `static associate(models)`).
        _ => {
            let capital = |t: &str| t.chars().next().is_some_and(|c| c.is_ascii_uppercase());
            for c in &f.calls {
                let to_many = match c.method() {
                    "hasOne" | "belongsTo" => false,
                    "hasMany" | "belongsToMany" => true,
                    _ => continue,
                };
                let [model, _] = c.path.as_slice() else {
                    continue;
                };
                let model = match (model.name.as_str(), c.class) {
                    ("this", Some(k)) => f.classes[k as usize].name.as_str(),
                    (name, _) => name,
                };
                let Some(target) = c.args.first().and_then(model_reference) else {
                    continue;
                };
                if c.path[0].called || !capital(model) || !capital(target) {
                    continue;
                }
                let alias = c
                    .args
                    .get(1)
                    .filter(|a| a.kind == ArgKind::Object)
                    .and_then(|a| string_property(&a.text, "as"));
                let name = match alias {
                    Some(a) => upper_first(&a),
                    None if to_many => plural(target),
                    None => target.to_string(),
                };
                rels.push((
                    model.to_string(),
                    name,
                    Relation {
                        to_many,
                        target: target.to_string(),
                    },
                ));
            }
            // sequelize-typescript: `@HasMany(() => Order) orders: Order[]` on a model class.
            // The association is named after the field (`getOrders`, `$get('orders')`).
            if !imports_any(f, &["sequelize"]) {
                return rels;
            }
            for k in &f.classes {
                for d in &k.fields {
                    let to_many = match f.calls[d.call as usize].method() {
                        "HasOne" | "BelongsTo" => false,
                        "HasMany" | "BelongsToMany" => true,
                        _ => continue,
                    };
                    let Some(target) = d.returns.as_deref().map(last_seg).filter(|t| capital(t))
                    else {
                        continue;
                    };
                    rels.push((
                        k.name.clone(),
                        upper_first(&d.name),
                        Relation {
                            to_many,
                            target: target.to_string(),
                        },
                    ));
                }
            }
        }
    }
    rels
}

/// A SQLAlchemy collection that loads on first access (the default `lazy="select"`): a
/// many-to-many `relationship(..., secondary=...)`, with its plain `backref`, one with
/// `uselist=True`, or one annotated `Mapped[list[...]]`. Reading it on a row runs one query
/// per row, so it is a to-one relation here: the attribute read is the load. A many-to-one relation is left out: its lazy load
/// looks in the session's identity map first, so it queries once per distinct target (a
/// few databases for all tables), and the declaration alone does not tell which way a
/// relation points. `lazy="joined"`, `"selectin"`, `"dynamic"`, `"raise"`... load with the
/// query, return a query, or refuse: not read either.
fn sqlalchemy_relationship(
    model: &str,
    a: &crate::facts::Assign,
    call: &Call,
) -> Vec<(String, String, Relation)> {
    let unquote = |t: &str| t.trim_matches(['"', '\'']).to_string();
    let lazy = call.keyword("lazy").map(|x| unquote(&x.text));
    // `topics: Mapped[list["Topic"]] = relationship(...)`: the annotation says it.
    let annotated = a.annotation.as_deref().and_then(|t| {
        ["Mapped[list[", "Mapped[List[", "Mapped[set[", "Mapped[Set["]
            .iter()
            .find_map(|p| t.strip_prefix(p))
    });
    let collection = call.keyword("secondary").is_some()
        || call.keyword("uselist").is_some_and(|x| x.text == "True")
        || annotated.is_some();
    if !collection || !matches!(lazy.as_deref(), None | Some("select" | "True")) {
        return Vec::new();
    }
    let Some(attr) = a.targets.first() else {
        return Vec::new();
    };
    let target = call
        .args
        .iter()
        .find(|x| x.keyword.is_none() || x.keyword.as_deref() == Some("argument"))
        .filter(|x| matches!(x.kind, ArgKind::String | ArgKind::Ident))
        .map(|x| last_seg(&unquote(&x.text)).to_string())
        .or_else(|| {
            let inner = annotated?.split([']', ',']).next()?;
            Some(last_seg(&unquote(inner.trim())).to_string())
        })
        .unwrap_or_default();
    let one = |m: &str, attr: &str, target: &str| {
        let rel = Relation {
            to_many: false,
            target: target.to_string(),
        };
        (m.to_string(), attr.to_string(), rel)
    };
    let mut out = vec![one(model, attr, &target)];
    let backref = call
        .keyword("backref")
        .filter(|x| x.kind == ArgKind::String)
        .map(|x| unquote(&x.text));
    if let Some(b) = backref.filter(|_| !target.is_empty() && call.keyword("secondary").is_some()) {
        out.push(one(&target, &b, model));
    }
    out
}

/// The model an association call's argument names: `Order` for `Order` or `models.Order`.
fn model_reference(a: &Arg) -> Option<&str> {
    let path = |t: &str| {
        t.split('.').all(|p| {
            p.chars()
                .next()
                .is_some_and(|c| c.is_alphabetic() || c == '_' || c == '$')
                && p.chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '$')
        })
    };
    match a.kind {
        ArgKind::Ident => Some(&a.text),
        ArgKind::Other if path(&a.text) => Some(last_seg(&a.text)),
        _ => None,
    }
}

/// Does `call` write through a Sequelize association the project declares: `setX` and
/// `createX` of any, `addX`/`removeX` of a to-many one under its plural or singular name
/// (`addOrders`, `addOrder`), `createX` of a to-many one under the singular?
pub fn association_writer(relations: &HashMap<(String, String), Relation>, call: &Call) -> bool {
    let Some((verb, name)) = association_call(call, &["set", "create", "add", "remove"]) else {
        return false;
    };
    let name = name.as_ref();
    relations.iter().any(|((_, rel), r)| {
        if !r.to_many {
            return matches!(verb, "set" | "create") && rel == name;
        }
        let singular = singular_camel(rel);
        match verb {
            "set" => rel == name,
            "create" => singular == name,
            _ => rel == name || singular == name,
        }
    })
}

/// The string value of property `key` in an object literal's text: `orders` for `as` in
/// `{ as: 'orders', foreignKey: 'customerId' }`.
fn string_property(text: &str, key: &str) -> Option<String> {
    let mut from = 0;
    while let Some(p) = text[from..].find(key) {
        let s = from + p;
        from = s + key.len();
        let before = text[..s].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
            continue;
        }
        let rest = text[from..].trim_start();
        let Some(rest) = rest.strip_prefix(':') else {
            continue;
        };
        let rest = rest.trim_start();
        let quote = rest
            .chars()
            .next()
            .filter(|q| matches!(q, '\'' | '"' | '`'))?;
        let value = &rest[1..];
        return value.find(quote).map(|e| value[..e].to_string());
    }
    None
}

/// `s` with its first letter in ASCII upper case (`orders` → `Orders`).
fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
        .unwrap_or_default()
}

/// The Sequelize association accessor `call` makes, among `verbs`: `("get", "Orders")` for
/// `customer.getOrders()` and for sequelize-typescript's `customer.$get('orders')`, which
/// calls the same accessor.
pub fn association_call<'c>(
    call: &'c Call,
    verbs: &[&'static str],
) -> Option<(&'static str, std::borrow::Cow<'c, str>)> {
    let m = call.method();
    let Some(verb) = m.strip_prefix('$') else {
        return association_accessor(m, verbs).map(|(v, n)| (v, n.into()));
    };
    let verb = verbs.iter().find(|v| **v == verb)?;
    let name = call
        .args
        .first()
        .filter(|a| a.kind == ArgKind::String)
        .map(|a| a.text.trim_matches(['"', '\'', '`']))
        .filter(|n| !n.is_empty() && n.chars().all(|c| c.is_alphanumeric() || c == '_'))?;
    Some((verb, upper_first(name).into()))
}

/// A Sequelize association accessor's verb and association name: `("get", "Orders")` for
/// `getOrders`, among `verbs`; `None` when the name after the verb is not capitalised.
pub fn association_accessor<'m>(
    method: &'m str,
    verbs: &[&'static str],
) -> Option<(&'static str, &'m str)> {
    verbs
        .iter()
        .find_map(|v| method.strip_prefix(v).map(|n| (*v, n)))
        .filter(|(_, name)| name.starts_with(|c: char| c.is_ascii_uppercase()))
}

/// An English plural, as Sequelize names a to-many association after its model (`Orders`,
/// `Categories`, `Addresses`); irregular words are not known.
fn plural(word: &str) -> String {
    let consonant_y = word.len() > 1
        && word.ends_with('y')
        && !word[..word.len() - 1].ends_with(['a', 'e', 'i', 'o', 'u']);
    if consonant_y {
        format!("{}ies", &word[..word.len() - 1])
    } else if word.ends_with(['s', 'x', 'z']) || word.ends_with("ch") || word.ends_with("sh") {
        format!("{word}es")
    } else {
        format!("{word}s")
    }
}

/// Does `text` mention `name` as a whole identifier (`order` in `order.id`, not in
/// `orders` or `reorder`)?
pub fn mentions(text: &str, name: &str) -> bool {
    if name.is_empty() {
        return false;
    }
    let ident = |c: char| c.is_alphanumeric() || c == '_' || c == '$' || c == '@';
    let mut from = 0;
    while let Some(pos) = text[from..].find(name) {
        let s = from + pos;
        let e = s + name.len();
        let before_ok = text[..s].chars().next_back().is_none_or(|c| !ident(c));
        let after_ok = text[e..].chars().next().is_none_or(|c| !ident(c));
        if before_ok && after_ok {
            return true;
        }
        from = e;
    }
    false
}

/// The texts a call is made of: its receiver and method names, and every argument of every
/// call in its chain. The second value says some argument was cut short (its tail unknown).
pub fn call_texts(call: &Call) -> (Vec<&str>, bool) {
    let mut out: Vec<&str> = Vec::new();
    let mut cut = false;
    for seg in &call.path {
        out.push(&seg.name);
        for a in &seg.args {
            cut |= a.len() >= 230;
            out.push(a);
        }
    }
    for a in &call.args {
        cut |= a.text.len() >= 230;
        out.push(&a.text);
    }
    (out, cut)
}

/// Names that carry `seeds` inside `scope` before `before`: the seeds, and the targets of
/// assignments in the scope whose value mentions one of them (a few rounds).
pub fn carried_names(f: &FileFacts, seeds: &[String], scope: Span, before: u32) -> Vec<String> {
    let mut names: Vec<String> = seeds.iter().filter(|s| !s.is_empty()).cloned().collect();
    for _ in 0..3 {
        let mut grew = false;
        for a in &f.assigns {
            if !scope.contains(&a.span) || a.span.end > before {
                continue;
            }
            let value = if a.value_text.is_empty() {
                a.value_call
                    .map(|ci| f.calls[ci as usize].dotted())
                    .unwrap_or_default()
            } else {
                a.value_text.clone()
            };
            if names.iter().any(|n| mentions(&value, n)) {
                for t in &a.targets {
                    let t = t.trim_start_matches("self.").trim_start_matches("this.");
                    if !t.is_empty() && !names.iter().any(|n| n == t) {
                        names.push(t.to_string());
                        grew = true;
                    }
                }
            }
        }
        if !grew {
            break;
        }
    }
    names
}

/// Does a call to `target` pass a value mentioning one of `names` into a parameter that
/// reaches the target's database work? Unknown targets and cut-short arguments count as yes.
pub fn passes_to_query(
    ix: &ProjectIndex,
    files: &[(&str, &FileFacts)],
    target: (u32, Idx),
    call: &Call,
    names: &[String],
) -> bool {
    let Some(mask) = ix.param_use.get(&target).copied() else {
        return true;
    };
    let callee = &files[target.0 as usize].1.functions[target.1 as usize];
    bits_of_args(
        callee,
        call,
        |text| names.iter().any(|n| mentions(text, n)),
        mask,
    )
}

/// Walk the arguments of `call` against the parameters of `callee`: is some argument that
/// `hit` accepts passed to a parameter whose bit is set in `mask`?
fn bits_of_args(
    callee: &crate::facts::Function,
    call: &Call,
    hit: impl Fn(&str) -> bool,
    mask: u64,
) -> bool {
    arg_bits(callee, call, hit) & mask != 0
}

/// Where an argument of a call goes among the callee's parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgSlot {
    /// The parameter at this index, by keyword or by position.
    Param(usize),
    /// A positional argument past the named parameters (`*args`, `...rest`).
    Extra,
    /// A keyword no parameter has (`**kwargs`).
    UnknownKeyword,
}

/// Each argument of `call` with the parameter of `callee` it fills (`self`/`cls` skipped).
pub fn arg_slots<'c>(
    callee: &'c crate::facts::Function,
    call: &'c Call,
) -> impl Iterator<Item = (ArgSlot, &'c crate::facts::Arg)> {
    let offset = usize::from(
        callee
            .params
            .first()
            .is_some_and(|p| p == "self" || p == "cls"),
    );
    let params = &callee.params;
    let mut pos = 0usize;
    call.args.iter().map(move |a| {
        let slot = match &a.keyword {
            Some(k) => params
                .iter()
                .position(|p| p == k)
                .map_or(ArgSlot::UnknownKeyword, ArgSlot::Param),
            None => {
                let i = pos + offset;
                pos += 1;
                if i < params.len() {
                    ArgSlot::Param(i)
                } else {
                    ArgSlot::Extra
                }
            }
        };
        (slot, a)
    })
}

/// The bits of the parameters of `callee` that receive an argument of `call` which `hit`
/// accepts (or which was cut short, its tail unknown).
fn arg_bits(callee: &crate::facts::Function, call: &Call, hit: impl Fn(&str) -> bool) -> u64 {
    let last = callee.params.len().saturating_sub(1);
    let mut bits = 0u64;
    for (slot, a) in arg_slots(callee, call) {
        let bit = match slot {
            ArgSlot::Param(i) => 1u64 << i.min(63),
            // `*args` / `...rest` and positions past the named ones.
            ArgSlot::Extra => 1u64 << last.min(63),
            // An unknown keyword goes to `**kwargs`: count it.
            ArgSlot::UnknownKeyword => u64::MAX,
        };
        if hit(&a.text) || a.text.len() >= 230 {
            bits |= bit;
        }
    }
    bits
}

/// A call inside a helper (see [`ProjectIndex::helper_calls`]), reduced to what the
/// parameter analysis needs.
#[derive(Debug)]
pub struct HelperCall {
    key: (u32, Idx),
    /// The project function it runs; none for a query written in the helper.
    target: Option<(u32, Idx)>,
    /// Per parameter of the helper, how its value reaches the call.
    params: Vec<ParamHit>,
    /// The call sits in a branch of the helper's body.
    branched: bool,
}

#[derive(Debug, Clone, Copy)]
struct ParamHit {
    /// A query written in the helper mentions it (or an argument was cut short).
    direct: bool,
    /// The callee's parameters that receive it.
    args: u64,
    /// It is the receiver of the call (`x.helper()`).
    recv: bool,
    /// Some text of the call mentions it.
    text: bool,
}

impl ProjectIndex {
    /// The calls inside helpers in one file, once [`ProjectIndex::link`] knows the helpers:
    /// each with how the helper's parameters reach it. `f` is the file's facts; `files` may
    /// hold only skeletons.
    pub fn helper_calls(
        &self,
        files: &[(&str, &FileFacts)],
        file: u32,
        f: &FileFacts,
    ) -> Vec<HelperCall> {
        let mut out = Vec::new();
        if self.helpers.is_empty() {
            return out;
        }
        // The names carrying each parameter, per helper.
        let mut carried: HashMap<Idx, Vec<Vec<String>>> = HashMap::new();
        for call in &f.calls {
            let Some(func) = innermost_named(f, call) else {
                continue;
            };
            let key = (file, func);
            if !self.helpers.contains_key(&key) {
                continue;
            }
            let target = if let Some(op) = self.db_op(f, call) {
                if !runs_here(f, &op, call)
                    || f.rescues
                        .iter()
                        .any(|&(s, e)| s <= call.span.start && call.span.end <= e)
                {
                    continue;
                }
                None
            } else {
                match self.resolve(files, file, call) {
                    Some(t) if self.helpers.contains_key(&t) && t != key => Some(t),
                    _ => {
                        // `lazy_helper(x).first`: the head of the chain.
                        if call.path.len() >= 2 && call.path[0].called {
                            let mut head = call.clone();
                            head.path.truncate(1);
                            match self.resolve(files, file, &head) {
                                Some(t) if self.lazy_helpers.contains(&t) => Some(t),
                                _ => continue,
                            }
                        } else {
                            continue;
                        }
                    }
                }
            };
            let fun = &f.functions[func as usize];
            let params = carried.entry(func).or_insert_with(|| {
                fun.params
                    .iter()
                    .map(|p| {
                        if p == "self" || p == "cls" || p == "this" {
                            Vec::new()
                        } else {
                            carried_names(f, std::slice::from_ref(p), fun.body, u32::MAX)
                        }
                    })
                    .collect()
            });
            let (texts, cut) = call_texts(call);
            let callee = target.map(|t| &files[t.0 as usize].1.functions[t.1 as usize]);
            let params = params
                .iter()
                .map(|names| {
                    let hit = |text: &str| names.iter().any(|n| mentions(text, n));
                    let text = texts.iter().any(|t| hit(t));
                    ParamHit {
                        // A query written in the helper: the parameter is in it, or in the
                        // SQL text assigned before it.
                        direct: cut && !names.is_empty() || text,
                        args: callee.map(|c| arg_bits(c, call, hit)).unwrap_or(0),
                        recv: call.path.len() >= 2 && hit(call.root()),
                        text,
                    }
                })
                .collect();
            let body = fun.body;
            let branched = f
                .branches
                .iter()
                .any(|&(s, e)| body.start <= s && s <= call.span.start && call.span.end <= e);
            out.push(HelperCall {
                key,
                target,
                params,
                branched,
            });
        }
        out
    }

    /// For each helper, which of its parameters reach its database work, and whether all
    /// of that work sits in a branch; from every file's [`ProjectIndex::helper_calls`].
    pub fn link_params(&mut self, per_file: Vec<Vec<HelperCall>>) {
        if self.helpers.is_empty() {
            return;
        }
        let calls: Vec<HelperCall> = per_file.into_iter().flatten().collect();
        let mut masks: HashMap<(u32, Idx), u64> = HashMap::new();
        for _round in 0..5 {
            let mut changed = false;
            for c in &calls {
                let mut m = 0u64;
                for (i, p) in c.params.iter().enumerate() {
                    let reaches = match c.target {
                        None => p.direct,
                        Some(t) => {
                            let tmask = if self.lazy_helpers.contains(&t)
                                && !self.helpers.contains_key(&t)
                            {
                                u64::MAX
                            } else {
                                masks.get(&t).copied().unwrap_or(0)
                            };
                            p.args & tmask != 0
                                // `x.helper()` / a chain on a lazy builder: the receiver.
                                || p.recv
                                || (self.lazy_helpers.contains(&t) && p.text)
                        }
                    };
                    if reaches {
                        m |= 1u64 << i.min(63);
                    }
                }
                let e = masks.entry(c.key).or_insert(0);
                if *e | m != *e {
                    *e |= m;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        for k in self.helpers.keys() {
            masks.entry(*k).or_insert(0);
        }
        self.param_use = masks;
        // Helpers with database work outside any branch of their body.
        let mut sure: HashSet<(u32, Idx)> = HashSet::new();
        for _round in 0..5 {
            let mut changed = false;
            for c in &calls {
                // A lazy builder's chain (`scope(x).sum`) is evaluated right here.
                let pending = c
                    .target
                    .is_some_and(|t| self.helpers.contains_key(&t) && !sure.contains(&t));
                if sure.contains(&c.key) || pending {
                    continue;
                }
                if !c.branched {
                    sure.insert(c.key);
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        self.conditional = self
            .helpers
            .keys()
            .filter(|k| !sure.contains(k))
            .copied()
            .collect();
    }
}

/// Methods of project classes that call an eager-loading query method in their body.
fn eager_methods(f: &FileFacts) -> Vec<String> {
    const EAGER: &[&str] = &[
        "select_related",
        "prefetch_related",
        "includes",
        "preload",
        "eager_load",
    ];
    let mut out = Vec::new();
    for call in &f.calls {
        if !call.path.iter().any(|s| EAGER.contains(&s.name.as_str())) {
            continue;
        }
        let Some(func) = innermost_named(f, call) else {
            continue;
        };
        let fun = &f.functions[func as usize];
        // Not the framework's own names, which a manager may override for other reasons.
        let builtin = ["where", "find", "queryset", "scope"];
        if fun.class.is_some()
            && !EAGER.contains(&fun.name.as_str())
            && !QUERYSET_READS.contains(&fun.name.as_str())
            && !builtin.contains(&fun.name.as_str())
        {
            out.push(fun.name.clone());
        }
    }
    out
}

/// The reads of Django's QuerySet API that a project's own manager or queryset methods are
/// never taken for (by [`eager_methods`] and [`queryset_methods`], each with more names).
const QUERYSET_READS: &[&str] = &[
    "all",
    "filter",
    "exclude",
    "get",
    "first",
    "last",
    "order_by",
    "get_queryset",
];

/// Methods of Python classes that derive from a Django `QuerySet` or `Manager`
/// (`class ChangeQuerySet(models.QuerySet)`): called on a related manager
/// (`translation.change_set.content()`), each builds a query of its own. Not the framework's
/// own names, private or dunder methods, or methods that write (their body calls `update`,
/// `delete`, `create`...: `write-in-loop` judges those). Methods that eager-load are in
/// [`eager_methods`], and `n_plus_one::custom_query` leaves them out.
fn queryset_methods(f: &FileFacts) -> Vec<String> {
    if f.lang != Lang::Python {
        return Vec::new();
    }
    let base = |s: &str| {
        let s = s.split('[').next().unwrap_or(s).trim();
        let last = s.rsplit('.').next().unwrap_or(s);
        last.ends_with("QuerySet") || matches!(last, "Manager" | "BaseManager")
    };
    // The rest of Django's own QuerySet and related-manager API (`add`, `set` write through
    // an m2m).
    let builtin = [
        "count",
        "exists",
        "create",
        "update",
        "delete",
        "none",
        "iterator",
        "values",
        "values_list",
        "annotate",
        "aggregate",
        "add",
        "remove",
        "clear",
        "set",
        "get_or_create",
        "update_or_create",
        "bulk_create",
        "bulk_update",
        "in_bulk",
        "select_related",
        "prefetch_related",
        "using",
        "distinct",
        "only",
        "defer",
    ];
    let writes = [
        "update",
        "delete",
        "create",
        "bulk_create",
        "bulk_update",
        "get_or_create",
        "update_or_create",
        "save",
    ];
    let writing: HashSet<Idx> = f
        .calls
        .iter()
        .filter(|c| writes.contains(&c.method()))
        .filter_map(|c| c.func)
        .collect();
    let mut out = Vec::new();
    for (fi, fun) in f.functions.iter().enumerate() {
        let Some(ci) = fun.class else { continue };
        if fun.name.starts_with('_')
            || QUERYSET_READS.contains(&fun.name.as_str())
            || builtin.contains(&fun.name.as_str())
            || writing.contains(&(fi as Idx))
        {
            continue;
        }
        if f.classes[ci as usize].superclasses.iter().any(|s| base(s)) {
            out.push(fun.name.clone());
        }
    }
    out
}

/// Serializer classes this file uses to render lists: the `serializer_class` of a DRF view
/// that lists (`ListAPIView`, `ListCreateAPIView`, `ListModelMixin`, `ModelViewSet`,
/// `ReadOnlyModelViewSet`), and classes called with `many=True`
/// (`TagSerializer(tags, many=True)`).
fn listed_serializers(f: &FileFacts) -> Vec<String> {
    if f.lang != Lang::Python {
        return Vec::new();
    }
    let last = |s: &str| -> String {
        let s = s.split('[').next().unwrap_or(s).trim();
        s.rsplit('.').next().unwrap_or(s).to_string()
    };
    let lists = |ci: Idx| {
        f.classes[ci as usize].superclasses.iter().any(|s| {
            matches!(
                last(s).as_str(),
                "ListAPIView"
                    | "ListCreateAPIView"
                    | "ListModelMixin"
                    | "ModelViewSet"
                    | "ReadOnlyModelViewSet"
            )
        })
    };
    let mut out = Vec::new();
    for a in &f.assigns {
        if a.func.is_none()
            && a.targets.iter().any(|t| t == "serializer_class")
            && a.class.is_some_and(lists)
        {
            out.push(last(&a.value_text));
        }
    }
    for c in &f.calls {
        let name = c.method();
        if name.ends_with("Serializer")
            && c.args
                .iter()
                .any(|a| a.keyword.as_deref() == Some("many") && a.text.ends_with("True"))
        {
            out.push(name.to_string());
        }
    }
    out.retain(|n| !n.is_empty() && n.chars().all(|c| c.is_alphanumeric() || c == '_'));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::{extract, Limits};

    fn relations(lang: Lang, src: &str) -> Vec<(String, String, bool, String)> {
        let f = extract(lang, src, &Limits::default()).expect("facts");
        let mut out: Vec<_> = relations_of(&f)
            .into_iter()
            .map(|(m, a, r)| (m, a, r.to_many, r.target))
            .collect();
        out.sort();
        out
    }

    fn rel(m: &str, a: &str, many: bool, t: &str) -> (String, String, bool, String) {
        (m.into(), a.into(), many, t.into())
    }

    /// Peewee's `ForeignKeyField` declares a relation and its backref; Tortoise's field of
    /// the same name does not (its relations are not lazy).
    #[test]
    fn peewee_foreign_keys_and_not_tortoise() {
        let peewee = "from peewee import Model, ForeignKeyField\n\
                      class Tweet(Model):\n    user = ForeignKeyField(User, backref='tweets')\n\
                      class Like(Model):\n    tweet = ForeignKeyField(model=Tweet)\n    \
                      user = ForeignKeyField(User, backref='+')\n";
        assert_eq!(
            relations(Lang::Python, peewee),
            [
                rel("Like", "tweet", false, "Tweet"),
                rel("Like", "user", false, "User"),
                rel("Tweet", "like_set", true, "Like"),
                rel("Tweet", "user", false, "User"),
                rel("User", "tweets", true, "Tweet"),
            ]
        );
        let tortoise = "from tortoise import fields\nfrom tortoise.models import Model\n\
                        class Purchase(Model):\n    \
                        customer = fields.ForeignKeyField('models.Customer', related_name='purchases')\n";
        assert_eq!(relations(Lang::Python, tortoise), []);
    }

    /// SQLAlchemy: lazy collections (many-to-many, with their backref; `uselist=True`), not
    /// many-to-one relations or eager ones; nothing from a migration's stand-in models.
    #[test]
    fn sqlalchemy_collections() {
        let src = "from sqlalchemy.orm import relationship\n\
                   class Course(Base):\n    \
                   topics = relationship('Topic', secondary=links, backref='courses')\n    \
                   notes = relationship(Note, uselist=True)\n    \
                   lecturer = relationship('Lecturer')\n    \
                   tags = relationship('Tag', secondary=tagged, lazy='selectin')\n    \
                   runs: Mapped[list[\"Run\"]] = relationship(back_populates='course')\n    \
                   owner: Mapped[\"Owner\"] = relationship(back_populates='courses')\n";
        assert_eq!(
            relations(Lang::Python, src),
            [
                rel("Course", "notes", false, "Note"),
                rel("Course", "runs", false, "Run"),
                rel("Course", "topics", false, "Topic"),
                rel("Topic", "courses", false, "Course"),
            ]
        );
        let f = extract(Lang::Python, src, &Limits::default()).expect("facts");
        assert_eq!(local_facts("app/models.py", &f).relations.len(), 4);
        assert!(local_facts("alembic/versions/1_add.py", &f)
            .relations
            .is_empty());
    }

    /// Sequelize associations: on a model name or `this` in the class's static method, to a
    /// model or a registry's model; sequelize-typescript's decorated fields.
    #[test]
    fn sequelize_associations() {
        let cli = "const { Model } = require('sequelize');\n\
                   class Course extends Model {\n  static associate(models) {\n    \
                   this.hasMany(models.Chapter, { as: 'chapters' });\n    \
                   Course.belongsTo(models.Teacher);\n    this.hasOne('Syllabus');\n  }\n}\n";
        assert_eq!(
            relations(Lang::JavaScript, cli),
            [
                rel("Course", "Chapters", true, "Chapter"),
                rel("Course", "Teacher", false, "Teacher"),
            ]
        );
        let ts = "import { Model, HasMany, BelongsTo, Column } from 'sequelize-typescript';\n\
                  export class Author extends Model {\n  @HasMany(() => Book) books: Book[];\n  \
                  @BelongsTo(() => Team) team: Team;\n  @Column name: string;\n}\n";
        assert_eq!(
            relations(Lang::TypeScript, ts),
            [
                rel("Author", "Books", true, "Book"),
                rel("Author", "Team", false, "Team"),
            ]
        );
        // The same decorators without sequelize: some other library's.
        let other = ts.replace("sequelize-typescript", "./decorators");
        assert_eq!(relations(Lang::TypeScript, &other), []);
    }
}
