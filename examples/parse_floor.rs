//! The parse floor: what n1lint's first pass costs with nothing but the walk, the read and
//! the tree-sitter parse. Same walker (`n1lint::walk::walk`), same skips (size, NUL bytes,
//! UTF-8, minified), same thread pool (rayon, one parser per thread and language); no
//! queries, no facts, no rules. `bench/run.sh` compares a full run against it.
//!
//!     cargo build --release --examples
//!     target/release/examples/parse_floor [--no-default-excludes] [-j N] PATH...
//!
//! Prints one line: `files=N bytes=N lines=N parse_errors=N skipped=N wall_s=S`.

use std::cell::RefCell;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use n1lint::lang::Lang;
use n1lint::walk::{self, WalkOptions};
use rayon::prelude::*;
use tree_sitter::Parser;

/// n1lint's default `max-file-size`.
const MAX_FILE_SIZE: u64 = 1 << 20;

thread_local! {
    static PARSERS: RefCell<Vec<Option<Parser>>> =
        RefCell::new((0..Lang::ALL.len()).map(|_| None).collect());
}

/// The same heuristic as the engine: long average lines in a file of some size.
fn looks_minified(text: &str) -> bool {
    if text.len() < 4096 {
        return false;
    }
    let lines = text.bytes().filter(|&b| b == b'\n').count() + 1;
    text.len() / lines > 500
}

#[derive(Default)]
struct Counts {
    files: AtomicU64,
    bytes: AtomicU64,
    lines: AtomicU64,
    parse_errors: AtomicU64,
    skipped: AtomicU64,
}

fn parse_one(path: &std::path::Path, lang: Lang, counts: &Counts) {
    let skip = || {
        counts.skipped.fetch_add(1, Ordering::Relaxed);
    };
    let Ok(bytes) = std::fs::read(path) else {
        return skip();
    };
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return skip();
    }
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    if body.contains(&0) {
        return skip();
    }
    let Ok(text) = std::str::from_utf8(body) else {
        return skip();
    };
    if looks_minified(text) {
        return skip();
    }
    let tree = PARSERS.with(|cell| {
        let mut parsers = cell.borrow_mut();
        let slot = &mut parsers[lang.index()];
        let parser = slot.get_or_insert_with(|| {
            let mut p = Parser::new();
            p.set_language(&lang.grammar())
                .expect("grammar version is compatible with the tree-sitter runtime");
            p
        });
        parser.parse(text, None)
    });
    let Some(tree) = tree else {
        return skip();
    };
    counts.files.fetch_add(1, Ordering::Relaxed);
    counts
        .bytes
        .fetch_add(bytes.len() as u64, Ordering::Relaxed);
    let lines = text.bytes().filter(|&b| b == b'\n').count() as u64 + 1;
    counts.lines.fetch_add(lines, Ordering::Relaxed);
    if tree.root_node().has_error() {
        counts.parse_errors.fetch_add(1, Ordering::Relaxed);
    }
}

/// The same allocator as the `n1lint` binary (src/alloc.rs), so the floor stays comparable.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    n1lint::alloc::use_for_tree_sitter();
    let mut paths = Vec::new();
    let mut default_excludes = true;
    let mut jobs: Option<usize> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--no-default-excludes" => default_excludes = false,
            "-j" | "--jobs" => jobs = args.next().and_then(|n| n.parse().ok()),
            "-h" | "--help" => {
                println!("usage: parse_floor [--no-default-excludes] [-j N] PATH...");
                return ExitCode::SUCCESS;
            }
            _ => paths.push(PathBuf::from(a)),
        }
    }
    if paths.is_empty() {
        paths.push(PathBuf::from("."));
    }
    let threads = jobs
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        })
        .max(1);
    let start = Instant::now();
    let pool = match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("parse_floor: cannot start worker threads: {e}");
            return ExitCode::from(2);
        }
    };
    let counts = Counts::default();
    let result = pool.install(|| -> Result<(), String> {
        let walked = walk::walk(
            &paths,
            &WalkOptions {
                excludes: &[],
                use_default_excludes: default_excludes,
                threads,
            },
        )?;
        walked
            .files
            .par_iter()
            .for_each(|c| parse_one(&c.path, c.lang, &counts));
        Ok(())
    });
    if let Err(e) = result {
        eprintln!("parse_floor: {e}");
        return ExitCode::from(2);
    }
    println!(
        "files={} bytes={} lines={} parse_errors={} skipped={} wall_s={:.3}",
        counts.files.load(Ordering::Relaxed),
        counts.bytes.load(Ordering::Relaxed),
        counts.lines.load(Ordering::Relaxed),
        counts.parse_errors.load(Ordering::Relaxed),
        counts.skipped.load(Ordering::Relaxed),
        start.elapsed().as_secs_f64()
    );
    ExitCode::SUCCESS
}
