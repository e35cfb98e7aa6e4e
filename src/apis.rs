//! The framework vocabulary: which calls touch the database, read or write, from the data
//! files under `rules/apis/` (one per framework), extended from `n1lint.toml`.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use serde::Deserialize;

use crate::facts::Call;
use crate::lang::Lang;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Api {
    pub framework: String,
    /// `python`, `ruby` or `ecma`.
    pub language: String,
    /// The model family `$model` stands for in receivers.
    #[serde(default)]
    pub models: Option<String>,
    pub read_fix: String,
    pub write_fix: String,
    /// Methods that eager-load relations (`select_related`, `includes`).
    #[serde(default)]
    pub eager: Vec<String>,
    pub calls: Vec<CallShape>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CallShape {
    /// Alternatives separated by `|`; each a dotted path of segment patterns: a name, `*`
    /// (any one segment), a glob like `*Repository`, `$model`, and `()` for a called
    /// segment, `('')` for a segment called with a string literal first. Empty: the
    /// operation is a plain function call.
    pub receiver: String,
    #[serde(default)]
    pub reads: Vec<String>,
    #[serde(default)]
    pub writes: Vec<String>,
    /// Operations that are already the batched form.
    #[serde(default)]
    pub bulk: Vec<String>,
    /// The operation may come anywhere later in the chain (`knex('t').where().first()`).
    #[serde(default)]
    pub chain: bool,
    /// The chain must be awaited to run.
    #[serde(default)]
    pub awaited: bool,
    /// The first argument must be SQL text.
    #[serde(default)]
    pub sql_arg: bool,
    /// A read whose first argument starts with one of these is a write.
    #[serde(default)]
    pub write_if_arg: Vec<String>,
    /// The operation counts only when followed in the chain by one of these.
    #[serde(default)]
    pub needs_chain: Vec<String>,
    #[serde(default)]
    pub distinct_ops: bool,
    /// Receivers that look like `receiver` but are something else (`request.session`).
    #[serde(default)]
    pub not_receiver: Vec<String>,
    /// The file must import one of these modules (a `session` is SQLAlchemy's only where
    /// SQLAlchemy is imported).
    #[serde(default)]
    pub requires_import: Vec<String>,
    /// `receiver`'s alternatives, split into segment patterns once, when the vocabulary loads.
    #[serde(skip)]
    pub alts: Vec<Vec<String>>,
}

const SOURCES: &[&str] = &[
    include_str!("../rules/apis/django.toml"),
    include_str!("../rules/apis/sqlalchemy.toml"),
    include_str!("../rules/apis/dbapi.toml"),
    include_str!("../rules/apis/peewee.toml"),
    include_str!("../rules/apis/activerecord.toml"),
    include_str!("../rules/apis/nocobase.toml"),
    include_str!("../rules/apis/prisma.toml"),
    include_str!("../rules/apis/sequelize.toml"),
    include_str!("../rules/apis/typeorm.toml"),
    include_str!("../rules/apis/knex.toml"),
    include_str!("../rules/apis/keystone.toml"),
    include_str!("../rules/apis/objection.toml"),
];

pub fn all() -> &'static [Api] {
    static APIS: OnceLock<Vec<Api>> = OnceLock::new();
    APIS.get_or_init(|| {
        SOURCES
            .iter()
            .map(|s| {
                let mut api: Api = toml::from_str(s)
                    .unwrap_or_else(|e| panic!("embedded API vocabulary is invalid: {e}"));
                for shape in &mut api.calls {
                    shape.alts = shape
                        .receiver
                        .split('|')
                        .map(|alt| {
                            if alt.is_empty() {
                                Vec::new()
                            } else {
                                alt.split('.').map(str::to_string).collect()
                            }
                        })
                        .collect();
                }
                api
            })
            .collect()
    })
}

/// The names of every read and write operation of a language's vocabulary (`None`: the
/// vocabulary has no such language).
fn op_names(key: &str) -> Option<&'static HashSet<&'static str>> {
    static NAMES: OnceLock<HashMap<&'static str, HashSet<&'static str>>> = OnceLock::new();
    NAMES
        .get_or_init(|| {
            let mut m: HashMap<&'static str, HashSet<&'static str>> = HashMap::new();
            for api in all() {
                let set = m.entry(api.language.as_str()).or_default();
                for shape in &api.calls {
                    set.extend(shape.reads.iter().chain(&shape.writes).map(|s| s.as_str()));
                }
            }
            m
        })
        .get(key)
}

