//! n1lint: finds backend performance problems in JavaScript, TypeScript, Python and Ruby.
//!
//! The pipeline (see DESIGN in the README): walk → read and parse → extract facts →
//! project index → rules → suppressions → report.

// Writing to stderr must never panic (std's macros do when the write fails, e.g. a closed
// pipe in `n1lint . 2>&1 | head`): the notes are lost then, the exit code is not. These
// shadow std's macros in every module declared below.
// Control characters (from file names) are shown as `?`: see `report::text::inert`.
macro_rules! eprintln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let text = format!($($arg)*);
        let _ = writeln!(std::io::stderr(), "{}", $crate::report::text::inert(&text));
    }};
}
macro_rules! eprint {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let text = format!($($arg)*);
        let _ = write!(std::io::stderr(), "{}", $crate::report::text::inert(&text));
    }};
}

pub mod alloc;
pub mod apis;
pub mod baseline;
pub mod cache;
pub mod cli;
pub mod config;
pub mod diff;
pub mod engine;
pub mod facts;
pub mod fix;
pub mod handlers;
pub mod index;
pub mod lang;
pub mod project;
pub mod report;
pub mod rules;
pub mod store;
pub mod suppress;
pub mod walk;

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::Parser as _;

use crate::cli::{Cli, Command, Format};
use crate::config::Config;
use crate::facts::Limits;

/// Exit codes, as documented in README.
pub const EXIT_CLEAN: u8 = 0;
pub const EXIT_FINDINGS: u8 = 1;
pub const EXIT_ERROR: u8 = 2;

/// Runs n1lint with these arguments and returns the exit code.
pub fn main_with_args<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                EXIT_ERROR
            } else {
                EXIT_CLEAN
            };
            let _ = e.print();
            return code;
        }
    };
    // Panics while analysing a file are caught per file and rule in the engine; this catches
    // the rest (the project index, a report), so a bug never ends the process with a code
    // other than the documented ones.
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(cli))) {
        Ok(Ok(code)) => code,
        Ok(Err(e)) => {
            eprintln!("{e:?}");
            EXIT_ERROR
        }
        Err(p) => {
            eprintln!("n1lint: internal error: {}", engine::panic_text(&p));
            EXIT_ERROR
        }
    }
}

fn error(msg: impl Into<String>) -> miette::Report {
    miette::miette!("{}", msg.into())
}

fn print_stdout(s: &str) -> miette::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(s.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        // A closed pipe (`n1lint . | head`) is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(error(format!("cannot write to standard output: {e}"))),
    }
}

fn use_color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
}

