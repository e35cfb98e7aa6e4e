//! The pipeline: walk, read and parse in parallel, build the project index, run the rules
//! in parallel, apply suppressions, sort.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::cache::{self, Cache, CachedFinding, CachedRelated, CachedRun, CachedScanned};
use crate::config::Config;
use crate::facts::{self, fnv1a, FileFacts, Limits, Span};
use crate::index::{self, FileScan, HelperCall, LocalFacts, ProjectIndex};
use crate::lang::Lang;
use crate::rules::{self, Ctx, Finding, Severity};
use crate::store::{FactStore, Stored};
use crate::suppress;
use crate::walk::{self, Candidate, WalkOptions};

/// A finding placed in its file, with everything the reports need.
#[derive(Debug, Clone)]
pub struct Reported {
    pub path: String,
    pub severity: Severity,
    pub finding: Finding,
    /// The enclosing class/function path (`OrdersController.index`).
    pub scope: String,
    /// Stable identity: rule, path, scope, normalised code, occurrence.
    pub fingerprint: String,
}

#[derive(Debug, Clone)]
pub struct Scanned {
    pub path: String,
    pub lang: Lang,
    pub lines: u32,
    pub parse_errors: bool,
}

/// Everything a run found out.
#[derive(Debug, Default)]
pub struct Analysis {
    pub scanned: Vec<Scanned>,
    /// (path, reason) of files not analysed.
    pub skipped: Vec<(String, String)>,
    /// Internal errors (a panic in a rule or the extractor): the run's exit code is 2.
    pub internal_errors: Vec<String>,
    pub findings: Vec<Reported>,
    pub elapsed: Duration,
    pub root: PathBuf,
    /// Entry points found, per framework (`--stats`).
    pub handlers: BTreeMap<&'static str, usize>,
    pub reached: usize,
    /// Files read only for the project index (see [`run_with_context`]).
    pub context_files: usize,
    /// Findings hidden by `--baseline`.
    pub baselined: usize,
    /// Findings hidden by `--diff` (not on a changed line).
    pub outside_diff: usize,
}

pub struct RunOptions<'a> {
    pub paths: &'a [PathBuf],
    pub config: &'a Config,
    pub threads: usize,
    pub limits: Limits,
    /// The warm-run cache, if enabled.
    pub cache: Option<&'a Cache>,
}

enum Outcome {
    /// Facts, with the file's content key.
    Facts(Box<FileFacts>, String),
    /// Facts are in the cache under this key.
    Cached(String),
    /// Facts handed to the store, with the content key.
    Prepared(Box<Prepared>, String),
    Skipped(String),
    Internal(String),
}

/// Turns a path into the form reports use: relative to the current directory where
/// possible, `/`-separated, without a leading `./`.
pub fn display_path(path: &Path, cwd: &Path) -> String {
    let rel = path.strip_prefix(cwd).unwrap_or(path);
    let s = rel.to_string_lossy();
    // `\` separates folders on Windows only: elsewhere it is part of a file's name.
    let s = if cfg!(windows) {
        s.replace('\\', "/")
    } else {
        s.into_owned()
    };
    let s = s.strip_prefix("./").unwrap_or(&s).to_string();
    if s.is_empty() {
        ".".into()
    } else {
        s
    }
}

/// The minified-file heuristic: long average lines in a file of some size. A lone CR ends
/// a line too (old Mac line endings).
fn looks_minified(text: &str) -> bool {
    if text.len() < 4096 {
        return false;
    }
    let b = text.as_bytes();
    let breaks = b
        .iter()
        .enumerate()
        .filter(|&(i, &x)| x == b'\n' || (x == b'\r' && b.get(i + 1) != Some(&b'\n')))
        .count();
    text.len() / (breaks + 1) > 500
}

/// Reads a file of at most `max` bytes: `Err` with the reason to skip it otherwise. Only
/// regular files are read (a FIFO or a device named `x.py` would block or never end), and
/// never more than `max + 1` bytes, also when the file grows while it is read.
fn read_limited(path: &Path, max: u64) -> Result<Vec<u8>, String> {
    let too_large = || format!("larger than {max} bytes");
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read: {e}"))?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    if meta.len() > max {
        return Err(too_large());
    }
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read: {e}"))?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(max.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() as u64 > max {
        return Err(too_large());
    }
    Ok(bytes)
}

