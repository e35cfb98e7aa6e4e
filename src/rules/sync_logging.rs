//! `sync-logging`: console/print logging on request paths, and eagerly formatted log
//! messages anywhere in server code.

use super::request::on_request_path;
use super::{Ctx, Finding};
use crate::facts::{ArgKind, Call};
use crate::handlers;
use crate::lang::Lang;

mod rewrite;

use rewrite::rewrite;

const ID: &str = "sync-logging";
const LOG_METHODS: &[&str] = &[
    "debug",
    "info",
    "warn",
    "warning",
    "error",
    "critical",
    "exception",
    "trace",
    "fatal",
    "log",
    "verbose",
    "silly",
];

fn is_logger(c: &Call) -> bool {
    if !LOG_METHODS.contains(&c.method()) {
        return false;
    }
    let recv = c.receiver();
    matches!(
        recv.as_str(),
        "logger"
            | "log"
            | "LOGGER"
            | "_logger"
            | "logging"
            | "LOG"
            | "_log"
            | "self.logger"
            | "this.logger"
            | "self.log"
            | "this.log"
            | "Rails.logger"
            | "app.logger"
            | "current_app.logger"
            | "fastify.log"
            | "request.log"
            | "req.log"
            | "self._logger"
            | "this._logger"
            | "cls.logger"
            | "self.LOGGER"
    ) || recv.ends_with("_logger")
        || recv.ends_with("Logger")
        // A logger held on an object or a module (`Sidekiq.logger`, `this.options.logger`),
        // Ruby's instance variable (`@logger`).
        || recv.ends_with(".logger")
        || recv == "@logger"
}

/// Is the first argument a message formatted before the call (whatever the log level)?
fn eager(lang: Lang, c: &Call) -> Option<&'static str> {
    let a = c.args.first()?;
    if a.keyword.is_some() {
        return None;
    }
    let t = a.text.as_str();
    match lang {
        Lang::Python => {
            let lower = t.get(..2).unwrap_or("").to_ascii_lowercase();
            if (t.starts_with("f\"") || t.starts_with("f'") || lower == "rf" || lower == "fr")
                && t.contains('{')
            {
                return Some("an f-string");
            }
            let quoted = t.starts_with('"') || t.starts_with('\'');
            if quoted && a.kind == ArgKind::Other {
                if t.contains(".format(") {
                    return Some("`str.format`");
                }
                if t.contains("\" %") || t.contains("' %") || t.contains("\"%") && t.contains("% ")
                {
                    return Some("`%` formatting");
                }
                if t.contains("\" +") || t.contains("' +") {
                    return Some("string concatenation");
                }
            }
            None
        }
        Lang::Ruby => {
            if c.has_block {
                return None;
            }
            (t.starts_with('"') && t.contains("#{")).then_some("string interpolation")
        }
        _ => {
            if t.starts_with('`') && t.contains("${") {
                return Some("a template literal");
            }
            let quoted = t.starts_with('"') || t.starts_with('\'') || t.starts_with('`');
            if a.kind == ArgKind::Other
                && (quoted && (t.contains("' +") || t.contains("\" +") || t.contains("` +"))
                    || t.contains("+ '")
                    || t.contains("+ \""))
            {
                return Some("string concatenation");
            }
            None
        }
    }
}

pub fn check(ctx: &Ctx, out: &mut Vec<Finding>) {
    let f = ctx.facts;
    if !ctx.server_code {
        return;
    }
    let mut server: Option<bool> = None;
    for c in &f.calls {
        // Console/print output in a handler.
        let console = match f.lang {
            Lang::Python => c.path.len() == 1 && c.root() == "print",
            Lang::Ruby => {
                c.path.len() == 1
                    && matches!(c.root(), "puts" | "p" | "pp" | "print")
                    && !c.args.is_empty()
            }
            _ => {
                c.path.len() == 2
                    && c.root() == "console"
                    && matches!(
                        c.method(),
                        "log" | "info" | "debug" | "warn" | "error" | "trace" | "dir" | "table"
                    )
            }
        };
        if console && on_request_path(ctx, c) {
            let help = match f.lang {
                Lang::Python => "use the `logging` module (with a queue handler for heavy volume); `print` writes to stdout synchronously on every request",
                Lang::Ruby => "use `Rails.logger` (or a structured logger); `puts` writes to stdout synchronously on every request",
                _ => "use an asynchronous structured logger such as pino (`req.log.info({ ... }, 'msg')`); `console.*` writes synchronously to stdout/stderr on every request",
            };
            out.push(Finding {
                rule: ID,
                span: c.span,
                message: format!("`{}` writes to the console on every request", c.dotted()),
                label: "synchronous console output in a handler".into(),
                help: help.into(),
                related: Vec::new(),
                code_hash: c.hash,
                fix: None,
            });
            continue;
        }
        // Eager formatting costs where the level is usually off in production (debug,
        // trace): the message is built for nothing on every call. At info level and above
        // the record is written anyway.
        if !is_logger(c) || !matches!(c.method(), "debug" | "trace" | "verbose" | "silly") {
            continue;
        }
        let Some(how) = eager(f.lang, c) else {
            continue;
        };
        // In Python and Ruby, only in server code (a server module, or a function a handler
        // reaches).
        if matches!(f.lang, Lang::Python | Lang::Ruby)
            && !*server.get_or_insert_with(|| server_module(ctx))
            && !on_request_path(ctx, c)
        {
            continue;
        }
        if f.debug_guards
            .iter()
            .any(|&(s, e)| s <= c.span.start && c.span.end <= e)
        {
            continue;
        }
        let (help, fix) = rewrite(f, c).unwrap_or_else(|| {
            let help = match f.lang {
                Lang::Python => "pass the values as arguments (`logger.info(\"user %s loaded\", user_id)`) so they are formatted only if the record is emitted",
                Lang::Ruby => "use the block form (`logger.debug { \"... #{value}\" }`) so the string is built only when the level is enabled",
                _ => "log structured fields (`logger.info({ userId }, 'user loaded')`) instead of building the message string",
            };
            (help.to_string(), None)
        });
        out.push(Finding {
            rule: ID,
            span: c.span,
            message: format!(
                "`{}` formats its message with {how} before the logger decides to emit it",
                c.dotted()
            ),
            label: "eagerly formatted log message".into(),
            help,
            related: Vec::new(),
            code_hash: c.hash,
            fix,
        });
    }
}