/// The language key of the vocabulary files (`language = "ecma"`).
pub fn lang_key(lang: Lang) -> &'static str {
    match lang {
        Lang::Python => "python",
        Lang::Ruby => "ruby",
        _ => "ecma",
    }
}

/// A database operation recognised in a call.
#[derive(Debug, Clone)]
pub struct DbOp {
    pub api: &'static Api,
    pub op: String,
    pub write: bool,
    pub bulk: bool,
}

/// The language key of the vocabulary that defines the model family `family`.
pub fn family_language(family: &str) -> Option<&'static str> {
    all()
        .iter()
        .find(|a| a.models.as_deref() == Some(family))
        .map(|a| a.language.as_str())
}

/// Is `name` a model of `family`? Supplied by the project index.
pub trait Models {
    fn is_model(&self, family: &str, name: &str) -> bool;
}

fn glob(pat: &str, name: &str) -> bool {
    match (pat.strip_prefix('*'), pat.strip_suffix('*')) {
        _ if pat == "*" => true,
        (Some(suffix), _) if !suffix.contains('*') => {
            name.ends_with(suffix) && name.len() > suffix.len()
        }
        (_, Some(prefix)) if !prefix.contains('*') => name.starts_with(prefix),
        _ => pat == name,
    }
}

fn seg_matches(
    pat: &str,
    seg: &crate::facts::Seg,
    family: Option<&str>,
    models: &dyn Models,
) -> bool {
    // `getRepository('')`: called with a string literal first (`getRepository('users')`).
    let (pat, must_call, must_name) = match (pat.strip_suffix("('')"), pat.strip_suffix("()")) {
        (Some(p), _) => (p, true, true),
        (None, Some(p)) => (p, true, false),
        (None, None) => (pat, false, false),
    };
    if must_call && !seg.called {
        return false;
    }
    if must_name
        && !seg
            .args
            .first()
            .is_some_and(|a| a.len() > 2 && a.starts_with(['"', '\'', '`']) && !a.contains("${"))
    {
        return false;
    }
    if pat == "$model" {
        return family.is_some_and(|f| models.is_model(f, &seg.name));
    }
    glob(pat, &seg.name)
}

/// Does `path[start..start+shape.len()]` match `shape`?
fn shape_at(
    shape: &[String],
    call: &Call,
    start: usize,
    family: Option<&str>,
    models: &dyn Models,
) -> bool {
    shape.iter().enumerate().all(|(i, p)| {
        call.path
            .get(start + i)
            .is_some_and(|s| seg_matches(p, s, family, models))
    })
}

fn is_sql(text: &str) -> bool {
    let t = text
        .trim_start_matches(['"', '\'', '`', 'f', 'r', 'b'])
        .trim_start();
    let t = t
        .trim_start_matches(['"', '\'', '`'])
        .trim_start_matches('(')
        .trim_start();
    let head: String = t.chars().take(7).collect::<String>().to_ascii_lowercase();
    [
        "select", "insert", "update", "delete", "with", "replace", "merge",
    ]
    .iter()
    .any(|k| {
        head.starts_with(k)
            && head[k.len()..]
                .chars()
                .next()
                .is_none_or(|c| c.is_whitespace())
    })
}

fn first_arg_text(call: &Call, k: usize) -> Option<&str> {
    call.path
        .get(k)
        .and_then(|s| s.args.first())
        .map(|s| s.as_str())
}