fn run(cli: Cli) -> miette::Result<u8> {
    match &cli.command {
        Some(Command::Rules) => {
            print_stdout(&rules_table())?;
            return Ok(EXIT_CLEAN);
        }
        Some(Command::Explain { rule }) => {
            return match rules::meta(rule) {
                Some(m) => {
                    print_stdout(&m.markdown())?;
                    Ok(EXIT_CLEAN)
                }
                None => {
                    eprintln!("error: unknown rule `{rule}`; `n1lint rules` lists them");
                    Ok(EXIT_ERROR)
                }
            };
        }
        Some(Command::DumpTree { file }) => {
            let lang = lang::Lang::from_path(file).ok_or_else(|| error("unknown file type"))?;
            let text = std::fs::read_to_string(file)
                .map_err(|e| error(format!("{}: {e}", file.display())))?;
            let mut p = tree_sitter::Parser::new();
            p.set_language(&lang.grammar())
                .map_err(|e| error(e.to_string()))?;
            let tree = p.parse(&text, None).ok_or_else(|| error("no tree"))?;
            // tree-sitter prints a tree recursively: refuse what the analysis refuses.
            let max = Limits::default().max_depth;
            if facts::deeper_than(tree.root_node(), max) {
                return Err(error(format!(
                    "{}: nested more than {max} levels deep",
                    file.display()
                )));
            }
            print_stdout(&format!("{}\n", tree.root_node().to_sexp()))?;
            return Ok(EXIT_CLEAN);
        }
        None => {}
    }

    let cwd = std::env::current_dir()
        .map_err(|e| error(format!("cannot read the current directory: {e}")))?;
    let mut config = match &cli.config {
        Some(p) => {
            if !p.is_file() {
                return Err(error(format!("config file {} does not exist", p.display())));
            }
            Config::load(p)?
        }
        None => match Config::discover(&cwd) {
            Some(p) => Config::load(&p)?,
            None => Config::default(),
        },
    };
    config.apply_cli(&cli.select, &cli.ignore).map_err(error)?;
    if cli.no_default_excludes {
        config.default_excludes = false;
    }

    let paths: Vec<PathBuf> = if cli.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        cli.paths.clone()
    };
    // Inputs named on the command line must be readable (a broken link, a file without
    // read permission): a run that silently checks nothing would pass CI.
    for p in &paths {
        let readable = std::fs::metadata(p).and_then(|m| {
            if m.is_dir() {
                std::fs::read_dir(p).map(drop)
            } else if m.is_file() {
                std::fs::File::open(p).map(drop)
            } else {
                // A FIFO or a device: opening it may block; the engine notes it is skipped.
                Ok(())
            }
        });
        match readable {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(error(format!("{}: no such file or directory", p.display())))
            }
            Err(e) => return Err(error(format!("{}: cannot read: {e}", p.display()))),
        }
    }
    let threads = cli
        .jobs
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        })
        .max(1);
    let cache = if cli.no_cache {
        None
    } else {
        let dir = cli
            .cache_dir
            .clone()
            .unwrap_or_else(|| cwd.join(cache::DEFAULT_DIR));
        cache::Cache::open(&dir)
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| error(format!("cannot start worker threads: {e}")))?;
    // A bad baseline or an unknown revision is reported before the work, not after.
    let workflow = prepare_workflow_options(&cli)?;
    // Named files only (a pre-commit hook): read their project for facts too.
    let context = if cli.no_project_context {
        Vec::new()
    } else {
        project::context_roots(&paths, &cwd)
    };
    let analyse = || {
        pool.install(|| {
            engine::run_with_context(
                &engine::RunOptions {
                    cache: cache.as_ref(),
                    paths: &paths,
                    config: &config,
                    threads,
                    limits: Limits::default(),
                },
                &context,
            )
        })
        .map_err(error)
    };
    let mut analysis = analyse()?;
    if let Some(code) = apply_workflow_options(&cli, workflow, &mut analysis)? {
        return Ok(code);
    }
    if cli.fix {
        // Fix, then analyse the files again: the report shows what they hold now (lines
        // move when a comment goes), and fixes that overlapped an applied one get their
        // turn. A few rounds at most, as a fix may leave code that is reported again.
        let mut fixed = 0;
        let mut files = std::collections::BTreeSet::new();
        let mut errors = std::collections::BTreeSet::new();
        for _ in 0..fix::MAX_ROUNDS {
            let done = fix::apply(&mut analysis, &cwd);
            errors.extend(done.errors);
            if done.fixed == 0 {
                break;
            }
            fixed += done.fixed;
            files.extend(done.files);
            analysis = analyse()?;
            // `--diff` reads the changed lines again: the fixes moved them.
            let workflow = prepare_workflow_options(&cli)?;
            if let Some(code) = apply_workflow_options(&cli, workflow, &mut analysis)? {
                return Ok(code);
            }
        }
        for e in &errors {
            eprintln!("n1lint: warning: not fixed: {e}");
        }
        if !cli.quiet {
            eprintln!(
                "n1lint: fixed {} finding{} in {} file{}",
                fixed,
                if fixed == 1 { "" } else { "s" },
                files.len(),
                if files.len() == 1 { "" } else { "s" }
            );
        }
    }

    let color = cli.output.is_none() && cli.format == Format::Text && use_color();
    let width = 100;
    let rendered = report::render(
        cli.format,
        &analysis,
        &report::RenderOptions {
            color,
            quiet: cli.quiet,
            width,
        },
    );
    match &cli.output {
        Some(path) => report::write_atomic(path, &rendered)
            .map_err(|e| error(format!("cannot write {}: {e}", path.display())))?,
        None => print_stdout(&rendered)?,
    }
    // Not a note: `--quiet` must not hide why the exit code is 2.
    for e in &analysis.internal_errors {
        eprintln!("n1lint: internal error: {e}");
    }
    // Files that could not be analysed (unreadable, a time limit) are named on stderr even
    // without `--stats`, which lists every skipped file.
    if !cli.stats {
        for (p, why) in analysis
            .skipped
            .iter()
            .filter(|(_, w)| engine::is_problem(w))
        {
            eprintln!("n1lint: warning: {p} not analysed: {why}");
        }
    }
    if cli.stats {
        eprint!("{}", engine::stats_text(&analysis));
        for (p, why) in &analysis.skipped {
            eprintln!("  skipped {p}: {why}");
        }
        if analysis.context_files > 0 {
            eprintln!(
                "  project context: {} more files read for facts only",
                analysis.context_files
            );
        }
    }
    if !analysis.internal_errors.is_empty() {
        return Ok(EXIT_ERROR);
    }
    if analysis.findings.is_empty() || cli.exit_zero {
        Ok(EXIT_CLEAN)
    } else {
        Ok(EXIT_FINDINGS)
    }
}

