//! Command-line definitions.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Diagnostics with the code, labels and a fix (miette).
    Text,
    /// One object per finding (see README: JSON output).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other viewers.
    Sarif,
    /// GitHub Actions workflow commands (annotations on the pull request).
    Github,
    /// A short Markdown report for `$GITHUB_STEP_SUMMARY` and pull-request comments.
    Markdown,
}

#[derive(Debug, Parser)]
#[command(
    name = "n1lint",
    version,
    about = "Finds backend performance problems (N+1 queries, SELECT *, blocking I/O, ...) in JavaScript, TypeScript, Python and Ruby",
    after_help = "Exit codes: 0 no findings, 1 findings, 2 usage, configuration, I/O or internal error."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Files or directories to check (directories are walked; files are always checked).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,

    /// Write the report to FILE (atomically) instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Run only these rules (comma-separated ids).
    #[arg(long, value_delimiter = ',', value_name = "RULE,...")]
    pub select: Vec<String>,

    /// Do not run these rules (comma-separated ids).
    #[arg(long, value_delimiter = ',', value_name = "RULE,...")]
    pub ignore: Vec<String>,

    /// Use this config file instead of looking for n1lint.toml.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Exit 0 even when there are findings.
    #[arg(long)]
    pub exit_zero: bool,

    /// Apply the fixes that rewrite code without changing what it does (log messages built
    /// only when emitted, suppressions that suppress nothing removed) and report the
    /// findings left.
    #[arg(long)]
    pub fix: bool,

    /// Print only the findings: no summary line, no notes.
    #[arg(short, long)]
    pub quiet: bool,

    /// Print statistics to standard error: files per language, skipped files and why,
    /// lines, time, findings per rule.
    #[arg(long)]
    pub stats: bool,

    /// Worker threads (default: the number of cores).
    #[arg(short, long, value_name = "N")]
    pub jobs: Option<usize>,

    /// Do not read or write the cache (`.n1lint_cache/`).
    #[arg(long)]
    pub no_cache: bool,

    /// Where to keep the cache (default: `.n1lint_cache` in the current directory).
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,

    /// Do not skip node_modules, vendor, dist, build and the like.
    #[arg(long)]
    pub no_default_excludes: bool,

    /// Report only findings that are not in this baseline file (see --write-baseline).
    #[arg(long, value_name = "FILE", conflicts_with = "write_baseline")]
    pub baseline: Option<PathBuf>,

    /// Record the current findings in FILE (sorted JSON) and exit 0; later runs with
    /// --baseline FILE report only new ones.
    #[arg(long, value_name = "FILE", conflicts_with = "diff")]
    pub write_baseline: Option<PathBuf>,

    /// Report only findings on lines changed since the git revision REF (committed,
    /// staged and unstaged changes, and untracked files), e.g. `--diff origin/main`.
    #[arg(long, value_name = "REF")]
    pub diff: Option<String>,

    /// When only files are named, do not read the rest of their project for facts
    /// (models, helpers): analyse the named files alone.
    #[arg(long)]
    pub no_project_context: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List every rule: id, languages, default severity, summary.
    Rules,
    /// Show a rule's documentation with a slow and a better example.
    Explain {
        /// The rule id, e.g. n-plus-one.
        rule: String,
    },
    /// Print the syntax tree of a file (for writing queries).
    #[command(hide = true)]
    DumpTree { file: PathBuf },
}
