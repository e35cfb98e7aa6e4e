//! The rule registry: metadata from `rules/<id>.toml` and one check function per rule.

use std::sync::OnceLock;

use serde::Deserialize;

use crate::config::Config;
use crate::facts::{FileFacts, Span};
use crate::index::ProjectIndex;
use crate::lang::Lang;

pub mod db_loop;
pub mod missing_timeout;
pub mod n_plus_one;
pub(crate) mod request;
pub mod select_star;
pub mod sequential_await;
pub mod sync_io;
pub mod sync_logging;
pub mod unbounded_query;
pub mod write_in_loop;

/// How serious a finding is. Ordered from least to most.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, serde::Serialize, Hash,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Note,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Example {
    pub language: String,
    pub bad: String,
    pub good: String,
    /// Code the examples rely on (model definitions, imports), written to a sibling file
    /// when the examples are linted in tests; not shown in the docs.
    #[serde(default)]
    pub setup: Option<String>,
    /// The file name the example is linted as (`views.py`, `routes.js`), when it matters.
    #[serde(default)]
    pub file: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleMeta {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub languages: Vec<String>,
    pub summary: String,
    /// What area of the checklist the rule belongs to (database, async, io, api, logging,
    /// external).
    pub area: String,
    pub tags: Vec<String>,
    /// SARIF precision: very-high, high, medium, low.
    pub precision: String,
    pub what: String,
    pub why: String,
    pub fix: String,
    pub examples: Vec<Example>,
}

impl RuleMeta {
    pub fn applies_to(&self, lang: Lang) -> bool {
        self.languages.iter().any(|l| l == lang.family())
    }

    /// The rule's documentation as Markdown (for `explain`, SARIF `help.markdown`).
    pub fn markdown(&self) -> String {
        let mut s = format!("# {}: {}\n\n", self.id, self.title);
        s.push_str(&format!("## What it finds\n\n{}\n\n", self.what.trim()));
        s.push_str(&format!("## Why it is slow\n\n{}\n\n", self.why.trim()));
        s.push_str(&format!("## How to fix it\n\n{}\n\n", self.fix.trim()));
        for ex in &self.examples {
            let fence = fence_lang(&ex.language);
            s.push_str(&format!(
                "## Example ({})\n\nSlow:\n\n```{fence}\n{}\n```\n\nBetter:\n\n```{fence}\n{}\n```\n\n",
                ex.language,
                ex.bad.trim_end(),
                ex.good.trim_end()
            ));
        }
        s.push_str(&format!(
            "Suppress one finding with a trailing comment `n1lint-ignore: {} -- reason`.\n",
            self.id
        ));
        s
    }

    /// The documentation as plain text (SARIF `help.text`).
    pub fn text(&self) -> String {
        format!(
            "{}\n\n{}\n\nFix: {}",
            self.what.trim(),
            self.why.trim(),
            self.fix.trim()
        )
    }
}

fn fence_lang(l: &str) -> &str {
    match l {
        "javascript" => "js",
        "typescript" => "ts",
        "python" => "python",
        "ruby" => "ruby",
        other => other,
    }
}

const META_SOURCES: &[&str] = &[
    include_str!("../../rules/missing-timeout.toml"),
    include_str!("../../rules/n-plus-one.toml"),
    include_str!("../../rules/select-star.toml"),
    include_str!("../../rules/sequential-await.toml"),
    include_str!("../../rules/sync-io.toml"),
    include_str!("../../rules/sync-logging.toml"),
    include_str!("../../rules/unbounded-query.toml"),
    include_str!("../../rules/write-in-loop.toml"),
    include_str!("../../rules/unused-suppression.toml"),
];

/// Every rule's metadata, parsed once.
pub fn all_meta() -> &'static [RuleMeta] {
    static META: OnceLock<Vec<RuleMeta>> = OnceLock::new();
    META.get_or_init(|| {
        let mut v: Vec<RuleMeta> = META_SOURCES
            .iter()
            .map(|s| {
                toml::from_str(s)
                    .unwrap_or_else(|e| panic!("embedded rule metadata is invalid: {e}"))
            })
            .collect();
        v.sort_by(|a, b| a.id.cmp(&b.id));
        v
    })
}

pub fn meta(id: &str) -> Option<&'static RuleMeta> {
    all_meta().iter().find(|m| m.id == id)
}

pub fn is_known(id: &str) -> bool {
    meta(id).is_some()
}

/// A second place a finding refers to (the loop of an N+1, the helper's query).
#[derive(Debug, Clone)]
pub struct Related {
    pub span: Span,
    pub message: String,
    /// Another file, when the place is not in the finding's file.
    pub path: Option<String>,
}

/// A text edit offered as a fix (SARIF `fixes[]`).
#[derive(Debug, Clone)]
pub struct Edit {
    pub span: Span,
    pub replacement: String,
}

/// What a rule reports.
#[derive(Debug, Clone)]
pub struct Finding {
    pub rule: &'static str,
    pub span: Span,
    pub message: String,
    /// The label on the primary span.
    pub label: String,
    pub help: String,
    pub related: Vec<Related>,
    /// Hash of the normalised flagged code (baselines, fingerprints).
    pub code_hash: u64,
    pub fix: Option<Fix>,
}

/// A finding's fix: what it does, and the edits.
pub type Fix = (String, Vec<Edit>);

/// What a rule sees for one file.
pub struct Ctx<'a> {
    pub path: &'a str,
    pub facts: &'a FileFacts,
    pub index: &'a ProjectIndex,
    pub config: &'a Config,
    /// For resolving calls into other files: every file's skeleton (functions, classes and
    /// imports only, see `FileFacts::skeleton`; whatever else a rule needs to know of another
    /// file belongs in the index). This file's whole facts are `facts`; it is `file` here.
    pub files: &'a [(&'a str, &'a FileFacts)],
    pub file: u32,
    /// Is this file server code: not a test, a script, a migration or a command-line tool
    /// (`handlers::not_server_code`, decided once per file)?
    pub server_code: bool,
}

impl<'a> Ctx<'a> {
    /// The context of file `file` (at `path`, with its whole `facts`).
    pub fn new(
        path: &'a str,
        facts: &'a FileFacts,
        index: &'a ProjectIndex,
        config: &'a Config,
        files: &'a [(&'a str, &'a FileFacts)],
        file: u32,
    ) -> Self {
        Ctx {
            path,
            facts,
            index,
            config,
            files,
            file,
            server_code: !crate::handlers::not_server_code(path),
        }
    }
}

type Check = fn(&Ctx, &mut Vec<Finding>);

/// The check function of each rule id.
pub fn checks() -> &'static [(&'static str, Check)] {
    &[
        ("missing-timeout", missing_timeout::check),
        ("n-plus-one", n_plus_one::check),
        ("select-star", select_star::check),
        ("sequential-await", sequential_await::check),
        ("sync-io", sync_io::check),
        ("sync-logging", sync_logging::check),
        ("unbounded-query", unbounded_query::check),
        ("write-in-loop", write_in_loop::check),
    ]
}
