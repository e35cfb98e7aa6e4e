//! `sync-io`: blocking I/O on a request path or in async code.

use super::request::{directly_in_async, in_async, offloaded, on_request_path};
use super::{Ctx, Finding};
use crate::facts::{Call, FileFacts};
use crate::handlers;
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

fn ecma_blocking(f: &FileFacts, c: &Call) -> Option<String> {
    let m = c.method();
    if !m.ends_with("Sync") {
        return None;
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
    let module = module.trim_start_matches("node:");
    if module == "crypto"
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

fn ruby_blocking(c: &Call) -> bool {
    let d = c.dotted();
    matches!(
        d.as_str(),
        "File.read"
            | "File.readlines"
            | "File.open"
            | "File.binread"
            | "File.foreach"
            | "IO.read"
            | "IO.readlines"
            | "`"
            | "system"
            | "sleep"
            | "Kernel.system"
            | "Kernel.sleep"
    )
}

pub fn check(ctx: &Ctx, out: &mut Vec<Finding>) {
    let f = ctx.facts;
    if handlers::not_server_code(ctx.path) {
        return;
    }
    for c in &f.calls {
        if c.func.is_none() && ctx.index.request.handler_at(ctx.file, &c.span).is_none() {
            continue; // module top level
        }
        let (what, help, label) = match f.lang {
            Lang::Python => {
                if !directly_in_async(f, c) || offloaded(f, c) || !python_blocking(f, c) {
                    continue;
                }
                (
                    format!("`{}` blocks the event loop inside `async def`", c.dotted()),
                    "use the async API (`aiofiles`, `httpx.AsyncClient`, `asyncio.sleep`, `asyncio.create_subprocess_exec`) or run it with `await asyncio.to_thread(...)`".to_string(),
                    "blocking call in async code",
                )
            }
            Lang::Ruby => {
                if !ruby_blocking(c) || !on_request_path(ctx, c) {
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
                        c.dotted(),
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