/// Test-only hook, not a setting: `N1LINT_TEST_PANIC=<text>` makes every rule panic on the
/// files whose path contains `<text>`, `N1LINT_TEST_PANIC=extract:<text>` the extractor.
/// The tests of the internal-error path (exit code 2, the message, the run going on) use it.
fn test_panic(stage: &str, path: &str) {
    static SPEC: OnceLock<Option<String>> = OnceLock::new();
    let spec = SPEC.get_or_init(|| {
        std::env::var("N1LINT_TEST_PANIC")
            .ok()
            .filter(|s| !s.is_empty())
    });
    let Some(spec) = spec else { return };
    let (want, needle) = match spec.split_once(':') {
        Some(("extract", n)) => ("extract", n),
        Some(("rule", n)) => ("rule", n),
        _ => ("rule", spec.as_str()),
    };
    if want == stage && path.contains(needle) {
        panic!("N1LINT_TEST_PANIC: {stage} on {path}");
    }
}

/// Test-only hook, not a setting: `N1LINT_TEST_TIME_BUDGET_MS=<n>` sets the parse and
/// analysis time budgets of each file to `n` milliseconds, so the tests of the time limits
/// need no slow input.
fn test_limits(mut limits: Limits) -> Limits {
    if let Some(ms) = std::env::var("N1LINT_TEST_TIME_BUDGET_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        limits.parse_timeout = Duration::from_millis(ms);
        limits.analysis_timeout = Duration::from_millis(ms);
    }
    limits
}

fn read_and_extract(
    c: &Candidate,
    config: &Config,
    limits: &Limits,
    cache: Option<&Cache>,
) -> Outcome {
    let bytes = match read_limited(&c.path, config.max_file_size) {
        Ok(b) => b,
        Err(why) => return Outcome::Skipped(why),
    };
    // Facts depend on the content alone: a file seen before is not parsed again.
    let key = cache::facts_key(c.lang, &bytes);
    if cache.is_some_and(|k| k.has_facts(&key)) {
        return Outcome::Cached(key);
    }
    let path = c.path.to_string_lossy();
    match facts_of_bytes(c.lang, &bytes, limits, &path) {
        Outcome::Facts(f, _) => Outcome::Facts(f, key),
        other => other,
    }
}

/// A file after the first pass: what the index needs of it in memory, and where the rest
/// of its facts wait for the later passes.
struct Prepared {
    path: String,
    skeleton: FileFacts,
    local: LocalFacts,
    stored: Option<Stored>,
    lines: u32,
    parse_errors: bool,
}

fn prepare(path: String, f: &FileFacts, stored: Option<Stored>) -> Prepared {
    Prepared {
        local: index::local_facts(&path, f),
        skeleton: f.skeleton(),
        path,
        stored,
        lines: f.lines,
        parse_errors: !f.error_spans.is_empty(),
    }
}

/// With `N1LINT_TIMINGS`: prints the wall time since `start` and the CPU time of the process
/// so far, at the end of a step.
fn mark(step: &str, start: Instant) {
    eprintln!(
        "timing: {step} {:.2} s (process CPU {:.2} s)",
        start.elapsed().as_secs_f64(),
        crate::facts::process_cpu_time()
            .unwrap_or_default()
            .as_secs_f64()
    );
}

/// A prepared file's facts, back from the store; extracted again if the store lost them.
fn facts_back(
    c: &Candidate,
    p: &Prepared,
    store: &FactStore,
    opts: &RunOptions,
    limits: &Limits,
) -> Option<FileFacts> {
    if let Some(f) = p.stored.as_ref().and_then(|s| store.get(s)) {
        return Some(f);
    }
    match read_and_extract(c, opts.config, limits, None) {
        Outcome::Facts(f, _) => Some(*f),
        _ => None,
    }
}