/// `n1lint rules`.
pub fn rules_table() -> String {
    let metas = rules::all_meta();
    let mut out = format!(
        "{:<20} {:<8} {:<36} {}\n",
        "RULE", "SEVERITY", "LANGUAGES", "SUMMARY"
    );
    for m in metas {
        out.push_str(&format!(
            "{:<20} {:<8} {:<36} {}\n",
            m.id,
            m.severity.as_str(),
            m.languages.join(","),
            m.summary
        ));
    }
    out
}

/// What `--baseline` and `--diff` read before the run.
struct WorkflowOptions {
    baseline: Option<baseline::Baseline>,
    changed: Option<diff::Changed>,
}

fn prepare_workflow_options(cli: &Cli) -> miette::Result<WorkflowOptions> {
    let baseline = match &cli.baseline {
        Some(file) => Some(baseline::load(file).map_err(error)?),
        None => None,
    };
    let changed = match &cli.diff {
        Some(rev) => {
            // The repository holding the first path (or the current directory).
            let first = cli
                .paths
                .first()
                .map(PathBuf::as_path)
                .unwrap_or(Path::new("."));
            let dir = if first.is_dir() {
                first
            } else {
                first.parent().unwrap_or(Path::new("."))
            };
            Some(diff::changed_since(rev, dir).map_err(error)?)
        }
        None => None,
    };
    Ok(WorkflowOptions { baseline, changed })
}

/// `--write-baseline`, `--baseline` and `--diff` (see src/baseline.rs and src/diff.rs).
/// Returns an exit code when the run ends here (a baseline was written).
fn apply_workflow_options(
    cli: &Cli,
    workflow: WorkflowOptions,
    analysis: &mut engine::Analysis,
) -> miette::Result<Option<u8>> {
    if let Some(file) = &cli.write_baseline {
        let text = baseline::render(&analysis.findings, file).map_err(error)?;
        report::write_atomic(file, &text)
            .map_err(|e| error(format!("cannot write {}: {e}", file.display())))?;
        if !cli.quiet {
            eprintln!(
                "n1lint: wrote {} with {} {}",
                file.display(),
                analysis.findings.len(),
                if analysis.findings.len() == 1 {
                    "finding"
                } else {
                    "findings"
                }
            );
        }
        for e in &analysis.internal_errors {
            eprintln!("n1lint: internal error: {e}");
        }
        return Ok(Some(if analysis.internal_errors.is_empty() {
            EXIT_CLEAN
        } else {
            EXIT_ERROR
        }));
    }
    // The baseline first: its counts are per identity over the whole file, so the diff
    // must not remove the old occurrences it accounts for.
    if let (Some(b), Some(file)) = (&workflow.baseline, &cli.baseline) {
        let scanned: Vec<&str> = analysis.scanned.iter().map(|s| s.path.as_str()).collect();
        let applied = b.apply(&mut analysis.findings, &scanned).map_err(error)?;
        analysis.baselined = applied.baselined;
        if applied.stale > 0 && !cli.quiet {
            eprintln!(
                "n1lint: {} baselined {} no longer found; `--write-baseline {}` drops {}",
                applied.stale,
                if applied.stale == 1 {
                    "finding is"
                } else {
                    "findings are"
                },
                file.display(),
                if applied.stale == 1 { "it" } else { "them" },
            );
        }
    }
    if let Some(changed) = &workflow.changed {
        analysis.outside_diff = changed.retain(&mut analysis.findings);
    }
    // The text and Markdown reports say it in their summary.
    if !cli.quiet && !matches!(cli.format, Format::Text | Format::Markdown) {
        if let Some(note) = report::hidden_note(analysis) {
            eprintln!("n1lint: not reported: {note}");
        }
    }
    Ok(None)
}