/// Is this file server code, so that a debug message formatted eagerly costs where requests
/// and jobs wait? A Python package can ship its client library beside its server (a tracking
/// server and the SDK that talks to it); the client's logging is not on a server's path.
/// Server code: a file with a handler, a file that imports a web framework, an ORM, a
/// database driver or a job queue when it loads, or a file in a folder where at least half
/// of the modules use one (a Django app's `services.py` next to its `views.py`:
/// `ProjectIndex::server_dirs`). A Ruby gem can be a command-line tool; its files are server
/// code when they hold a handler or sit in a folder the index marks as server code (a model,
/// a `require` of a server library, a Rails application's folders:
/// `ProjectIndex::ruby_server_dirs`). Elsewhere, only the functions a handler reaches are
/// (a helper module shared by the server and its client).
fn server_module(ctx: &Ctx) -> bool {
    let f = ctx.facts;
    let req = &ctx.index.request;
    req.per_file
        .get(ctx.file as usize)
        .is_some_and(|h| !h.regions.is_empty())
        || handlers::imports_server_module(f)
        // A Ruby file that requires a server library has its folder in `server_dirs`.
        || ctx.index.server_dirs.contains(handlers::dir_of(ctx.path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{analyse_source, SourceOutcome};

    fn findings(lang: Lang, src: &str) -> Vec<Finding> {
        match analyse_source(lang, src.as_bytes()) {
            SourceOutcome::Analysed { findings, .. } => findings
                .into_iter()
                .map(|r| r.finding)
                .filter(|f| f.rule == ID)
                .collect(),
            SourceOutcome::Skipped(why) => panic!("skipped: {why}"),
        }
    }

    fn apply(src: &str, f: &Finding) -> String {
        let (_, edits) = f.fix.as_ref().expect("a fix");
        let mut out = src.to_string();
        for e in edits.iter().rev() {
            out.replace_range(e.span.start as usize..e.span.end as usize, &e.replacement);
        }
        out
    }

    #[test]
    fn python_fix_passes_the_values_as_arguments() {
        let src = "import logging\nfrom django.http import JsonResponse\n\nlogger = logging.getLogger(__name__)\n\ndef show(request, job):\n    logger.debug(f\"job {job.id} took {job.secs:.1f}s\")\n    return JsonResponse({})\n";
        let found = findings(Lang::Python, src);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0]
                .help
                .contains("`logger.debug(\"job %s took %.1fs\", job.id, job.secs)`"),
            "{}",
            found[0].help
        );
        assert!(apply(src, &found[0])
            .contains("    logger.debug(\"job %s took %.1fs\", job.id, job.secs)\n"));
        // Another logging library: the generic advice, no edit.
        let loguru = src.replace(
            "import logging\n",
            "import logging\nfrom loguru import logger\n",
        );
        let found = findings(Lang::Python, &loguru);
        assert_eq!(found.len(), 1);
        assert!(found[0].fix.is_none());
    }

    #[test]
    fn ruby_fix_moves_the_message_into_a_block() {
        let src = "class OrdersController < ApplicationController\n  def show\n    Rails.logger.debug \"order #{params[:id]}\"\n    Rails.logger.debug(\"order #{params[:id]} again\")\n    head :ok\n  end\nend\n";
        let found = findings(Lang::Ruby, src);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            apply(src, &found[0]).contains("    Rails.logger.debug { \"order #{params[:id]}\" }\n")
        );
        // With parentheses: the rewrite is in the help only.
        assert!(found[1].fix.is_none());
        assert!(found[1]
            .help
            .contains("`Rails.logger.debug { \"order #{params[:id]} again\" }`"));
    }
}