/// The facts of one file's content, or why it is skipped: the checks every file goes
/// through (binary, encoding, minified) and the extraction, with panics caught.
fn facts_of_bytes(lang: Lang, bytes: &[u8], limits: &Limits, path: &str) -> Outcome {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if body.contains(&0) {
        return Outcome::Skipped("binary (contains NUL bytes)".into());
    }
    let Ok(text) = std::str::from_utf8(body) else {
        return Outcome::Skipped("not valid UTF-8".into());
    };
    if looks_minified(text) {
        return Outcome::Skipped("minified".into());
    }
    let bom = (bytes.len() - body.len()) as u32;
    let extract = || {
        test_panic("extract", path);
        facts::extract(lang, text, limits)
    };
    match catch_unwind(AssertUnwindSafe(extract)) {
        Ok(Ok(mut f)) => {
            if bom > 0 {
                shift_facts(&mut f, bom);
            }
            Outcome::Facts(Box::new(f), String::new())
        }
        Ok(Err(e)) => Outcome::Skipped(e.to_string()),
        Err(p) => Outcome::Internal(format!("the {lang} extractor panicked: {}", panic_text(&p))),
    }
}

/// Byte offsets are into the text after the BOM; reports read the file with it.
fn shift_facts(f: &mut FileFacts, by: u32) {
    let shift = |s: &mut Span| {
        s.start += by;
        s.end += by;
    };
    f.calls.iter_mut().for_each(|c| {
        shift(&mut c.span);
        c.args.iter_mut().for_each(|a| shift(&mut a.span));
    });
    f.strings.iter_mut().for_each(|s| {
        shift(&mut s.span);
        s.text_start += by;
    });
    f.loops.iter_mut().for_each(|l| {
        shift(&mut l.span);
        shift(&mut l.header);
        shift(&mut l.body);
    });
    f.functions.iter_mut().for_each(|x| {
        shift(&mut x.span);
        shift(&mut x.body);
    });
    f.members.iter_mut().for_each(|m| shift(&mut m.span));
    f.awaits.iter_mut().for_each(|a| {
        shift(&mut a.stmt);
        shift(&mut a.expr);
        a.block += by;
    });
    f.comments.iter_mut().for_each(|c| shift(&mut c.span));
    f.assigns.iter_mut().for_each(|a| shift(&mut a.span));
    f.classes.iter_mut().for_each(|c| {
        shift(&mut c.span);
        shift(&mut c.body);
    });
    f.exits
        .iter_mut()
        .chain(f.error_spans.iter_mut())
        .chain(f.debug_guards.iter_mut())
        .chain(f.rescues.iter_mut())
        .chain(f.branches.iter_mut())
        .chain(f.dev_guards.iter_mut())
        .chain(f.once_guards.iter_mut())
        .for_each(|e| {
            e.0 += by;
            e.1 += by;
        });
}

pub fn panic_text(p: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".into()
    }
}

pub fn run(opts: &RunOptions) -> Result<Analysis, String> {
    run_with_context(opts, &[])
}

