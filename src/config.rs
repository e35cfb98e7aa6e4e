//! `n1lint.toml`: discovery (from the current directory upwards), parsing and validation.
//! Unknown keys and bad values are errors that point at the line of the file.

// The error carries the file's text for miette; it is built once per run, so its size
// does not matter.
#![allow(clippy::result_large_err)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use miette::{Diagnostic, NamedSource, SourceSpan};
use serde::Deserialize;
use toml::Spanned;

use crate::rules::{self, Severity};

pub const FILE_NAME: &str = "n1lint.toml";

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    #[serde(default)]
    select: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    ignore: Vec<Spanned<String>>,
    #[serde(default)]
    exclude: Vec<Spanned<String>>,
    #[serde(default)]
    default_excludes: Option<bool>,
    #[serde(default)]
    max_file_size: Option<Spanned<i64>>,
    #[serde(default)]
    severity: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    per_file_ignores: BTreeMap<Spanned<String>, Vec<Spanned<String>>>,
    #[serde(default)]
    apis: RawApis,
    #[serde(default)]
    write_in_loop: RawWriteInLoop,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawWriteInLoop {
    /// Report a model instance's own write (`obj.save()`, `record.update!`) outside data
    /// migrations in any loop, not only in loops over the rows of a query.
    #[serde(default)]
    all_instance_writes: bool,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawApis {
    /// Names of the project's own data-access functions or methods (`loadUser`,
    /// `repo.findUser`, `*.fetch_all`): a call to one counts as a query.
    #[serde(default)]
    query_functions: Vec<String>,
    /// The same for writes (`write-in-loop`).
    #[serde(default)]
    write_functions: Vec<String>,
}

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it came from, if any.
    pub path: Option<PathBuf>,
    /// The rules that run, sorted.
    pub enabled: Vec<&'static str>,
    pub severity: BTreeMap<String, Severity>,
    pub excludes: Vec<String>,
    pub default_excludes: bool,
    pub max_file_size: u64,
    per_file: Vec<(GlobSet, Vec<String>)>,
    /// The `[per-file-ignores]` table as written (for the cache key).
    per_file_raw: Vec<(String, Vec<String>)>,
    pub query_functions: Vec<String>,
    pub write_functions: Vec<String>,
    /// `[write-in-loop] all-instance-writes`: report `obj.save()` in any loop outside data
    /// migrations, not only in loops over the rows of a query.
    pub all_instance_writes: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            path: None,
            enabled: rules::all_meta().iter().map(|m| m.id.as_str()).collect(),
            severity: BTreeMap::new(),
            excludes: Vec::new(),
            default_excludes: true,
            max_file_size: 1024 * 1024,
            per_file: Vec::new(),
            per_file_raw: Vec::new(),
            query_functions: Vec::new(),
            write_functions: Vec::new(),
            all_instance_writes: false,
        }
    }
}

/// A configuration error, rendered by miette with the offending line.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    #[diagnostic(code(n1lint::config::io))]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid config file {path}: {message}")]
    #[diagnostic(code(n1lint::config::invalid), help("{help}"))]
    Invalid {
        path: String,
        message: String,
        help: String,
        #[source_code]
        src: NamedSource<String>,
        #[label("here")]
        span: Option<SourceSpan>,
    },
}

