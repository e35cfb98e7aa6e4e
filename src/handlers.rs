//! Request-path detection: entry points (route handlers, controller actions, views, jobs)
//! and the project functions they reach, so rules about blocking work know where a user
//! is waiting.

use std::collections::{BTreeMap, HashSet};

use crate::facts::{ArgKind, Call, FileFacts, Idx, Import, Span};
use crate::lang::Lang;

/// Entry points of one file: regions of code that run per request or per job.
#[derive(Debug, Default, Clone)]
pub struct FileHandlers {
    /// (region, framework) — a handler function's span or a Ruby route block.
    pub regions: Vec<(Span, &'static str)>,
}

const HTTP_METHODS: &[&str] = &[
    "get", "post", "put", "patch", "delete", "del", "all", "head", "options", "use", "route",
];
const ROUTERS: &[&str] = &[
    "app",
    "router",
    "server",
    "api",
    "routes",
    "fastify",
    "r",
    "route",
    "apiRouter",
    "v1",
    "instance",
];
const DRF_METHODS: &[&str] = &[
    "get",
    "post",
    "put",
    "patch",
    "delete",
    "list",
    "retrieve",
    "create",
    "update",
    "partial_update",
    "destroy",
    "get_queryset",
    "get_object",
    "perform_create",
    "perform_update",
    "form_valid",
    "get_context_data",
    "dispatch",
];

const TEST_DIRS: &[&str] = &[
    "test",
    "tests",
    "spec",
    "specs",
    "__tests__",
    "__mocks__",
    "e2e",
    "cypress",
];

/// A file named as a test (`test_x.py`, `x_spec.rb`, `x.test.js`).
fn is_test_file(file: &str) -> bool {
    file.starts_with("test_")
        || file.ends_with("_test.py")
        || file.ends_with("_spec.rb")
        || file.ends_with("_test.rb")
        || file.contains(".test.")
        || file.contains(".spec.")
        || file.contains("-test.")
        || file.starts_with("e2e.")
        || file == "conftest.py"
}

fn lower_and_file(path: &str) -> (String, String) {
    let p = path.to_ascii_lowercase();
    let file = p.rsplit('/').next().unwrap_or(&p).to_string();
    (p, file)
}

fn is_test_or_script(path: &str) -> bool {
    let (p, file) = lower_and_file(path);
    p.split('/').any(|d| {
        TEST_DIRS.contains(&d)
            || matches!(
                d,
                "fixtures_test" | "scripts" | "bin" | "migrations" | "commands" | "cli"
            )
    }) || is_test_file(&file)
        || file.starts_with("cli.")
        || file == "__main__.py"
        || file.contains(".config.")
        || file == "manage.py"
        || file == "setup.py"
        || file == "rakefile"
        || file.ends_with(".rake")
}

/// Test files (and folders of tests).
pub fn is_test_path(path: &str) -> bool {
    let (p, file) = lower_and_file(path);
    p.split('/')
        .any(|d| TEST_DIRS.contains(&d) || d == "testing")
        || is_test_file(&file)
}

/// Does this Python file import factory_boy (`import factory`, `from factory.django import
/// DjangoModelFactory`)? Its code builds test data: a few random rows per object made for a
/// test or a demo database, not what requests run.
pub fn imports_test_factories(f: &FileFacts) -> bool {
    f.lang == Lang::Python
        && f.imports
            .iter()
            .any(|i| i.source.split('.').next() == Some("factory"))
}

/// Python modules whose import marks a file as server code: web frameworks, ORMs, database
/// drivers, job queues (the first segment of an absolute import).
const SERVER_MODULES: &[&str] = &[
    "django",
    "rest_framework",
    "flask",
    "flask_sqlalchemy",
    "fastapi",
    "starlette",
    "sqlalchemy",
    "sqlmodel",
    "celery",
    "aiohttp",
    "tornado",
    "sanic",
    "pyramid",
    "falcon",
    "litestar",
    "quart",
    "peewee",
    "tortoise",
    "asyncpg",
    "psycopg",
    "psycopg2",
    "pymongo",
    "motor",
    "dramatiq",
    "rq",
    "channels",
];

/// Does this Python file import a server framework, an ORM, a database driver or a job
/// queue when it loads? A lazy import (inside a function, under `if TYPE_CHECKING:`) alone
/// is a client library's optional integration, and a framework's HTTP status constants
/// (`from starlette import status`) serve HTTP clients as well.
pub fn imports_server_module(f: &FileFacts) -> bool {
    server_imports(f).any(|i| !i.lazy)
}

/// Does this Python file use a server library at all, if only through a lazy import (a
/// gateway's provider module raising the framework's HTTP errors)?
pub fn uses_server_module(f: &FileFacts) -> bool {
    server_imports(f).next().is_some()
}

fn server_imports(f: &FileFacts) -> impl Iterator<Item = &Import> {
    f.imports.iter().filter(move |i| {
        f.lang == Lang::Python
            && SERVER_MODULES.contains(&i.source.split('.').next().unwrap_or(""))
            && i.imported != "status"
            && !i.source.ends_with(".status")
    })
}

/// Ruby libraries whose `require` marks a file as server code: Rails and its frameworks,
/// other web frameworks, database drivers and ORMs, job queues (the first segment of the
/// required path). `active_support` and `active_model` are left out: command-line tools
/// load them for their core extensions.
const RUBY_SERVER_LIBS: &[&str] = &[
    "rails",
    "action_cable",
    "action_controller",
    "action_dispatch",
    "action_mailbox",
    "action_mailer",
    "action_text",
    "action_view",
    "active_job",
    "active_record",
    "active_storage",
    "sinatra",
    "rack",
    "grape",
    "hanami",
    "roda",
    "sidekiq",
    "resque",
    "sequel",
    "pg",
    "mysql2",
    "redis",
    "mongoid",
];

/// The `require` / `require_relative` calls of a Ruby file: (the method, its first
/// argument's text).
fn ruby_requires(f: &FileFacts) -> impl Iterator<Item = (&str, &str)> {
    f.calls
        .iter()
        .filter(move |c| {
            f.lang == Lang::Ruby
                && c.path.len() == 1
                && matches!(c.root(), "require" | "require_relative")
        })
        .filter_map(|c| Some((c.root(), c.args.first()?.text.as_str())))
}

/// Does this Ruby file `require` a web framework, an ORM, a database driver or a job queue?
pub fn requires_server_lib(f: &FileFacts) -> bool {
    ruby_requires(f).any(|(how, t)| {
        let lib = t.trim_matches(|ch| ch == '"' || ch == '\'');
        how == "require" && RUBY_SERVER_LIBS.contains(&lib.split('/').next().unwrap_or(""))
    })
}

/// The project files a Ruby file loads: the paths of its `require`/`require_relative` calls
/// with a literal argument, without `./` and `../` and with `.rb` added.
pub fn ruby_required_paths(f: &FileFacts) -> Vec<String> {
    ruby_requires(f)
        .filter_map(|(_, t)| {
            let lit = t.strip_prefix(['"', '\''])?.strip_suffix(['"', '\''])?;
            if lit.contains("#{") {
                return None;
            }
            let mut rest = lit;
            while let Some(r) = rest.strip_prefix("./").or_else(|| rest.strip_prefix("../")) {
                rest = r;
            }
            (!rest.is_empty()).then(|| format!("{}.rb", rest.trim_end_matches(".rb")))
        })
        .collect()
}

/// Is this Ruby file part of a server library or laid out as Rails server code? A file of
/// the library itself (`lib/active_record/...`, `lib/sidekiq.rb`, the Rails support library
/// `lib/active_support/...`), or a file in a Rails application's or engine's server folders
/// (`app/controllers`, `app/models`, `app/jobs`, ...).
pub fn ruby_server_path(path: &str) -> bool {
    let segs: Vec<&str> = path.split(['/', '\\']).collect();
    segs.windows(2).any(|w| {
        let next = w[1].strip_suffix(".rb").unwrap_or(w[1]);
        (w[0] == "lib"
            && (RUBY_SERVER_LIBS.contains(&next)
                || matches!(next, "active_support" | "active_model")))
            || (w[0] == "app"
                && matches!(
                    w[1],
                    "controllers"
                        | "models"
                        | "jobs"
                        | "channels"
                        | "mailers"
                        | "mailboxes"
                        | "helpers"
                        | "workers"
                ))
    })
}

/// The folder part of a path (`a/b` for `a/b/c.py`, empty for `c.py`).
pub fn dir_of(path: &str) -> &str {
    path.rsplit_once(['/', '\\']).map(|(d, _)| d).unwrap_or("")
}

/// Schema migrations: run once, offline.
pub fn is_migration_path(path: &str) -> bool {
    let p = path.to_ascii_lowercase();
    p.split('/')
        .any(|d| matches!(d, "migrations" | "migrate" | "migration" | "alembic"))
}

/// Test files, scripts, migrations and build configs: not server code.
pub fn not_server_code(path: &str) -> bool {
    is_test_or_script(path)
}

/// Finds the entry points of one file.
pub fn find(path: &str, f: &FileFacts) -> FileHandlers {
    let mut h = FileHandlers::default();
    if is_test_or_script(path) {
        return h;
    }
    match f.lang {
        Lang::Python => python(path, f, &mut h),
        Lang::Ruby => ruby(f, &mut h),
        _ => ecma(path, f, &mut h),
    }
    h
}

fn ecma(path: &str, f: &FileFacts, h: &mut FileHandlers) {
    // Express/Koa/Fastify/Hapi: `app.get('/x', ...handlers)`, `router.post(...)`,
    // `fastify.route({ handler })`, `server.route({ path, handler })`.
    for c in &f.calls {
        if c.path.len() != 2 {
            continue;
        }
        let m = c.method();
        if !HTTP_METHODS.contains(&m) {
            continue;
        }
        let recv = c.root();
        let routed = ROUTERS.contains(&recv)
            || recv.ends_with("Router")
            || recv.ends_with("router")
            || recv.ends_with("App");
        if !routed {
            continue;
        }
        let path_arg = c.args.first().is_some_and(|a| {
            a.kind == ArgKind::String && a.text.len() > 2 && a.text[1..].starts_with('/')
        });
        let route_obj = (m == "route")
            && c.args.first().is_some_and(|a| {
                a.kind == ArgKind::Object && a.keys.iter().any(|k| k == "handler")
            });
        if !(path_arg
            || route_obj
            || (m == "use" && c.args.iter().any(|a| a.kind == ArgKind::Function)))
        {
            continue;
        }
        let fw = if recv.contains("fastify") {
            "fastify"
        } else {
            "express"
        };
        for a in &c.args {
            if a.kind == ArgKind::Function || a.kind == ArgKind::Object {
                h.regions.push((a.span, fw));
            } else if a.kind == ArgKind::Ident {
                // A named handler defined in this file.
                if let Some(func) = f.functions.iter().find(|x| x.name == a.text) {
                    h.regions.push((func.span, fw));
                }
            }
        }
    }
    // NestJS: `@Get()` methods of a `@Controller()` class.
    for func in &f.functions {
        let Some(ci) = func.class else { continue };
        let class = &f.classes[ci as usize];
        if !class.decorators.iter().any(|d| controller_decorator(d)) {
            continue;
        }
        if func.decorators.iter().any(|d| route_decorator(d)) {
            h.regions.push((func.span, "nestjs"));
        }
    }
    compiled_nest(f, h);
    // Next.js: `pages/api/**` default exports, `app/**/route.ts` exporting GET/POST/...
    let in_pages_api = path.contains("pages/api/");
    let is_route_file = path.contains("app/")
        && path
            .rsplit('/')
            .next()
            .is_some_and(|n| n.starts_with("route."));
    for func in &f.functions {
        if func.parent.is_some() {
            continue;
        }
        if (is_route_file
            && func.exported
            && matches!(
                func.name.as_str(),
                "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS"
            ))
            || (in_pages_api && func.default_export)
        {
            h.regions.push((func.span, "nextjs"));
        }
        // Middleware shape: `(req, res, next)`.
        if func.params.len() == 3
            && matches!(func.params[0].as_str(), "req" | "request")
            && matches!(func.params[1].as_str(), "res" | "response" | "reply")
            && func.params[2] == "next"
        {
            h.regions.push((func.span, "middleware"));
        }
    }
}

/// The name a decorator expression calls: `Get` for `Get('/x')`, `common_1.Get('/x')` and
/// compiled TypeScript's `(0, common_1.Get)('/x')` (read as one segment `0, common_1.Get`).
fn decorator_name(d: &str) -> &str {
    let head = d.split('(').next().unwrap_or("");
    let head = head.strip_prefix("0, ").unwrap_or(head);
    head.rsplit('.').next().unwrap_or(head).trim()
}

/// A class decorator that makes a NestJS-style controller (`@Controller('x')`, n8n's
/// `@RestController('/x')`).
fn controller_decorator(d: &str) -> bool {
    matches!(decorator_name(d), "Controller" | "RestController")
}

/// A method decorator that routes requests or messages to the method.
fn route_decorator(d: &str) -> bool {
    matches!(
        decorator_name(d),
        "Get"
            | "Post"
            | "Put"
            | "Patch"
            | "Delete"
            | "All"
            | "Head"
            | "Options"
            | "Sse"
            | "MessagePattern"
            | "EventPattern"
    )
}

/// Compiled TypeScript decorators: `__decorate([(0, common_1.Get)('/x'), ...],
/// Ctrl.prototype, "list", null)` routes the method `list` of class `Ctrl`, and
/// `Ctrl = __decorate([(0, common_1.Controller)('x')], Ctrl)` makes `Ctrl` a controller.
fn compiled_nest(f: &FileFacts, h: &mut FileHandlers) {
    if !f
        .calls
        .iter()
        .any(|c| c.path.len() == 1 && c.root() == "__decorate")
    {
        return;
    }
    // The decorator calls listed in a `__decorate` call's first (array) argument.
    let decorators = |c: &crate::facts::Call| -> Vec<&str> {
        let Some(list) = c.args.first().filter(|a| a.kind == ArgKind::Array) else {
            return Vec::new();
        };
        f.calls
            .iter()
            .filter(|d| list.span.contains(&d.span) && d.path.len() == 1)
            .map(|d| decorator_name(d.root()))
            .collect()
    };
    let mut controllers: Vec<&str> = Vec::new();
    let mut routed: Vec<(&str, &str)> = Vec::new();
    for c in &f.calls {
        if c.path.len() != 1 || c.root() != "__decorate" {
            continue;
        }
        match c.args.as_slice() {
            [_, class]
                if class.kind == ArgKind::Ident
                    && decorators(c).iter().any(|d| controller_decorator(d)) =>
            {
                controllers.push(class.text.as_str());
            }
            [_, target, name, ..] if name.kind == ArgKind::String => {
                let Some(class) = target.text.strip_suffix(".prototype") else {
                    continue;
                };
                if decorators(c).iter().any(|d| route_decorator(d)) {
                    routed.push((class, name.text.trim_matches(['"', '\'', '`'])));
                }
            }
            _ => {}
        }
    }
    for (class, method) in routed {
        if !controllers.contains(&class) {
            continue;
        }
        for func in &f.functions {
            let Some(ci) = func.class else { continue };
            if func.name == method && f.classes[ci as usize].name == class {
                h.regions.push((func.span, "nestjs"));
            }
        }
    }
}

fn python(path: &str, f: &FileFacts, h: &mut FileHandlers) {
    let celery = f.imports.iter().any(|i| i.source.starts_with("celery"));
    let airflow = f.imports.iter().any(|i| {
        i.source.starts_with("airflow")
            || i.source.starts_with("prefect")
            || i.source.starts_with("dagster")
    });
    let views_module = path.ends_with("views.py")
        || path.contains("/views/")
        || path.ends_with("api.py")
        || path.contains("/api/");
    for func in &f.functions {
        // Flask / FastAPI routes, Celery tasks.
        let mut fw = None;
        for d in &func.decorators {
            let head = d.split('(').next().unwrap_or("");
            let last = head.rsplit('.').next().unwrap_or(head);
            if head.contains('.')
                && matches!(
                    last,
                    "route"
                        | "get"
                        | "post"
                        | "put"
                        | "patch"
                        | "delete"
                        | "api_route"
                        | "websocket"
                )
            {
                fw = Some(if d.contains("route") && !head.starts_with("router") {
                    "flask"
                } else {
                    "fastapi"
                });
            } else if last == "shared_task"
                || (matches!(last, "task" | "periodic_task")
                    && ((head.contains('.') && !airflow) || celery))
            {
                // `@task` alone is Celery's only where Celery is imported (Airflow, Prefect
                // and others have their own `@task`).
                fw = Some("celery");
            } else if matches!(last, "api_view" | "action") {
                fw = Some("drf");
            }
        }
        if fw.is_none()
            && func.class.is_none()
            && func.parent.is_none()
            && views_module
            && func.params.first().is_some_and(|p| p == "request")
        {
            fw = Some("django");
        }
        if fw.is_none() {
            if let Some(ci) = func.class {
                let class = &f.classes[ci as usize];
                let is_view = class.superclasses.iter().any(|s| {
                    let base = s.rsplit('.').next().unwrap_or(s);
                    base.ends_with("View")
                        || base.ends_with("ViewSet")
                        || base.ends_with("APIView")
                        || base.ends_with("Mixin") && views_module
                });
                if is_view && DRF_METHODS.contains(&func.name.as_str()) {
                    fw = Some(
                        if class.superclasses.iter().any(|s| {
                            s.contains("APIView")
                                || s.contains("ViewSet")
                                || s.contains("generics.")
                        }) {
                            "drf"
                        } else {
                            "django"
                        },
                    );
                }
            }
        }
        if let Some(fw) = fw {
            h.regions.push((func.span, fw));
        }
    }
}

fn ruby(f: &FileFacts, h: &mut FileHandlers) {
    // Classes that include a Sidekiq module (`include Sidekiq::Job`).
    let sidekiq: HashSet<Idx> = f
        .calls
        .iter()
        .filter(|c| c.root() == "include" && c.args.iter().any(|a| a.text.starts_with("Sidekiq::")))
        .filter_map(|c| c.class)
        .collect();
    for func in &f.functions {
        let Some(ci) = func.class else { continue };
        let class = &f.classes[ci as usize];
        let controller = class.superclasses.iter().any(|s| {
            s.ends_with("Controller")
                || s.ends_with("Controller::Base")
                || s == "ActionController::API"
        });
        let job = class
            .superclasses
            .iter()
            .any(|s| s == "ApplicationJob" || s == "ActiveJob::Base")
            || sidekiq.contains(&ci);
        if controller {
            // Public methods only: before any `private`/`protected` marker in the class.
            let private = f
                .visibility
                .iter()
                .any(|&v| class.span.start <= v && v < func.span.start && v < class.span.end);
            if !private && !func.name.starts_with('_') {
                h.regions.push((func.span, "rails"));
            }
        } else if job && func.name == "perform" {
            h.regions.push((
                func.span,
                if class.superclasses.iter().any(|s| s.contains("Job")) {
                    "activejob"
                } else {
                    "sidekiq"
                },
            ));
        }
    }
    // Sinatra / Grape: `get '/x' do ... end`.
    for c in &f.calls {
        if c.path.len() == 1
            && matches!(c.root(), "get" | "post" | "put" | "patch" | "delete")
            && c.has_block
            && c.args.first().is_some_and(|a| {
                a.kind == ArgKind::String
                    && (a.text.contains('/')
                        || a.text.starts_with(':')
                        || (a.text.trim_start_matches(['\'', '"']).starts_with('.')
                            && in_namespace(f, c)))
            })
        {
            if let Some(b) = c.args.iter().find(|a| a.kind == ArgKind::Function) {
                h.regions.push((b.span, "sinatra"));
            }
        }
    }
}

/// Sinatra::Namespace: the call is inside a `namespace '/lists' do ... end` block, where a
/// route's own path can be a suffix (`get '.json' do`).
fn in_namespace(f: &FileFacts, c: &crate::facts::Call) -> bool {
    f.calls_around(c)
        .any(|n| n.path.len() == 1 && n.root() == "namespace" && n.has_block)
}

/// A Python handler that only administrators reach: FastAPI's
/// `user=Depends(get_admin_user)` in its parameters or `dependencies=[Depends(...admin...)]`
/// in its route decorator. What it lists are the tables administrators manage.
pub fn admin_handler(f: &FileFacts, region: &Span) -> bool {
    if f.lang != Lang::Python {
        return false;
    }
    let Some(func) = f.functions.iter().find(|x| x.span == *region) else {
        return false;
    };
    let admin = |t: &str| t.contains("Depends(") && t.contains("admin");
    func.decorators.iter().any(|d| admin(d))
        || f.calls.iter().any(|c| {
            c.method() == "Depends"
                && func.span.start <= c.span.start
                && c.span.end <= func.body.start
                && c.args.iter().any(|a| a.text.contains("admin"))
        })
}

/// Handlers of every file and the functions they reach (up to `depth` calls deep).
#[derive(Debug, Default)]
pub struct RequestPath {
    pub per_file: Vec<FileHandlers>,
    /// (file, function) reached from a handler.
    pub reached: HashSet<(u32, Idx)>,
    pub counts: BTreeMap<&'static str, usize>,
}

impl RequestPath {
    /// Marks the functions reached from the handlers, breadth-first over `edges` (each
    /// file's calls that resolve to a project function), 3 calls deep.
    pub fn reach(&mut self, skeletons: &[(&str, &FileFacts)], edges: &[Vec<(Span, (u32, Idx))>]) {
        let mut frontier: Vec<(u32, Span)> = Vec::new();
        for (fi, h) in self.per_file.iter().enumerate() {
            for (s, _) in &h.regions {
                frontier.push((fi as u32, *s));
            }
        }
        for _depth in 0..3 {
            let mut next = Vec::new();
            for (fi, region) in &frontier {
                for (span, t) in &edges[*fi as usize] {
                    if region.contains(span) && self.reached.insert(*t) {
                        let tf = skeletons[t.0 as usize].1;
                        next.push((t.0, tf.functions[t.1 as usize].span));
                    }
                }
            }
            if next.is_empty() {
                break;
            }
            frontier = next;
        }
    }