/// [`run`], and the files under the `context` folders are read for the project index too
/// (models, helpers), with no findings reported for them (see `src/project.rs`).
pub fn run_with_context(opts: &RunOptions, context: &[PathBuf]) -> Result<Analysis, String> {
    let start = Instant::now();
    let limits = test_limits(opts.limits);
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
    let walked = walk::walk(
        opts.paths,
        &WalkOptions {
            excludes: &opts.config.excludes,
            use_default_excludes: opts.config.default_excludes,
            threads: opts.threads,
        },
    )?;
    let mut analysis = Analysis {
        root: cwd.clone(),
        ..Default::default()
    };
    let mut walked = walked;
    let reported_files = walked.files.len();
    crate::project::add_context(&mut walked.files, context, opts, &cwd)?;
    for (p, why) in &walked.notes {
        analysis.skipped.push((display_path(p, &cwd), why.clone()));
    }
    for p in &walked.unknown_explicit {
        analysis.skipped.push((
            display_path(p, &cwd),
            "not a JavaScript, TypeScript, Python or Ruby file".into(),
        ));
    }

    // Pass 1: read, parse, extract (in parallel); trees are dropped inside. Each file's
    // facts go to the store at once: memory holds only what the index needs of them.
    let store = FactStore::new(opts.cache);
    let outcomes: Vec<(Candidate, Outcome)> = walked
        .files
        .into_par_iter()
        .map(|c| {
            let t = Instant::now();
            let o = match read_and_extract(&c, opts.config, &limits, opts.cache) {
                Outcome::Facts(f, key) => {
                    let p = prepare(display_path(&c.path, &cwd), &f, store.put(&key, &f));
                    Outcome::Prepared(Box::new(p), key)
                }
                other => other,
            };
            if t.elapsed() > Duration::from_millis(150)
                && std::env::var_os("N1LINT_TIMINGS").is_some()
            {
                eprintln!(
                    "timing: slow file {} {:.2} s",
                    c.path.display(),
                    t.elapsed().as_secs_f64()
                );
            }
            (c, o)
        })
        .collect();

    let timings = std::env::var_os("N1LINT_TIMINGS").is_some();
    if timings {
        mark("walk+parse+extract", start);
    }
    // The run key: every file and its content. An unchanged project reuses the last run.
    let mut keys: Vec<(String, String)> = Vec::with_capacity(outcomes.len());
    for (i, (c, o)) in outcomes.iter().enumerate() {
        let mut path = display_path(&c.path, &cwd);
        // Files read for context only: a run on named files is not the run of their project.
        if i >= reported_files {
            if matches!(o, Outcome::Prepared(..) | Outcome::Cached(_)) {
                analysis.context_files += 1;
            }
            path.insert_str(0, "context:");
        }
        match o {
            Outcome::Facts(_, k) | Outcome::Prepared(_, k) | Outcome::Cached(k) => {
                keys.push((path, k.clone()))
            }
            Outcome::Skipped(why) => keys.push((path, format!("skipped: {why}"))),
            Outcome::Internal(_) => keys.push((path, "internal".into())),
        }
    }
    keys.sort();
    let run_key = cache::run_key(&opts.config.digest(), &keys);
    let no_internal = outcomes
        .iter()
        .all(|(_, o)| !matches!(o, Outcome::Internal(_)));
    // The test-only panic hook must reach the rules: no run record then.
    let test_hook = std::env::var_os("N1LINT_TEST_PANIC").is_some();
    if let Some(k) = opts.cache.filter(|_| no_internal && !test_hook) {
        if let Some(run) = k.load_run(&run_key) {
            restore(&mut analysis, run);
            analysis.elapsed = start.elapsed();
            return Ok(analysis);
        }
    }
    // Cached facts are read back only when the run itself has to be redone.
    let outcomes: Vec<(Candidate, Outcome)> = outcomes
        .into_par_iter()
        .map(|(c, o)| match o {
            Outcome::Cached(key) => {
                let path = display_path(&c.path, &cwd);
                match opts.cache.and_then(|k| k.load_facts(&key)) {
                    Some(f) => {
                        let p = prepare(path, &f, Some(Stored::Cache(key.clone())));
                        (c, Outcome::Prepared(Box::new(p), key))
                    }
                    None => match read_and_extract(&c, opts.config, &limits, None) {
                        Outcome::Facts(f, key) => {
                            let p = prepare(path, &f, store.put(&key, &f));
                            (c, Outcome::Prepared(Box::new(p), key))
                        }
                        other => (c, other),
                    },
                }
            }
            other => (c, other),
        })
        .collect();

    let mut files: Vec<(Candidate, Prepared)> = Vec::with_capacity(outcomes.len());
    let mut report: Vec<bool> = Vec::with_capacity(outcomes.len());
    for (i, (c, o)) in outcomes.into_iter().enumerate() {
        let path = display_path(&c.path, &cwd);
        if i >= reported_files {
            if let Outcome::Prepared(p, _) = o {
                files.push((c, *p));
                report.push(false);
            }
            continue;
        }
        match o {
            Outcome::Prepared(p, _) => {
                analysis.scanned.push(Scanned {
                    path: path.clone(),
                    lang: c.lang,
                    lines: p.lines,
                    parse_errors: p.parse_errors,
                });
                files.push((c, *p));
                report.push(true);
            }
            Outcome::Facts(..) | Outcome::Cached(_) => analysis
                .skipped
                .push((path, "cache entry unreadable".into())),
            Outcome::Skipped(why) => analysis.skipped.push((path, why)),
            Outcome::Internal(why) => {
                analysis.internal_errors.push(format!("{path}: {why}"));
                analysis
                    .skipped
                    .push((path, format!("internal error: {why}")));
            }
        }
    }
    // Pass 2: the project index. Global tables from the skeletons, then each file's scan
    // (its facts back from the store, in parallel), then the links between files.
    let mut locals = Vec::with_capacity(files.len());
    for (_, p) in &mut files {
        locals.push(std::mem::take(&mut p.local));
    }
    let skeletons: Vec<(&str, &FileFacts)> = files
        .iter()
        .map(|(_, p)| (p.path.as_str(), &p.skeleton))
        .collect();
    let mut index = ProjectIndex::new(&skeletons, locals, opts.config);
    if timings {
        mark("index tables", start);
    }
    let scans: Vec<FileScan> = files
        .par_iter()
        .enumerate()
        .map(|(i, (c, p))| {
            let Some(f) = facts_back(c, p, &store, opts, &limits) else {
                return FileScan::default();
            };
            catch_unwind(AssertUnwindSafe(|| index.scan(&skeletons, i as u32, &f)))
                .unwrap_or_default()
        })
        .collect();
    if timings {
        mark("index scans", start);
    }
    index.link(&skeletons, scans);
    if timings {
        mark("index link", start);
    }
    // Only files that define a helper have calls inside one.
    let with_helpers: HashSet<u32> = index.helpers.keys().map(|k| k.0).collect();
    let calls: Vec<Vec<HelperCall>> = files
        .par_iter()
        .enumerate()
        .map(|(i, (c, p))| {
            if !with_helpers.contains(&(i as u32)) {
                return Vec::new();
            }
            let Some(f) = facts_back(c, p, &store, opts, &limits) else {
                return Vec::new();
            };
            catch_unwind(AssertUnwindSafe(|| {
                index.helper_calls(&skeletons, i as u32, &f)
            }))
            .unwrap_or_default()
        })
        .collect();
    if timings {
        mark("helper calls", start);
    }
    index.link_params(calls);
    // Which plural parameters callers fill with query rows: only the files that call a
    // function looping over one.
    index.link_feeds_with(|index, callers, targets| {
        files
            .par_iter()
            .enumerate()
            .filter(|(i, _)| callers.contains(&(*i as u32)))
            .flat_map_iter(|(i, (c, p))| {
                let Some(f) = facts_back(c, p, &store, opts, &limits) else {
                    return Vec::new();
                };
                catch_unwind(AssertUnwindSafe(|| {
                    let ctx = crate::rules::Ctx::new(
                        &p.path,
                        &f,
                        index,
                        opts.config,
                        &skeletons,
                        i as u32,
                    );
                    crate::rules::db_loop::plural_feeds(&ctx, targets)
                }))
                .unwrap_or_default()
            })
            .collect()
    });
    analysis.handlers = index.request.counts.clone();
    analysis.reached = index.request.reached.len();
    if timings {
        mark("index", start);
    }

    // Pass 3: rules per file (in parallel), each file's facts back from the store.
    let per_file: Vec<(Vec<Reported>, Vec<String>)> = files
        .par_iter()
        .enumerate()
        .filter(|(i, _)| report[*i])
        .map(|(i, (c, p))| {
            let path = p.path.as_str();
            let Some(f) = facts_back(c, p, &store, opts, &limits) else {
                return (
                    Vec::new(),
                    vec![format!("{path}: its facts could not be read back")],
                );
            };
            catch_unwind(AssertUnwindSafe(|| {
                check_file(path, &f, &index, opts.config, &skeletons, i as u32)
            }))
            .unwrap_or_else(|p| {
                let why = format!("{path}: panicked while reporting: {}", panic_text(&p));
                (Vec::new(), vec![why])
            })
        })
        .collect();
    if timings {
        mark("rules", start);
    }
    for (found, errors) in per_file {
        analysis.findings.extend(found);
        analysis.internal_errors.extend(errors);
    }
    analysis.findings.sort_by(|a, b| {
        (
            &a.path,
            a.finding.span.line,
            a.finding.span.col,
            a.finding.rule,
            &a.finding.message,
        )
            .cmp(&(
                &b.path,
                b.finding.span.line,
                b.finding.span.col,
                b.finding.rule,
                &b.finding.message,
            ))
    });
    analysis.skipped.sort();
    analysis.scanned.sort_by(|a, b| a.path.cmp(&b.path));
    analysis.internal_errors.sort();
    if let Some(k) = opts.cache.filter(|_| analysis.internal_errors.is_empty()) {
        k.store_run(&run_key, &to_cached(&analysis));
    }
    analysis.elapsed = start.elapsed();
    Ok(analysis)
}

