//! `sync-io`: blocking I/O on a request path or in async code.

use super::request::{
    dev_only, directly_in_async, in_async, offloaded, on_request_path, once_branch, startup_only,
};
use super::{Ctx, Finding};
use crate::facts::{Call, FileFacts};
use crate::lang::Lang;

const ID: &str = "sync-io";
const NODE_MODULES: &[&str] = &[
    "fs",
    "node:fs",
    "child_process",
    "node:child_process",
    "zlib",
    "node:zlib",
    "crypto",
    "node:crypto",
];

/// The Node module a name refers to (`fs`, or a local bound by an import/require of it).
fn node_module<'a>(f: &'a FileFacts, name: &'a str) -> Option<&'a str> {
    if NODE_MODULES.contains(&name) {
        return Some(name);
    }
    f.imports
        .iter()
        .find(|i| i.local == name && NODE_MODULES.contains(&i.source.as_str()))
        .map(|i| i.source.as_str())
}

/// The Node module bound to a compiled-TypeScript name: `const fs_1 = require("fs")`,
/// `const fs_1 = __importDefault(require("fs"))`, `__importStar(require("node:fs"))`.
fn compiled_module(f: &FileFacts, name: &str) -> Option<&'static str> {
    if let Some(m) = node_module(f, name) {
        return NODE_MODULES.iter().find(|x| **x == m).copied();
    }
    let a = f
        .assigns
        .iter()
        .find(|a| a.func.is_none() && a.targets.iter().any(|t| t == name))?;
    let v = a.value_text.as_str();
    if !(v.starts_with("__importDefault(") || v.starts_with("__importStar(")) {
        return None;
    }
    NODE_MODULES.iter().copied().find(|m| {
        v.contains(&format!("require(\"{m}\")")) || v.contains(&format!("require('{m}')"))
    })
}

fn ecma_blocking(f: &FileFacts, c: &Call) -> Option<String> {
    let m = c.method();
    if !m.ends_with("Sync") {
        return None;
    }
    // Compiled TypeScript: `(0, fs_1.readFileSync)(p)` and `fs_1.default.readFileSync(p)`.
    if c.path.len() == 1 {
        if let Some(rest) = m.strip_prefix("0, ") {
            let (root, method) = rest.split_once('.')?;
            if method.contains('.') {
                return None;
            }
            let module = compiled_module(f, root)?.trim_start_matches("node:");
            return sync_module(module, method);
        }
    }
    if c.path.len() == 3 && c.path[1].name == "default" {
        let module = compiled_module(f, c.root())?.trim_start_matches("node:");
        return sync_module(module, m);
    }
    let module = match c.path.len() {
        2 => node_module(f, c.root())?,
        1 => f
            .imports
            .iter()
            .find(|i| i.local == m && NODE_MODULES.contains(&i.source.as_str()))
            .map(|i| i.source.as_str())?,
        _ => return None,
    };
    sync_module(module.trim_start_matches("node:"), m)
}

fn sync_module(module: &str, m: &str) -> Option<String> {
    if !m.ends_with("Sync")
        || module == "crypto"
            && !matches!(
                m,
                "pbkdf2Sync" | "scryptSync" | "generateKeyPairSync" | "randomFillSync"
            )
    {
        return None;
    }
    Some(module.to_string())
}

fn python_blocking(f: &FileFacts, c: &Call) -> bool {
    let d = c.dotted();
    let m = c.method();
    let imported_from = |module: &str| f.imports.iter().any(|i| i.local == m && i.source == module);
    match c.path.len() {
        1 => {
            m == "open"
                || (m == "sleep" && imported_from("time"))
                || (m == "urlopen" && imported_from("urllib.request"))
        }
        _ => {
            matches!(
                d.as_str(),
                "time.sleep"
                    | "urllib.request.urlopen"
                    | "os.walk"
                    | "os.listdir"
                    | "os.scandir"
                    | "shutil.copyfile"
                    | "shutil.copytree"
                    | "shutil.rmtree"
            ) || (c.root() == "requests"
                && c.path.len() == 2
                && matches!(
                    m,
                    "get" | "post" | "put" | "patch" | "delete" | "head" | "options" | "request"
                ))
                || (c.root() == "subprocess"
                    && matches!(m, "run" | "call" | "check_output" | "check_call"))
                || matches!(m, "read_text" | "read_bytes" | "write_text" | "write_bytes")
                || (m == "open" && c.path.first().is_some_and(|s| s.called && s.name == "Path"))
        }
    }
}