    /// Is `span` of file `fi` on a request path: inside a handler or a function it reaches?
    pub fn covers(&self, fi: u32, f: &FileFacts, call: &Call) -> bool {
        if self
            .per_file
            .get(fi as usize)
            .is_some_and(|h| h.regions.iter().any(|(r, _)| r.contains(&call.span)))
        {
            return true;
        }
        // The functions around the call are its function and that function's parents.
        f.enclosing_functions(call.func)
            .any(|(i, _)| self.reached.contains(&(fi, i)))
    }

    /// The framework of the handler region containing `span`, if any.
    pub fn handler_at(&self, fi: u32, span: &Span) -> Option<(Span, &'static str)> {
        self.per_file
            .get(fi as usize)?
            .regions
            .iter()
            .filter(|(r, _)| r.contains(span))
            .min_by_key(|(r, _)| r.len())
            .copied()
    }
}

/// The static name of a framework (for counts read back from the cache).
pub fn framework_name(name: &str) -> &'static str {
    const ALL: &[&str] = &[
        "express",
        "fastify",
        "nestjs",
        "nextjs",
        "middleware",
        "django",
        "drf",
        "flask",
        "fastapi",
        "celery",
        "rails",
        "activejob",
        "sidekiq",
        "sinatra",
    ];
    ALL.iter().find(|n| **n == name).copied().unwrap_or("other")
}
