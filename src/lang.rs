//! Languages n1lint understands: file extensions, grammars, query sets and comment syntax.

use std::path::Path;

use serde::{Deserialize, Serialize};

/// A source language, as decided from a file's extension.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    bincode::Encode,
    bincode::Decode,
)]
pub enum Lang {
    JavaScript,
    TypeScript,
    Tsx,
    Python,
    Ruby,
}

impl Lang {
    pub const ALL: [Lang; 5] = [
        Lang::JavaScript,
        Lang::TypeScript,
        Lang::Tsx,
        Lang::Python,
        Lang::Ruby,
    ];

    /// The language of a path, from its extension; `None` for files n1lint does not read.
    pub fn from_path(path: &Path) -> Option<Lang> {
        let name = path.file_name()?.to_str()?;
        if name.ends_with(".d.ts") || name.ends_with(".d.mts") || name.ends_with(".d.cts") {
            return None;
        }
        let ext = path.extension()?.to_str()?;
        Some(match ext {
            "js" | "mjs" | "cjs" | "jsx" => Lang::JavaScript,
            "ts" | "mts" | "cts" => Lang::TypeScript,
            "tsx" => Lang::Tsx,
            "py" => Lang::Python,
            "rb" | "rake" => Lang::Ruby,
            _ => return None,
        })
    }

    /// The name used in `--stats`, config files and rule metadata.
    pub fn name(self) -> &'static str {
        match self {
            Lang::JavaScript => "javascript",
            Lang::TypeScript => "typescript",
            Lang::Tsx => "tsx",
            Lang::Python => "python",
            Lang::Ruby => "ruby",
        }
    }

    /// The language family a rule's `languages` list names (TSX counts as TypeScript).
    pub fn family(self) -> &'static str {
        match self {
            Lang::Tsx => "typescript",
            other => other.name(),
        }
    }

    pub fn is_ecma(self) -> bool {
        matches!(self, Lang::JavaScript | Lang::TypeScript | Lang::Tsx)
    }

    pub fn grammar(self) -> tree_sitter::Language {
        match self {
            Lang::JavaScript => tree_sitter_javascript::LANGUAGE.into(),
            Lang::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
            Lang::Tsx => tree_sitter_typescript::LANGUAGE_TSX.into(),
            Lang::Python => tree_sitter_python::LANGUAGE.into(),
            Lang::Ruby => tree_sitter_ruby::LANGUAGE.into(),
        }
    }

    /// The folder under `queries/` holding this language's query files.
    pub fn query_dir(self) -> &'static str {
        match self {
            Lang::JavaScript => "ecma",
            Lang::TypeScript | Lang::Tsx => "typescript",
            Lang::Python => "python",
            Lang::Ruby => "ruby",
        }
    }

    /// The line-comment leader, used in suppression hints.
    pub fn line_comment(self) -> &'static str {
        match self {
            Lang::Python | Lang::Ruby => "#",
            _ => "//",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

impl std::fmt::Display for Lang {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Every fixture file with a language n1lint reads, with its path and text (for tests that
/// check a fact or a helper against every fixture).
#[cfg(test)]
pub(crate) fn fixture_sources() -> Vec<(std::path::PathBuf, Lang, String)> {
    ignore::WalkBuilder::new(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures"))
        .standard_filters(false)
        .build()
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let lang = Lang::from_path(e.path())?;
            let src = std::fs::read_to_string(e.path()).ok()?;
            Some((e.into_path(), lang, src))
        })
        .collect()
}