fn ruby_blocking(ctx: &Ctx, c: &Call) -> bool {
    let f = ctx.facts;
    let d = c.dotted();
    match d.as_str() {
        "`" | "system" | "sleep" | "Kernel.system" | "Kernel.sleep" => true,
        // A whole file read into memory only to be sent back, where `send_file` would
        // stream it. Reading the request's own upload, or a file the page renders, is
        // what the action is for.
        "File.read" | "File.binread" | "IO.read" | "IO.binread" => {
            let upload = c
                .args
                .first()
                .is_some_and(|a| a.text.contains("tempfile") || a.text.starts_with("params"));
            !upload && (sent_as_data(f, c) || route_body(ctx, c))
        }
        _ => false,
    }
}

/// Is the read the last expression of a Sinatra route block: the response body?
fn route_body(ctx: &Ctx, c: &Call) -> bool {
    let Some((region, "sinatra")) = ctx.index.request.handler_at(ctx.file, &c.span) else {
        return false;
    };
    !ctx.facts
        .calls
        .iter()
        .any(|d| region.contains(&d.span) && d.span.start > c.span.end)
}

/// Do the bytes read by `c` go to `send_data`, directly or through a local?
fn sent_as_data(f: &FileFacts, c: &Call) -> bool {
    let sends = |pred: &dyn Fn(&Call) -> bool| {
        f.calls
            .iter()
            .any(|s| s.path.len() == 1 && s.root() == "send_data" && s.func == c.func && pred(s))
    };
    if sends(&|s| s.span.contains(&c.span)) {
        return true;
    }
    let Some(a) = f.assign_of(c) else {
        return false;
    };
    let [v] = a.targets.as_slice() else {
        return false;
    };
    sends(&|s| {
        s.span.start > a.span.end
            && s.args
                .first()
                .is_some_and(|x| super::request::mentions(&x.text, v))
    })
}

/// Node calls that create, change or remove files rather than read them.
fn ecma_write(m: &str) -> bool {
    matches!(
        m,
        "mkdirSync"
            | "writeFileSync"
            | "unlinkSync"
            | "rmSync"
            | "rmdirSync"
            | "copyFileSync"
            | "renameSync"
            | "symlinkSync"
            | "cpSync"
    )
}

/// Work done once and kept: a write that fills a disk cache after an existence check
/// (`if (!fs.existsSync(dir)) fs.mkdirSync(dir)`, a file written again only when its
/// cached copy is stale), a read memoised into a module or instance field inside
/// `if (!cache)` / `if x is None:`, or a Python function wrapped in a cache decorator.
fn done_once(f: &FileFacts, c: &Call) -> bool {
    if f.lang != Lang::Python
        && f.lang != Lang::Ruby
        && ecma_write(c.method().rsplit('.').next().unwrap_or(""))
    {
        let checked_before = f
            .calls
            .iter()
            .any(|e| e.func == c.func && e.span.start < c.span.start && e.method() == "existsSync");
        if checked_before || once_branch(f, &c.span) {
            return true;
        }
    }
    // A read in a branch that runs only while a cache is empty, and that fills the cache
    // (`if (!cache[k]) { ...; cache[k] = v }`, `if _x is None: _x = ...`): once per key.
    let kept = |t: &String| {
        t.starts_with("this.")
            || t.starts_with("self.")
            || t.starts_with("cls.")
            || t.contains('[')
            || f.assigns.iter().any(|m| {
                // A module-level binding of the same name.
                m.targets.contains(t)
                    && m.class.is_none()
                    && !f.functions.iter().any(|x| x.span.contains(&m.span))
            })
    };
    let memo = f
        .once_guards
        .iter()
        .filter(|&&(s, e)| s <= c.span.start && c.span.end <= e)
        .any(|&(s, e)| {
            f.assigns
                .iter()
                .any(|a| s <= a.span.start && a.span.end <= e && a.targets.iter().any(kept))
        });
    if memo {
        return true;
    }
    f.enclosing_functions(c.func).any(|(_, func)| {
        func.decorators.iter().any(|d| {
            let head = d.split('(').next().unwrap_or("");
            let last = head.rsplit('.').next().unwrap_or(head);
            matches!(
                last,
                "cache" | "lru_cache" | "cached" | "cached_property" | "memoize" | "alru_cache"
            )
        })
    })
}

