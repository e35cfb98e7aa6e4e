//! `missing-timeout`: outbound HTTP calls with no timeout on a request path or in async code.

use super::request::{in_async, on_request_path};
use super::{Ctx, Finding};
use crate::facts::{ArgKind, Call, FileFacts};
use crate::lang::Lang;

const ID: &str = "missing-timeout";
const VERBS: &[&str] = &[
    "get", "post", "put", "patch", "delete", "head", "options", "request",
];

fn python(c: &Call) -> Option<&'static str> {
    let root = c.root();
    let m = c.method();
    let timeout = c.keyword("timeout");
    let none = timeout.is_some_and(|t| t.text == "None");
    match (root, c.path.len()) {
        ("requests", 2) if VERBS.contains(&m) && (timeout.is_none() || none) => {
            Some("pass `timeout=(3.05, 10)` (connect, read); requests waits forever by default")
        }
        ("httpx", 2)
            if (VERBS.contains(&m) || m == "Client" || m == "AsyncClient" || m == "stream")
                && none =>
        {
            Some("keep a finite `timeout=` (httpx's default is 5 s; `None` disables it)")
        }
        _ if (c.dotted() == "urllib.request.urlopen" || (c.path.len() == 1 && m == "urlopen"))
            && timeout.is_none()
            && c.args.len() < 3 =>
        {
            Some("pass `timeout=10` to `urlopen`; without it the socket default (none) applies")
        }
        _ => None,
    }
}

/// Keys of the object literal arguments of a call.
fn object_keys(c: &Call) -> Vec<&str> {
    c.args
        .iter()
        .filter(|a| a.kind == ArgKind::Object)
        .flat_map(|a| a.keys.iter().map(|k| k.as_str()))
        .collect()
}

fn ecma(f: &FileFacts, c: &Call) -> Option<&'static str> {
    let keys = object_keys(c);
    let passes_variable_options = c.args.iter().skip(1).any(|a| {
        a.kind == ArgKind::Ident
                || a.text.starts_with("...")
                // Options chosen at run time (`timeout ? { signal: ... } : undefined`).
                || (a.kind != ArgKind::Object
                    && (a.text.contains("signal") || a.text.contains("timeout")))
    });
    if passes_variable_options {
        return None;
    }
    // `fetch` is the global HTTP fetch only when nothing in the file binds the name.
    let fetch_is_global = || {
        !f.imports.iter().any(|i| {
            i.local == "fetch"
                && !matches!(
                    i.source.as_str(),
                    "node-fetch" | "undici" | "cross-fetch" | "isomorphic-fetch"
                )
        }) && !f
            .functions
            .iter()
            .any(|x| x.name == "fetch" || x.params.iter().any(|p| p == "fetch"))
            && !f
                .assigns
                .iter()
                .any(|a| a.targets.iter().any(|t| t == "fetch"))
    };
    match (c.root(), c.path.len()) {
        ("fetch", 1) if !keys.contains(&"signal") && fetch_is_global() => Some("pass `signal: AbortSignal.timeout(5000)`; fetch has no request timeout of its own (Node only gives up after minutes without response headers)"),
        ("got", 1) if !keys.contains(&"timeout") => Some("pass `timeout: { request: 5000 }`"),
        ("axios", 1) | ("axios", 2) if (c.path.len() == 1 || VERBS.contains(&c.method())) && !keys.contains(&"timeout") => {
            Some("set `timeout` on the call or on the instance (`axios.create({ timeout: 5000 })`); axios waits forever by default")
        }
        (name, 2) if VERBS.contains(&c.method()) && !keys.contains(&"timeout") => {
            // An axios instance: `const client = axios.create({ ... })` in this file.
            let created = f.assigns.iter().find(|a| {
                a.targets.iter().any(|t| t == name)
                    && a.value_call.is_some_and(|ci| f.calls[ci as usize].dotted() == "axios.create")
            })?;
            let create = &f.calls[created.value_call? as usize];
            let has_timeout = create.args.iter().any(|a| a.keys.iter().any(|k| k == "timeout") || a.kind == ArgKind::Ident);
            (!has_timeout).then_some("set `timeout` in `axios.create({ timeout: 5000 })`; this instance waits forever by default")
        }
        _ => None,
    }
}

fn ruby(c: &Call) -> Option<&'static str> {
    let d = c.dotted();
    let has = |k: &str| {
        c.args
            .iter()
            .any(|a| a.keyword.as_deref() == Some(k) || a.text.contains(k))
    };
    match d.as_str() {
        "Net::HTTP.get" | "Net::HTTP.get_response" | "Net::HTTP.post_form" | "Net::HTTP.get_print" => {
            Some("use `Net::HTTP.start(host, port, open_timeout: 3, read_timeout: 10)`; these helpers cannot take a timeout")
        }
        "Net::HTTP.start" if !has("read_timeout") && !has("open_timeout") => Some("pass `open_timeout:` and `read_timeout:` to `Net::HTTP.start`"),
        "HTTParty.get" | "HTTParty.post" | "HTTParty.put" | "HTTParty.patch" | "HTTParty.delete" if !has("timeout") => {
            Some("pass `timeout: 10` (or set `default_timeout` on the client class)")
        }
        "Faraday.get" | "Faraday.post" | "Faraday.put" | "Faraday.delete" => {
            Some("build a connection with `Faraday.new(url, request: { open_timeout: 3, timeout: 10 })`")
        }
        _ => None,
    }
}

pub fn check(ctx: &Ctx, out: &mut Vec<Finding>) {
    let f = ctx.facts;
    if !ctx.server_code {
        return;
    }
    for c in &f.calls {
        let help = match f.lang {
            Lang::Python if ctx.index.requests_patched && c.root() == "requests" => None,
            Lang::Python => python(c),
            Lang::Ruby => ruby(c),
            _ => ecma(f, c),
        };
        let Some(help) = help else { continue };
        let async_ctx = f.lang != Lang::Ruby && in_async(f, c);
        if !async_ctx && !on_request_path(ctx, c) {
            continue;
        }
        out.push(Finding {
            rule: ID,
            span: c.span,
            message: format!("`{}` sets no timeout: a slow upstream holds this request (and its worker) for as long as it hangs", c.dotted()),
            label: "outbound call without a timeout".into(),
            help: help.into(),
            related: Vec::new(),
            code_hash: c.hash,
            fix: None,
        });
    }
}