fn to_cached(a: &Analysis) -> CachedRun {
    CachedRun {
        scanned: a
            .scanned
            .iter()
            .map(|s| CachedScanned {
                path: s.path.clone(),
                lang: s.lang,
                lines: s.lines,
                parse_errors: s.parse_errors,
            })
            .collect(),
        skipped: a.skipped.clone(),
        findings: a
            .findings
            .iter()
            .map(|r| CachedFinding {
                path: r.path.clone(),
                rule: r.finding.rule.to_string(),
                severity: r.severity,
                span: r.finding.span,
                message: r.finding.message.clone(),
                label: r.finding.label.clone(),
                help: r.finding.help.clone(),
                related: r
                    .finding
                    .related
                    .iter()
                    .map(|x| CachedRelated {
                        span: x.span,
                        message: x.message.clone(),
                        path: x.path.clone(),
                    })
                    .collect(),
                code_hash: r.finding.code_hash,
                fix: r.finding.fix.as_ref().map(|(d, edits)| {
                    (
                        d.clone(),
                        edits
                            .iter()
                            .map(|e| (e.span, e.replacement.clone()))
                            .collect(),
                    )
                }),
                scope: r.scope.clone(),
                fingerprint: r.fingerprint.clone(),
            })
            .collect(),
        handlers: a
            .handlers
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect(),
        reached: a.reached,
    }
}