/// The database operation `call` performs, if the vocabulary knows it.
pub fn db_op(
    lang: Lang,
    call: &Call,
    models: &dyn Models,
    imports: &[crate::facts::Import],
) -> Option<DbOp> {
    let key = lang_key(lang);
    // Every operation is a segment named by some shape's `reads` or `writes`: a call
    // without such a segment (most calls) is no operation.
    let names = op_names(key)?;
    if !call.path.iter().any(|s| names.contains(s.name.as_str())) {
        return None;
    }
    for api in all().iter().filter(|a| a.language == key) {
        let family = api.models.as_deref();
        for shape in &api.calls {
            for pats in &shape.alts {
                if pats.len() >= call.path.len() {
                    continue;
                }
                // The receiver may sit after a prefix (`self.session`, `this.repo`), except for
                // receivers that name a model or a call.
                let starts = if pats.is_empty() {
                    0..1
                } else {
                    0..call.path.len() - pats.len()
                };
                for start in starts {
                    if !pats.is_empty() && start > 0 && pats[0] == "$model" && start > 1 {
                        continue;
                    }
                    if !shape_at(pats, call, start, family, models) {
                        continue;
                    }
                    let recv_text: Vec<&str> = call.path[..start + pats.len()]
                        .iter()
                        .map(|s| s.name.as_str())
                        .collect();
                    let recv_text = recv_text.join(".");
                    if shape
                        .not_receiver
                        .iter()
                        .any(|n| recv_text == *n || recv_text.ends_with(&format!(".{n}")))
                    {
                        continue;
                    }
                    if !shape.requires_import.is_empty()
                        && !imports.iter().any(|i| {
                            shape
                                .requires_import
                                .iter()
                                .any(|m| i.source.starts_with(m.as_str()))
                        })
                    {
                        continue;
                    }
                    let first = start + pats.len();
                    let range: Vec<usize> = if shape.chain {
                        (first..call.path.len()).collect()
                    } else {
                        vec![first]
                    };
                    let mut found: Option<(usize, bool)> = None;
                    for k in range {
                        let name = call.path[k].name.as_str();
                        if shape.writes.iter().any(|w| w == name) {
                            found = Some((k, true));
                            break;
                        }
                        if shape.reads.iter().any(|r| r == name) && found.is_none() {
                            found = Some((k, false));
                            if !shape.chain {
                                break;
                            }
                        }
                    }
                    let Some((k, mut write)) = found else {
                        continue;
                    };
                    // `filter(...).update(...)`: a write later in the chain makes it a write.
                    if !write
                        && call.path[k + 1..]
                            .iter()
                            .any(|s| s.called && shape.writes.contains(&s.name))
                    {
                        write = true;
                    }
                    if !call.path[k].called && lang != Lang::Ruby {
                        continue;
                    }
                    if shape.awaited && !call.awaited {
                        continue;
                    }
                    if !shape.needs_chain.is_empty()
                        && !call.path[k + 1..]
                            .iter()
                            .any(|s| shape.needs_chain.contains(&s.name))
                    {
                        continue;
                    }
                    let arg = first_arg_text(call, k);
                    if shape.sql_arg && !arg.is_some_and(is_sql) {
                        continue;
                    }
                    // `session.get(url, ...)` on an HTTP client session (aiohttp, requests):
                    // SQLAlchemy's `get` takes a model first.
                    if api.framework == "sqlalchemy"
                        && call.path[k].name == "get"
                        && arg.is_some_and(|a| {
                            let l = a.to_ascii_lowercase();
                            a.starts_with(['"', '\''])
                                || a.starts_with("f\"")
                                || a.starts_with("f'")
                                || l.contains("url")
                                || l.contains("http")
                        })
                    {
                        continue;
                    }
                    if !write && !shape.write_if_arg.is_empty() {
                        if let Some(a) = arg {
                            let t = a
                                .trim_start_matches(['"', '\'', '`', 'f', 'r'])
                                .trim_start_matches(['"', '\'', '`'])
                                .trim_start();
                            let tl = t.to_ascii_lowercase();
                            write = shape
                                .write_if_arg
                                .iter()
                                .any(|m| tl.starts_with(&m.to_ascii_lowercase()));
                        }
                    }
                    let op = call.path[k].name.clone();
                    let bulk = shape.bulk.contains(&op);
                    return Some(DbOp {
                        api,
                        op,
                        write,
                        bulk,
                    });
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vocabulary_parses() {
        assert!(all().len() >= 9);
        for a in all() {
            assert!(!a.calls.is_empty(), "{} has no calls", a.framework);
        }
    }

    #[test]
    fn sql_detection() {
        assert!(is_sql("'SELECT id FROM t'"));
        assert!(is_sql("\"  insert into t values (1)\""));
        assert!(is_sql("f\"SELECT 1\""));
        assert!(!is_sql("'selection'"));
        assert!(!is_sql("'users'"));
    }
}