pub fn check(ctx: &Ctx, out: &mut Vec<Finding>) {
    let f = ctx.facts;
    if !ctx.server_code {
        return;
    }
    for c in &f.calls {
        if c.func.is_none() && ctx.index.request.handler_at(ctx.file, &c.span).is_none() {
            continue; // module top level
        }
        if dev_only(f, &c.span) {
            continue; // development or test branch
        }
        let (what, help, label) = match f.lang {
            Lang::Python => {
                // An awaited call is not the blocking one: `await anyio.Path(p).read_text()`,
                // `await trio.Path(p).write_bytes(b)` are the asynchronous path methods.
                if c.awaited
                    || !directly_in_async(f, c)
                    || offloaded(f, c)
                    || !python_blocking(f, c)
                {
                    continue;
                }
                (
                    format!("`{}` blocks the event loop inside `async def`", c.dotted()),
                    "use the async API (`aiofiles`, `httpx.AsyncClient`, `asyncio.sleep`, `asyncio.create_subprocess_exec`) or run it with `await asyncio.to_thread(...)`".to_string(),
                    "blocking call in async code",
                )
            }
            Lang::Ruby => {
                if !ruby_blocking(ctx, c) || !on_request_path(ctx, c) {
                    continue;
                }
                let help = match c.dotted().as_str() {
                    "sleep" | "Kernel.sleep" => "do not sleep in a request: schedule the work in a background job",
                    "`" | "system" | "Kernel.system" => "run the command in a background job (ActiveJob/Sidekiq) and report the result asynchronously",
                    _ => "serve files with `send_file` (streamed by the web server) or read them once at boot; move heavy reads to a background job",
                };
                (
                    format!("`{}` blocks the request thread", c.dotted()),
                    help.to_string(),
                    "blocking I/O in a request",
                )
            }
            _ => {
                let Some(module) = ecma_blocking(f, c) else {
                    continue;
                };
                let async_ctx = in_async(f, c);
                if !async_ctx && !on_request_path(ctx, c) {
                    continue;
                }
                let alt = match module.as_str() {
                    "fs" => "`fs.promises` (`await fs.promises.readFile(...)`)",
                    "child_process" => "the async `exec`/`spawn` (with `util.promisify` or events)",
                    "zlib" => "the callback or stream form of zlib",
                    _ => "the async form (`crypto.pbkdf2`, `crypto.scrypt`)",
                };
                (
                    format!(
                        "`{}` blocks the event loop {}",
                        c.dotted().trim_start_matches("0, "),
                        if async_ctx {
                            "inside an async function"
                        } else {
                            "on a request path"
                        }
                    ),
                    format!("use {alt}, or do the work once at startup"),
                    "synchronous I/O",
                )
            }
        };
        // Startup, CLI and fill-once work: not what each request waits for.
        if done_once(f, c) || startup_only(ctx, c) {
            continue;
        }
        out.push(Finding {
            rule: ID,
            span: c.span,
            message: what,
            label: label.into(),
            help,
            related: Vec::new(),
            code_hash: c.hash,
            fix: None,
        });
    }
}