fn restore(a: &mut Analysis, run: CachedRun) {
    let static_id = |id: &str| -> &'static str {
        rules::meta(id)
            .map(|m| m.id.as_str())
            .unwrap_or("unused-suppression")
    };
    a.scanned = run
        .scanned
        .into_iter()
        .map(|s| Scanned {
            path: s.path,
            lang: s.lang,
            lines: s.lines,
            parse_errors: s.parse_errors,
        })
        .collect();
    a.skipped = run.skipped;
    a.findings = run
        .findings
        .into_iter()
        .map(|c| Reported {
            path: c.path,
            severity: c.severity,
            finding: Finding {
                rule: static_id(&c.rule),
                span: c.span,
                message: c.message,
                label: c.label,
                help: c.help,
                related: c
                    .related
                    .into_iter()
                    .map(|x| rules::Related {
                        span: x.span,
                        message: x.message,
                        path: x.path,
                    })
                    .collect(),
                code_hash: c.code_hash,
                fix: c.fix.map(|(d, e)| {
                    (
                        d,
                        e.into_iter()
                            .map(|(span, replacement)| rules::Edit { span, replacement })
                            .collect(),
                    )
                }),
            },
            scope: c.scope,
            fingerprint: c.fingerprint,
        })
        .collect();
    a.handlers = run
        .handlers
        .into_iter()
        .map(|(k, v)| (crate::handlers::framework_name(&k), v))
        .collect();
    a.reached = run.reached;
}