impl Config {
    /// Looks for `n1lint.toml` in `start` and its parents.
    pub fn discover(start: &Path) -> Option<PathBuf> {
        let mut dir = Some(start);
        while let Some(d) = dir {
            let candidate = d.join(FILE_NAME);
            if candidate.is_file() {
                return Some(candidate);
            }
            dir = d.parent();
        }
        None
    }

    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let mut c = Config::from_str(&text, &path.display().to_string())?;
        c.path = Some(path.to_path_buf());
        Ok(c)
    }

    pub fn from_str(text: &str, name: &str) -> Result<Config, ConfigError> {
        let invalid = |message: String, help: &str, span: Option<std::ops::Range<usize>>| {
            ConfigError::Invalid {
                path: name.to_string(),
                message,
                help: help.to_string(),
                src: NamedSource::new(name, text.to_string()),
                span: span.map(|r| SourceSpan::from(r.start..r.end.max(r.start))),
            }
        };
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            invalid(
                e.message().to_string(),
                "see the Configuration section of the README for the keys n1lint reads",
                e.span(),
            )
        })?;
        let check_id = |s: &Spanned<String>| -> Result<&'static str, ConfigError> {
            rules::all_meta()
                .iter()
                .find(|m| m.id == *s.get_ref())
                .map(|m| m.id.as_str())
                .ok_or_else(|| {
                    invalid(
                        format!("unknown rule `{}`", s.get_ref()),
                        &format!("known rules: {}", known_ids()),
                        Some(s.span()),
                    )
                })
        };
        let mut c = Config::default();
        if let Some(sel) = &raw.select {
            let mut enabled = Vec::new();
            for s in sel {
                enabled.push(check_id(s)?);
            }
            c.enabled = enabled;
        }
        for s in &raw.ignore {
            let id = check_id(s)?;
            c.enabled.retain(|e| *e != id);
        }
        for (k, v) in &raw.severity {
            let id = check_id(k)?;
            match v.get_ref().as_str() {
                "off" => c.enabled.retain(|e| *e != id),
                "error" => drop(c.severity.insert(id.to_string(), Severity::Error)),
                "warning" => drop(c.severity.insert(id.to_string(), Severity::Warning)),
                "note" | "info" => drop(c.severity.insert(id.to_string(), Severity::Note)),
                other => {
                    return Err(invalid(
                        format!("unknown severity `{other}` for `{id}`"),
                        "use one of: error, warning, note, off",
                        Some(v.span()),
                    ))
                }
            }
        }
        for pat in &raw.exclude {
            Glob::new(pat.get_ref()).map_err(|e| {
                invalid(
                    format!("bad glob `{}`: {e}", pat.get_ref()),
                    "exclude takes gitignore-style globs",
                    Some(pat.span()),
                )
            })?;
            c.excludes.push(pat.get_ref().clone());
        }
        if let Some(d) = raw.default_excludes {
            c.default_excludes = d;
        }
        if let Some(m) = &raw.max_file_size {
            if *m.get_ref() <= 0 {
                return Err(invalid(
                    "max-file-size must be a positive number of bytes".into(),
                    "for example max-file-size = 1048576",
                    Some(m.span()),
                ));
            }
            c.max_file_size = *m.get_ref() as u64;
        }
        for (pat, ids) in &raw.per_file_ignores {
            let glob = Glob::new(pat.get_ref()).map_err(|e| {
                invalid(
                    format!("bad glob `{}`: {e}", pat.get_ref()),
                    "keys of [per-file-ignores] are globs like \"tests/**\"",
                    Some(pat.span()),
                )
            })?;
            let set = GlobSetBuilder::new()
                .add(glob)
                .build()
                .map_err(|e| invalid(format!("bad glob: {e}"), "", Some(pat.span())))?;
            let mut v = Vec::new();
            for id in ids {
                v.push(check_id(id)?.to_string());
            }
            c.per_file_raw.push((pat.get_ref().clone(), v.clone()));
            c.per_file.push((set, v));
        }
        c.query_functions = raw.apis.query_functions;
        c.write_functions = raw.apis.write_functions;
        c.all_instance_writes = raw.write_in_loop.all_instance_writes;
        c.enabled.sort_unstable();
        c.enabled.dedup();
        Ok(c)
    }

    /// Applies `--select` / `--ignore` from the command line on top of the file.
    pub fn apply_cli(&mut self, select: &[String], ignore: &[String]) -> Result<(), String> {
        for id in select.iter().chain(ignore) {
            if !rules::is_known(id) {
                return Err(format!(
                    "unknown rule `{id}` (known rules: {})",
                    known_ids()
                ));
            }
        }
        if !select.is_empty() {
            self.enabled = rules::all_meta()
                .iter()
                .map(|m| m.id.as_str())
                .filter(|id| select.iter().any(|s| s == id))
                .collect();
        }
        self.enabled.retain(|id| !ignore.iter().any(|s| s == id));
        Ok(())
    }

    pub fn severity_of(&self, id: &str) -> Severity {
        self.severity
            .get(id)
            .copied()
            .or_else(|| rules::meta(id).map(|m| m.severity))
            .unwrap_or(Severity::Warning)
    }

    /// Is `rule` switched off for `path` (relative, `/`-separated) by `[per-file-ignores]`?
    pub fn ignored_for(&self, path: &str, rule: &str) -> bool {
        self.per_file
            .iter()
            .any(|(set, ids)| ids.iter().any(|i| i == rule) && set.is_match(path))
    }

    /// A stable digest of everything that changes findings (for the cache key).
    pub fn digest(&self) -> String {
        format!(
            "{:?}|{:?}|{:?}|{:?}|{}|{:?}|{}",
            self.enabled,
            self.query_functions,
            self.write_functions,
            self.severity,
            self.max_file_size,
            self.per_file_raw,
            self.all_instance_writes
        )
    }
}

fn known_ids() -> String {
    rules::all_meta()
        .iter()
        .map(|m| m.id.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_points_at_its_line() {
        let err = Config::from_str(
            "select = [\"select-star\"]\nfrobnicate = 1\n",
            "n1lint.toml",
        )
        .unwrap_err();
        match err {
            ConfigError::Invalid {
                span: Some(span),
                message,
                ..
            } => {
                assert!(message.contains("frobnicate"), "{message}");
                assert_eq!(span.offset(), 25);
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn write_in_loop_table() {
        assert!(!Config::from_str("", "x").unwrap().all_instance_writes);
        let c = Config::from_str("[write-in-loop]\nall-instance-writes = true\n", "x").unwrap();
        assert!(c.all_instance_writes);
        assert!(Config::from_str("[write-in-loop]\nfrobnicate = 1\n", "x").is_err());
    }

    #[test]
    fn unknown_rule_is_an_error() {
        let err = Config::from_str("ignore = [\"no-such-rule\"]\n", "n1lint.toml").unwrap_err();
        assert!(err.to_string().contains("no-such-rule"));
    }

    #[test]
    fn per_file_ignores_match_globs() {
        let c = Config::from_str(
            "[per-file-ignores]\n\"tests/**\" = [\"select-star\"]\n",
            "x",
        )
        .unwrap();
        assert!(c.ignored_for("tests/a/b.py", "select-star"));
        assert!(!c.ignored_for("src/b.py", "select-star"));
    }
}