/// Runs the enabled rules on one file, applies suppressions, and computes fingerprints.
fn check_file(
    path: &str,
    f: &FileFacts,
    index: &ProjectIndex,
    config: &Config,
    files: &[(&str, &FileFacts)],
    file: u32,
) -> (Vec<Reported>, Vec<String>) {
    let ctx = Ctx::new(path, f, index, config, files, file);
    let mut errors = Vec::new();
    let mut raw: Vec<Finding> = Vec::new();
    for (id, check) in rules::checks() {
        if !config.enabled.contains(id) || config.ignored_for(path, id) {
            continue;
        }
        let Some(meta) = rules::meta(id) else {
            continue;
        };
        if !meta.applies_to(f.lang) {
            continue;
        }
        let mut out = Vec::new();
        let run = || {
            test_panic("rule", path);
            check(&ctx, &mut out)
        };
        match catch_unwind(AssertUnwindSafe(run)) {
            Ok(()) => raw.extend(out.into_iter().filter(|x| !f.in_error(&x.span))),
            Err(p) => errors.push(format!("{path}: rule {id} panicked: {}", panic_text(&p))),
        }
    }
    let mut sups = suppress::parse(&f.comments);
    raw.retain(|x| !suppress::apply(&mut sups, x.rule, x.span.line));
    // Suppressions that name an unknown rule or suppress nothing.
    if config.enabled.contains(&"unused-suppression")
        && !config.ignored_for(path, "unused-suppression")
    {
        // A file that did not parse cleanly or where a rule failed may have lost findings:
        // its suppressions may only look unused, so no fix deletes them.
        let whole = errors.is_empty() && f.error_spans.is_empty();
        for s in &sups {
            let unused = |i: usize, r: &str| {
                rules::is_known(r)
                    && !s.used[i]
                    && config.enabled.contains(&r)
                    && !config.ignored_for(path, r)
            };
            let keep: Vec<&str> = s
                .rules
                .iter()
                .enumerate()
                .filter(|(i, r)| !unused(*i, r))
                .map(|(_, r)| r.as_str())
                .collect();
            let fix = suppress::trimmed(s, &keep)
                .filter(|_| whole && keep.len() < s.rules.len())
                .map(|e| ("Remove the unused suppression".to_string(), vec![e]));
            for (i, r) in s.rules.iter().enumerate() {
                // Every unused rule of one comment carries the same edit (applied once).
                let (message, label, fix) = if !rules::is_known(r) {
                    (
                        format!("suppression names an unknown rule `{r}`"),
                        "unknown rule",
                        None,
                    )
                } else if unused(i, r) {
                    (
                        format!("suppression of `{r}` suppresses nothing"),
                        "unused suppression",
                        fix.clone(),
                    )
                } else {
                    continue;
                };
                raw.push(Finding {
                    rule: "unused-suppression",
                    span: s.span,
                    message,
                    label: label.into(),
                    help: "remove the suppression, or correct the rule id".into(),
                    related: Vec::new(),
                    code_hash: fnv1a(r.as_bytes()),
                    fix,
                });
            }
        }
    }
    // Fingerprints: the rule, the path, the scope, the code, and which occurrence.
    raw.sort_by_key(|x| (x.span.start, x.rule));
    let mut seen: HashMap<(String, &str, u64), u32> = HashMap::new();
    let mut out = Vec::with_capacity(raw.len());
    for x in raw {
        let func = f
            .functions
            .iter()
            .enumerate()
            .filter(|(_, fun)| fun.span.contains(&x.span))
            .min_by_key(|(_, fun)| fun.span.len())
            .map(|(i, _)| i as u32);
        let mut scope = f.scope_path(func);
        if scope.is_empty() {
            if let Some(c) = f
                .classes
                .iter()
                .filter(|c| c.span.contains(&x.span))
                .min_by_key(|c| c.span.len())
            {
                scope = c.name.clone();
            }
        }
        let key = (scope.clone(), x.rule, x.code_hash);
        let n = seen.entry(key).or_insert(0);
        *n += 1;
        let id = format!("{}|{}|{}|{:016x}|{}", x.rule, path, scope, x.code_hash, n);
        out.push(Reported {
            path: path.to_string(),
            severity: config.severity_of(x.rule),
            fingerprint: format!("{:016x}", fnv1a(id.as_bytes())),
            scope,
            finding: x,
        });
    }
    (out, errors)
}

/// Is this skip reason a problem worth a warning on stderr (an unreadable file, a time
/// limit), rather than the documented policy (too large, minified, binary, not UTF-8, not a
/// language n1lint reads) that `--stats` counts? Internal errors are reported on their own.
pub fn is_problem(reason: &str) -> bool {
    const POLICY: &[&str] = &[
        "larger than ",
        "minified",
        "binary (",
        "not valid UTF-8",
        "not a JavaScript, TypeScript, Python or Ruby file",
        walk::SYMLINK,
        "internal error: ",
    ];
    !POLICY.iter().any(|p| reason.starts_with(p))
}

/// What [`analyse_source`] made of one file's content.
#[derive(Debug)]
pub enum SourceOutcome {
    Analysed {
        findings: Vec<Reported>,
        /// Panics caught in the extractor or a rule.
        internal_errors: Vec<String>,
        parse_errors: bool,
    },
    /// Not analysed, and why (binary, not UTF-8, minified, a time limit).
    Skipped(String),
}

/// The per-file pipeline of a run on `bytes` as the whole content of one file in `lang`:
/// the content checks, extraction, a one-file project index and every rule, with the
/// default configuration and limits. For fuzzing and tests.
pub fn analyse_source(lang: Lang, bytes: &[u8]) -> SourceOutcome {
    let path = format!("input.{}", lang.name());
    let config = Config::default();
    let facts = match facts_of_bytes(lang, bytes, &Limits::default(), &path) {
        Outcome::Facts(f, _) => f,
        Outcome::Skipped(why) => return SourceOutcome::Skipped(why),
        Outcome::Cached(_) | Outcome::Prepared(..) => {
            return SourceOutcome::Skipped("cached".into())
        }
        Outcome::Internal(why) => {
            return SourceOutcome::Analysed {
                findings: Vec::new(),
                internal_errors: vec![format!("{path}: {why}")],
                parse_errors: false,
            }
        }
    };
    let refs = [(path.as_str(), &*facts)];
    let index = ProjectIndex::build(&refs, &config);
    let (findings, internal_errors) = check_file(&path, &facts, &index, &config, &refs, 0);
    SourceOutcome::Analysed {
        findings,
        internal_errors,
        parse_errors: !facts.error_spans.is_empty(),
    }
}

/// Counts for `--stats`.
pub fn stats_text(a: &Analysis) -> String {
    let mut by_lang: BTreeMap<&str, (usize, u64)> = BTreeMap::new();
    let mut parse_errors = 0;
    for s in &a.scanned {
        let e = by_lang.entry(s.lang.name()).or_default();
        e.0 += 1;
        e.1 += u64::from(s.lines);
        if s.parse_errors {
            parse_errors += 1;
        }
    }
    let mut out = String::from("n1lint statistics\n");
    let total_lines: u64 = by_lang.values().map(|v| v.1).sum();
    out.push_str(&format!(
        "  files scanned: {} ({} lines)\n",
        a.scanned.len(),
        group(total_lines)
    ));
    for (lang, (n, lines)) in &by_lang {
        out.push_str(&format!(
            "    {lang:<11} {n:>7} files {:>12} lines\n",
            group(*lines)
        ));
    }
    out.push_str(&format!("  files with parse errors: {parse_errors}\n"));
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    for (_, why) in &a.skipped {
        let key = why.split(':').next().unwrap_or(why).to_string();
        *reasons.entry(key).or_default() += 1;
    }
    out.push_str(&format!("  files skipped: {}\n", a.skipped.len()));
    for (why, n) in &reasons {
        out.push_str(&format!("    {why}: {n}\n"));
    }
    let mut per_rule: BTreeMap<&str, usize> = BTreeMap::new();
    for f in &a.findings {
        *per_rule.entry(f.finding.rule).or_default() += 1;
    }
    let total_handlers: usize = a.handlers.values().sum();
    out.push_str(&format!(
        "  handlers found: {total_handlers} ({} functions reached from them)\n",
        a.reached
    ));
    for (fw, n) in &a.handlers {
        out.push_str(&format!("    {fw:<20} {n}\n"));
    }
    out.push_str(&format!("  findings: {}\n", a.findings.len()));
    for (rule, n) in &per_rule {
        out.push_str(&format!("    {rule:<20} {n}\n"));
    }
    out.push_str(&format!("  time: {:.2} s\n", a.elapsed.as_secs_f64()));
    out
}

/// `1234567` → `1,234,567`.
pub fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}
