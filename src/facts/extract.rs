//! One parse and one pass over the tree per file, turning query captures into [`FileFacts`].
//!
//! The queries under `queries/<lang>/` say which nodes are functions, loops, calls,
//! strings and comments; this module reads the details of each captured node (names,
//! arguments, bodies) and then links facts by span containment. Nothing here recurses on
//! the tree without a bound.
//!
//! The pass is one tree-cursor walk ([`WalkPlan`]): the query's single-kind patterns are a
//! table by node kind, and each larger pattern runs only at the nodes of its root kind. It
//! captures the same nodes as tree-sitter's query cursor over the whole tree (a test
//! compares the facts of every fixture; on the corpus they were identical for all 15,715
//! files) at less than half its cost, and checks the tree's shape on the way.
//! `N1LINT_QUERY_CURSOR=1` selects the query cursor instead, to compare.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::Duration;

use tree_sitter::{
    Node, ParseOptions, Parser, Query, QueryCursor, QueryCursorOptions, QueryCursorState,
    StreamingIterator,
};

use super::budget::{check_shape, preorder, Deadline, Shape};
use super::nest::Nest;
use super::*;
use crate::facts::text::normalised_hash;
use crate::lang::Lang;

/// Bounds on the work done for one file.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Time to parse a file of 1 MiB or more (smaller files get less: see `scaled`).
    pub parse_timeout: Duration,
    /// Time for the query pass and for building the facts from its captures (after parsing).
    pub analysis_timeout: Duration,
    /// Query matches per file before the file is given up.
    pub max_matches: usize,
    /// Query matches the cursor may have in progress at once (tree-sitter's match limit,
    /// at most 65536). Deep nesting needs many; a file that needs more is given up rather
    /// than analysed with matches missing.
    pub max_in_progress: u32,
    /// Syntax tree depth: a file nested deeper is given up (the query pass would take about
    /// nodes × depth steps).
    pub max_depth: usize,
    /// Children of one ERROR node: a file with a larger syntax error is given up (the query
    /// pass would take about the square of that number of steps).
    pub max_error_children: usize,
    /// Facts of one file (calls, functions, loops, strings, assignments, members, awaits):
    /// rules compare them with each other, so a file with more is given up.
    pub max_facts: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            parse_timeout: Duration::from_secs(10),
            analysis_timeout: Duration::from_secs(10),
            max_matches: 2_000_000,
            max_in_progress: 65_536,
            // Hand-written code stays far below (the corpus of real backends: under 150).
            max_depth: 1_000,
            max_error_children: 10_000,
            // Real files stay far below (the corpus and the Python standard library with
            // its site-packages: under 16,000).
            max_facts: 50_000,
        }
    }
}

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum ExtractError {
    #[error("parsing took too long: more than {:.1} s of CPU", .0.as_secs_f64())]
    ParseTimeout(Duration),
    #[error("more than {0} syntax matches")]
    TooManyMatches(usize),
    #[error("analysis took too long: more than {:.1} s of CPU (a very large or deeply nested file; `exclude` it if it is generated)", .0.as_secs_f64())]
    AnalysisTimeout(Duration),
    #[error("nested more than {0} levels deep (generated code? `exclude` it)")]
    TooDeep(usize),
    #[error("a syntax error of more than {0} tokens (is it really this language?)")]
    WideError(usize),
    #[error("more than {0} calls, functions, loops and strings (generated code? `exclude` it)")]
    TooManyFacts(usize),
    #[error("more than {0} syntax matches in progress at once (deep nesting)")]
    MatchLimit(u32),
    #[error("{0}")]
    GrammarHazard(&'static str),
    #[error("the parser gave no tree")]
    NoTree,
}

const QUERY_FILES: [(&str, &str); 5] = [
    ("functions", "functions.scm"),
    ("loops", "loops.scm"),
    ("calls", "calls.scm"),
    ("strings", "strings.scm"),
    ("comments", "comments.scm"),
];

fn raw_query(dir: &str, file: &str) -> Option<&'static str> {
    Some(match (dir, file) {
        ("ecma", "functions.scm") => include_str!("../../queries/ecma/functions.scm"),
        ("ecma", "loops.scm") => include_str!("../../queries/ecma/loops.scm"),
        ("ecma", "calls.scm") => include_str!("../../queries/ecma/calls.scm"),
        ("ecma", "strings.scm") => include_str!("../../queries/ecma/strings.scm"),
        ("ecma", "comments.scm") => include_str!("../../queries/ecma/comments.scm"),
        ("typescript", "functions.scm") => include_str!("../../queries/typescript/functions.scm"),
        ("typescript", "loops.scm") => include_str!("../../queries/typescript/loops.scm"),
        ("typescript", "calls.scm") => include_str!("../../queries/typescript/calls.scm"),
        ("typescript", "strings.scm") => include_str!("../../queries/typescript/strings.scm"),
        ("typescript", "comments.scm") => include_str!("../../queries/typescript/comments.scm"),
        ("python", "functions.scm") => include_str!("../../queries/python/functions.scm"),
        ("python", "loops.scm") => include_str!("../../queries/python/loops.scm"),
        ("python", "calls.scm") => include_str!("../../queries/python/calls.scm"),
        ("python", "strings.scm") => include_str!("../../queries/python/strings.scm"),
        ("python", "comments.scm") => include_str!("../../queries/python/comments.scm"),
        ("ruby", "functions.scm") => include_str!("../../queries/ruby/functions.scm"),
        ("ruby", "loops.scm") => include_str!("../../queries/ruby/loops.scm"),
        ("ruby", "calls.scm") => include_str!("../../queries/ruby/calls.scm"),
        ("ruby", "strings.scm") => include_str!("../../queries/ruby/strings.scm"),
        ("ruby", "comments.scm") => include_str!("../../queries/ruby/comments.scm"),
        _ => return None,
    })
}

/// The full text of one query file for a directory, with `; inherits: x` resolved (the
/// parent's text comes first).
fn resolve_query(dir: &str, file: &str, depth: u32) -> String {
    let Some(text) = raw_query(dir, file) else {
        return String::new();
    };
    let mut out = String::new();
    if depth < 4 {
        if let Some(first) = text.lines().next() {
            if let Some(parents) = first.trim().strip_prefix("; inherits:") {
                for parent in parents.split(',') {
                    out.push_str(&resolve_query(parent.trim(), file, depth + 1));
                    out.push('\n');
                }
            }
        }
    }
    out.push_str(text);
    out
}

/// The combined query source for a language: every purpose file, inheritance resolved.
/// All files are compiled into one query so a file gets a single pass over its tree.
pub fn query_source(lang: Lang) -> String {
    let mut src = String::new();
    for (_, file) in QUERY_FILES {
        src.push_str(&resolve_query(lang.query_dir(), file, 0));
        src.push('\n');
    }
    src
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Cap {
    Function,
    Class,
    Loop,
    Call,
    Assign,
    Import,
    Member,
    Jump,
    Str,
    Comment,
    Error,
    Awaited,
    Visibility,
    Await,
    DebugGuard,
    Rescue,
    Branch,
    DevGuard,
    OnceGuard,
    PresentGuard,
    Yield,
    Other,
}

impl Cap {
    /// Captures whose facts look at the nodes above them (a function's declarator or
    /// `export`, a jump's block, an await's statement, whether an import runs on load): the
    /// walk keeps those nodes.
    fn climbs(self) -> bool {
        matches!(
            self,
            Cap::Function | Cap::Class | Cap::Jump | Cap::Await | Cap::PresentGuard | Cap::Import
        )
    }
}

/// The nodes above some captured nodes, recorded by the walk: `Node::parent` searches down
/// from the root on every call, which cost ≈3 % of a run.
#[derive(Default)]
struct Ancestry<'t> {
    /// Captured node id -> its range in `above`.
    of: FastMap<usize, (u32, u32)>,
    /// Nearest first: parent, grandparent, ...
    above: Vec<Node<'t>>,
}

impl<'t> Ancestry<'t> {
    /// Levels kept per node: enough for every climb of the builder (an await's statement
    /// and its block), deeper ones fall back to `Node::parent`.
    const LEVELS: usize = 12;

    fn note(&mut self, n: Node<'t>, above: &[Node<'t>]) {
        let start = self.above.len() as u32;
        self.above
            .extend(above.iter().rev().take(Self::LEVELS).copied());
        self.of.insert(n.id(), (start, self.above.len() as u32));
    }

    /// The parent of `x`, where `x` is `base` or one of the nodes recorded above it.
    fn parent<'n>(&self, base: Node, x: Node<'n>) -> Option<Node<'n>>
    where
        't: 'n,
    {
        if let Some(&(s, e)) = self.of.get(&base.id()) {
            let up = &self.above[s as usize..e as usize];
            let at = if x.id() == base.id() {
                Some(0)
            } else {
                up.iter().position(|u| u.id() == x.id()).map(|i| i + 1)
            };
            if let Some(i) = at {
                if i < up.len() {
                    return Some(up[i]);
                }
                if up.len() < Self::LEVELS {
                    // The whole chain up to the root is recorded: `x` is the root.
                    return None;
                }
            }
        }
        x.parent()
    }
}

struct CompiledQuery {
    lang: Lang,
    /// Every pattern of the language in one query (the query cursor's pass). With a walk
    /// plan it is compiled only if the query cursor is asked for (tests compare the two).
    query: OnceLock<Query>,
    caps: Vec<Cap>,
    /// The same patterns, split for one tree-cursor walk; `None` when some pattern has no
    /// single root node (the query cursor then does the pass).
    walk: Option<WalkPlan>,
}

impl CompiledQuery {
    fn query(&self) -> &Query {
        self.query
            .get_or_init(|| compile(self.lang, &query_source(self.lang)))
    }
}

fn compile(lang: Lang, source: &str) -> Query {
    Query::new(&lang.grammar(), source)
        .unwrap_or_else(|e| panic!("embedded query for {lang} does not compile: {e}"))
}

/// The patterns of a language's query as one walk over the tree uses them. Most patterns
/// are a lone node kind with a capture (`(call) @call`): the walk reads them from a table
/// indexed by kind id. Each other pattern is rooted at one node kind; at each node of such
/// a kind, the query runs from that node alone (`max_start_depth` 0: only the patterns
/// rooted at its kind start, and the cursor goes no deeper than they need). Same patterns,
/// same captures, as the query cursor over the whole tree; the walk skips the cursor's
/// per-node bookkeeping for every pattern and also checks the tree's shape (depth, size of
/// syntax errors), which took a walk of its own.
struct WalkPlan {
    /// Captures of single-kind patterns, by kind id.
    simple: Vec<Vec<Cap>>,
    /// Captures of `(ERROR) @x` (the error kind id is outside the table).
    error: Vec<Cap>,
    /// The kind ids that root a larger pattern.
    rooted_at: Vec<bool>,
    /// The language's query with its single-kind patterns disabled. One query, compiled
    /// once: a query per root kind cost each its own analysis of the grammar (0.1 s for
    /// Ruby's), which a one-file run paid in full.
    rooted: Query,
}

fn cap_of(name: &str) -> Cap {
    match name {
        "function" => Cap::Function,
        "class" => Cap::Class,
        "loop" => Cap::Loop,
        "call" => Cap::Call,
        "assign" => Cap::Assign,
        "import" => Cap::Import,
        "member" => Cap::Member,
        "jump" => Cap::Jump,
        "string" => Cap::Str,
        "comment" => Cap::Comment,
        "error" => Cap::Error,
        "awaited" => Cap::Awaited,
        "visibility" => Cap::Visibility,
        "await" => Cap::Await,
        "debug_guard" => Cap::DebugGuard,
        "rescue" => Cap::Rescue,
        "branch" => Cap::Branch,
        "dev_guard" => Cap::DevGuard,
        "once_guard" => Cap::OnceGuard,
        "present_guard" => Cap::PresentGuard,
        "yield" => Cap::Yield,
        _ => Cap::Other,
    }
}

/// The text of one pattern without its comments and surrounding space.
fn pattern_text(src: &str) -> String {
    let mut out = String::new();
    let mut in_string = false;
    let mut chars = src.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                in_string = !in_string;
                out.push(c);
            }
            '\\' if in_string => {
                out.push(c);
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            }
            ';' if !in_string => {
                for n in chars.by_ref() {
                    if n == '\n' {
                        break;
                    }
                }
                out.push(' ');
            }
            _ => out.push(c),
        }
    }
    out.trim().to_string()
}

/// `(kind) @capture` → (`kind`, `capture`): a pattern that is one named node and one capture.
fn lone_kind(text: &str) -> Option<(&str, &str)> {
    let rest = text.strip_prefix('(')?;
    let (kind, rest) = rest.split_once(')')?;
    let cap = rest.trim().strip_prefix('@')?;
    let word = |w: &str| !w.is_empty() && w.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    (word(kind) && (word(cap) || cap.split('.').all(word))).then_some((kind, cap))
}

/// The node kind a rooted pattern starts with: `(if_statement ...)`, `((identifier) ...)`.
fn root_kind(text: &str) -> Option<&str> {
    let rest = text.trim_start_matches(|c: char| c == '(' || c.is_whitespace());
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    let kind = &rest[..end];
    (!kind.is_empty() && kind != "_").then_some(kind)
}

/// The walk plan of `lang`'s query, which it takes to run the rooted patterns; the query
/// back when some pattern does not fit the walk.
fn walk_plan(lang: Lang, mut query: Query, source: &str) -> Result<WalkPlan, Query> {
    match plan_tables(lang, &query, source) {
        Some((simple, error, rooted_at, lone)) => {
            for i in lone {
                query.disable_pattern(i);
            }
            Ok(WalkPlan {
                simple,
                error,
                rooted_at,
                rooted: query,
            })
        }
        None => Err(query),
    }
}

/// Single-kind captures by kind id, `(ERROR)` captures, the root kinds of the other patterns,
/// and the single-kind patterns' indexes.
type PlanTables = (Vec<Vec<Cap>>, Vec<Cap>, Vec<bool>, Vec<usize>);

fn plan_tables(lang: Lang, query: &Query, source: &str) -> Option<PlanTables> {
    let grammar = lang.grammar();
    let kinds = grammar.node_kind_count();
    let mut simple: Vec<Vec<Cap>> = vec![Vec::new(); kinds];
    let mut error = Vec::new();
    let mut rooted_at = vec![false; kinds];
    let mut lone_patterns = Vec::new();
    for i in 0..query.pattern_count() {
        let text =
            pattern_text(&source[query.start_byte_for_pattern(i)..query.end_byte_for_pattern(i)]);
        if !query.is_pattern_rooted(i) || query.is_pattern_non_local(i) {
            return None;
        }
        let lone = lone_kind(&text).filter(|_| query.general_predicates(i).is_empty());
        if let Some((kind, cap)) = lone {
            lone_patterns.push(i);
            if kind == "ERROR" {
                error.push(cap_of(cap));
                continue;
            }
            let id = grammar.id_for_node_kind(kind, true);
            if id == 0 || usize::from(id) >= kinds || grammar.node_kind_is_supertype(id) {
                return None;
            }
            simple[usize::from(id)].push(cap_of(cap));
            continue;
        }
        let kind = root_kind(&text)?;
        let id = grammar.id_for_node_kind(kind, true);
        if id == 0 || usize::from(id) >= kinds || grammar.node_kind_is_supertype(id) {
            return None;
        }
        rooted_at[usize::from(id)] = true;
    }
    Some((simple, error, rooted_at, lone_patterns))
}

/// The compiled query of `lang`, compiled the first time a file of that language comes
/// (a warm run that re-reads one Python file compiles no JavaScript query).
fn compiled(lang: Lang) -> &'static CompiledQuery {
    static QUERIES: [OnceLock<CompiledQuery>; Lang::ALL.len()] =
        [const { OnceLock::new() }; Lang::ALL.len()];
    QUERIES[lang.index()].get_or_init(|| {
        let source = query_source(lang);
        let query = compile(lang, &source);
        let caps = query.capture_names().iter().map(|n| cap_of(n)).collect();
        let (walk, query) = if std::env::var_os("N1LINT_QUERY_CURSOR").is_some() {
            (None, OnceLock::from(query))
        } else {
            match walk_plan(lang, query, &source) {
                Ok(plan) => (Some(plan), OnceLock::new()),
                Err(query) => (None, OnceLock::from(query)),
            }
        };
        CompiledQuery {
            lang,
            query,
            caps,
            walk,
        }
    })
}

/// Field ids by name, per language: `Node::child_by_field_name` looks the name up by
/// comparing it with every field name of the grammar, on each call (about 2% of a run).
fn field_ids(lang: Lang) -> &'static FastMap<&'static str, u16> {
    static IDS: OnceLock<Vec<FastMap<&'static str, u16>>> = OnceLock::new();
    &IDS.get_or_init(|| {
        Lang::ALL
            .iter()
            .map(|l| {
                let g = l.grammar();
                (1..=g.field_count() as u16)
                    .filter_map(|id| g.field_name_for_id(id).map(|n| (n, id)))
                    .collect()
            })
            .collect()
    })[lang.index()]
}

/// Node kind names by kind id, per language: `Node::kind` measures and checks the C string
/// of the name on each call.
fn kind_names(lang: Lang) -> &'static [&'static str] {
    static NAMES: OnceLock<Vec<Vec<&'static str>>> = OnceLock::new();
    &NAMES.get_or_init(|| {
        Lang::ALL
            .iter()
            .map(|l| {
                let g = l.grammar();
                (0..g.node_kind_count() as u16)
                    .map(|id| g.node_kind_for_id(id).unwrap_or(""))
                    .collect()
            })
            .collect()
    })[lang.index()]
}

thread_local! {
    /// The field ids and kind names of the language this thread is extracting (set by
    /// `extract_with`).
    static FIELDS: std::cell::Cell<Option<&'static FastMap<&'static str, u16>>> =
        const { std::cell::Cell::new(None) };
    static KINDS: std::cell::Cell<&'static [&'static str]> = const { std::cell::Cell::new(&[]) };
}

/// `child_by_field_name` and `kind` through the tables of the language being extracted.
trait Field<'t> {
    fn field(&self, name: &str) -> Option<Node<'t>>;
    fn kind_name(&self) -> &'static str;
}

impl<'t> Field<'t> for Node<'t> {
    fn field(&self, name: &str) -> Option<Node<'t>> {
        match FIELDS.with(|f| f.get()) {
            Some(ids) => ids.get(name).and_then(|&id| self.child_by_field_id(id)),
            None => self.child_by_field_name(name),
        }
    }

    fn kind_name(&self) -> &'static str {
        KINDS
            .with(|k| k.get().get(usize::from(self.kind_id())).copied())
            .unwrap_or_else(|| self.kind())
    }
}

/// FNV-1a as a `Hasher` for the maps of one file's extraction, keyed by node ids and field
/// names: short keys made by the program itself, where SipHash's resistance to chosen keys
/// buys nothing and costs ≈1 % of a run.
#[derive(Clone, Copy)]
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

type FastMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<Fnv>>;
type FastSet<K> = std::collections::HashSet<K, std::hash::BuildHasherDefault<Fnv>>;

thread_local! {
    static PARSERS: RefCell<Vec<Option<Parser>>> = RefCell::new((0..Lang::ALL.len()).map(|_| None).collect());
}

/// The time budget of a file of `len` bytes: `max` from about 1 MiB up, 2 s plus 10 µs a byte
/// below. tree-sitter parses megabytes a second; a small file that takes seconds is stuck in
/// error recovery (found by fuzzing: a broken 951-byte TSX file kept the parser busy for
/// over 10 s), and giving up on it sooner bounds what a run of many such files costs.
fn scaled(max: Duration, len: usize) -> Duration {
    let per_byte = Duration::from_nanos(10_000u64.saturating_mul(len as u64));
    max.min(Duration::from_secs(2).saturating_add(per_byte))
}

/// Parse `src` and extract its facts. The tree is dropped before this returns.
pub fn extract(lang: Lang, src: &str, limits: &Limits) -> Result<FileFacts, ExtractError> {
    extract_with(lang, src, limits, true)
}

/// Does `lang` get the walk (every pattern of its query has one root node)? Otherwise the
/// query cursor does the pass, correctly but slower.
#[doc(hidden)]
pub fn walks(lang: Lang) -> bool {
    compiled(lang).walk.is_some()
}

/// [`extract`] with the query cursor over the whole tree instead of the walk: the reference
/// the walk is tested against.
#[doc(hidden)]
pub fn extract_query_cursor(
    lang: Lang,
    src: &str,
    limits: &Limits,
) -> Result<FileFacts, ExtractError> {
    extract_with(lang, src, limits, false)
}

fn extract_with(
    lang: Lang,
    src: &str,
    limits: &Limits,
    walk: bool,
) -> Result<FileFacts, ExtractError> {
    FIELDS.with(|f| f.set(Some(field_ids(lang))));
    KINDS.with(|k| k.set(kind_names(lang)));
    if let Some(why) = super::guard::hazard(lang, src) {
        return Err(ExtractError::GrammarHazard(why));
    }
    let tree = PARSERS.with(|cell| {
        let mut parsers = cell.borrow_mut();
        let slot = &mut parsers[lang.index()];
        if slot.is_none() {
            let mut p = Parser::new();
            p.set_language(&lang.grammar())
                .expect("grammar version is compatible with the tree-sitter runtime");
            *slot = Some(p);
        }
        let parser = slot.as_mut().expect("parser was just created");
        let budget = scaled(limits.parse_timeout, src.len());
        let deadline = Deadline::after(budget);
        let mut progress = |_: &tree_sitter::ParseState| deadline.poll();
        let bytes = src.as_bytes();
        let options = ParseOptions::new().progress_callback(&mut progress);
        let tree = parser.parse_with_options(
            &mut |offset, _| {
                if offset < bytes.len() {
                    &bytes[offset..]
                } else {
                    &[][..]
                }
            },
            None,
            Some(options),
        );
        if tree.is_none() {
            parser.reset();
        }
        match tree {
            Some(t) => Ok(t),
            None if deadline.passed() => Err(ExtractError::ParseTimeout(budget)),
            None => Err(ExtractError::NoTree),
        }
    })?;
    let deadline = Deadline::after(scaled(limits.analysis_timeout, src.len()));
    let mut b = Builder::new(lang, src, &deadline);
    b.run(tree.root_node(), limits, walk)?;
    let facts = b.finish()?;
    // Rules compare facts of a file with each other: bound their number.
    let n = facts.calls.len()
        + facts.functions.len()
        + facts.loops.len()
        + facts.strings.len()
        + facts.assigns.len()
        + facts.members.len()
        + facts.awaits.len();
    if n > limits.max_facts {
        return Err(ExtractError::TooManyFacts(limits.max_facts));
    }
    Ok(facts)
}

/// Computes spans (byte offsets plus line/column) for nodes of one file.
struct Lines<'a> {
    src: &'a str,
    starts: Vec<u32>,
    /// Per line: all ASCII (a column is then a byte count).
    ascii: Vec<bool>,
}

impl<'a> Lines<'a> {
    fn new(src: &'a str) -> Self {
        // A line ends at LF, CRLF or a lone CR (as editors and SARIF count lines).
        let mut starts = vec![0u32];
        let mut ascii = Vec::new();
        let mut line_ascii = true;
        let b = src.as_bytes();
        for (i, &c) in b.iter().enumerate() {
            line_ascii &= c.is_ascii();
            if c == b'\n' || (c == b'\r' && b.get(i + 1) != Some(&b'\n')) {
                starts.push(i as u32 + 1);
                ascii.push(line_ascii);
                line_ascii = true;
            }
        }
        ascii.push(line_ascii);
        Lines { src, starts, ascii }
    }

    fn pos(&self, byte: usize) -> (u32, u32) {
        let byte = byte.min(self.src.len());
        let line = match self.starts.binary_search(&(byte as u32)) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let ls = self.starts[line] as usize;
        if self.ascii[line] {
            return (line as u32 + 1, (byte - ls) as u32 + 1);
        }
        let col = match self.src.get(ls..byte) {
            Some(prefix) if prefix.is_ascii() => prefix.len(),
            Some(prefix) => prefix.chars().count(),
            None => byte - ls,
        };
        (line as u32 + 1, col as u32 + 1)
    }

    fn span(&self, start: usize, end: usize) -> Span {
        let (line, col) = self.pos(start);
        let (end_line, end_col) = self.pos(end);
        Span {
            start: start as u32,
            end: end as u32,
            line,
            col,
            end_line,
            end_col,
        }
    }

    fn node(&self, n: Node) -> Span {
        self.span(n.start_byte(), n.end_byte())
    }
}

const MAX_TEXT: usize = 240;

fn text<'a>(src: &'a str, n: Node) -> &'a str {
    src.get(n.byte_range()).unwrap_or("")
}

/// Keys whose string value is text for people (a form's placeholder, a field's help), not
/// code that runs.
const DISPLAY_KEYS: &[&str] = &[
    "placeholder",
    "description",
    "hint",
    "help",
    "help_text",
    "example",
    "examples",
    "tooltip",
    "label",
    "title",
    "summary",
];

fn short(src: &str, n: Node) -> String {
    let t = text(src, n);
    if t.len() <= MAX_TEXT {
        return t.to_string();
    }
    let mut end = MAX_TEXT;
    while !t.is_char_boundary(end) {
        end -= 1;
    }
    t[..end].to_string()
}

/// Methods whose function-literal argument runs once per element (JS) or whose block does
/// (Ruby).
const ECMA_ITERATORS: &[&str] = &[
    "forEach",
    "map",
    "flatMap",
    "filter",
    "reduce",
    "reduceRight",
    "some",
    "every",
    "find",
    "findIndex",
    "findLast",
    "findLastIndex",
    "sort",
    "mapSeries",
    "eachSeries",
    "each",
];
const RUBY_ITERATORS: &[&str] = &[
    "each",
    "map",
    "collect",
    "flat_map",
    "collect_concat",
    "select",
    "filter",
    "reject",
    "each_with_index",
    "each_with_object",
    "inject",
    "reduce",
    "times",
    "find_each",
    "in_batches",
    "find_in_batches",
    "each_slice",
    "each_cons",
    "filter_map",
    "sum",
    "group_by",
    "partition",
    "sort_by",
    "min_by",
    "max_by",
    "index_by",
    "each_pair",
    "each_value",
    "each_key",
    "upto",
    "downto",
    "step",
    "any?",
    "all?",
    "none?",
    "count",
    "find",
    "detect",
    "each_entry",
    "map!",
    "select!",
    "reject!",
    "to_h",
];
/// Callees whose function-literal argument runs right away (so a call inside it runs where
/// the outer call runs).
const ECMA_INLINE_CALLBACKS: &[&str] = &[
    "then",
    "catch",
    "finally",
    "$transaction",
    "transaction",
    "withTransaction",
    "all",
    "allSettled",
    "race",
    "any",
];

struct Builder<'a> {
    lang: Lang,
    deadline: &'a Deadline,
    src: &'a str,
    lines: Lines<'a>,
    f: FileFacts,
    call_ids: FastMap<usize, Idx>,
    /// The awaits of each statement so far, by the statement's byte range.
    await_stmts: FastMap<(u32, u32), Vec<Idx>>,
    /// Function literals passed as an argument: node id -> call node id.
    fn_arg_of: FastMap<usize, usize>,
    /// Callback loops: (loop index, function node id) for ECMA.
    jumps: Vec<(u32, u32)>,
    /// ECMA functions whose first parameter is a destructuring pattern (`([id, user]) =>`,
    /// `({ id, email }) =>`): function start byte -> every name the pattern binds.
    destructured: FastMap<u32, Vec<String>>,
    /// Python `yield` expressions: their functions are generators.
    yields: Vec<Span>,
    pending_members: Vec<(Span, Vec<String>)>,
    /// Member chains (`a.b.c`), read in `finish` only for those inside a loop: most are not.
    member_nodes: Vec<Node<'a>>,
    /// Per block (node id): each named child's index among the block's statements, comments
    /// not counted. Filled on the first await in the block.
    statement_indexes: FastMap<usize, FastMap<usize, usize>>,
    /// Calls directly under an `await` (node ids).
    awaited: FastSet<usize>,
    ancestry: Ancestry<'a>,
}

impl<'a> Builder<'a> {
    fn new(lang: Lang, src: &'a str, deadline: &'a Deadline) -> Self {
        let lines = Lines::new(src);
        let nlines = lines.starts.len() as u32;
        Builder {
            lang,
            deadline,
            src,
            lines,
            f: FileFacts {
                lang,
                functions: Vec::new(),
                classes: Vec::new(),
                loops: Vec::new(),
                calls: Vec::new(),
                strings: Vec::new(),
                comments: Vec::new(),
                assigns: Vec::new(),
                imports: Vec::new(),
                members: Vec::new(),
                visibility: Vec::new(),
                awaits: Vec::new(),
                debug_guards: Vec::new(),
                rescues: Vec::new(),
                branches: Vec::new(),
                dev_guards: Vec::new(),
                once_guards: Vec::new(),
                markers: Vec::new(),
                exit_texts: Vec::new(),
                exits: Vec::new(),
                error_spans: Vec::new(),
                lines: nlines,
                lookup: Default::default(),
            },
            call_ids: FastMap::default(),
            await_stmts: FastMap::default(),
            fn_arg_of: FastMap::default(),
            jumps: Vec::new(),
            destructured: FastMap::default(),
            yields: Vec::new(),
            pending_members: Vec::new(),
            member_nodes: Vec::new(),
            statement_indexes: FastMap::default(),
            awaited: FastSet::default(),
            ancestry: Ancestry::default(),
        }
    }

    /// The captures of the whole query, from the query cursor.
    fn cursor_captures(
        &self,
        cq: &CompiledQuery,
        root: Node<'a>,
        limits: &Limits,
        nodes: &mut Vec<(Cap, Node<'a>)>,
    ) -> Result<(), ExtractError> {
        let mut cursor = QueryCursor::new();
        cursor.set_match_limit(limits.max_in_progress.clamp(1, 65_536));
        let deadline = self.deadline;
        {
            // The cursor calls this while it works, also between matches: deep nesting can
            // keep it busy for long without producing any. The clock is read on every 64th
            // call: reading it each time cost 3% of a run.
            let mut progress = |_: &QueryCursorState| deadline.poll();
            let options = QueryCursorOptions::new().progress_callback(&mut progress);
            let mut matches =
                cursor.matches_with_options(cq.query(), root, self.src.as_bytes(), options);
            while let Some(m) = matches.next() {
                for c in m.captures {
                    let cap = cq.caps[c.index as usize];
                    if cap != Cap::Other {
                        nodes.push((cap, c.node));
                    }
                }
                if nodes.len() > limits.max_matches {
                    return Err(ExtractError::TooManyMatches(limits.max_matches));
                }
            }
        }
        if deadline.passed() {
            return Err(self.timeout());
        }
        if cursor.did_exceed_match_limit() {
            return Err(ExtractError::MatchLimit(limits.max_in_progress));
        }
        Ok(())
    }

    /// The same captures from one walk over the tree (see [`WalkPlan`]), which also refuses
    /// trees nested deeper than any hand-written code or with a huge syntax error.
    fn walk_captures(
        &self,
        plan: &WalkPlan,
        caps: &[Cap],
        root: Node<'a>,
        limits: &Limits,
        nodes: &mut Vec<(Cap, Node<'a>)>,
        ancestry: &mut Ancestry<'a>,
    ) -> Result<(), ExtractError> {
        let src = self.src.as_bytes();
        let mut rooted = QueryCursor::new();
        rooted.set_match_limit(limits.max_in_progress.clamp(1, 65_536));
        rooted.set_max_start_depth(Some(0));
        preorder(
            root,
            limits.max_depth,
            || ExtractError::TooDeep(limits.max_depth),
            |n, above| {
                let kind = usize::from(n.kind_id());
                if n.is_error() {
                    if n.child_count() > limits.max_error_children {
                        return Err(ExtractError::WideError(limits.max_error_children));
                    }
                    nodes.extend(plan.error.iter().map(|&c| (c, n)));
                } else if let Some(caps) = plan.simple.get(kind) {
                    nodes.extend(caps.iter().map(|&c| (c, n)));
                    if caps.iter().any(|c| c.climbs()) {
                        ancestry.note(n, above);
                    }
                }
                if plan.rooted_at.get(kind) == Some(&true) {
                    let mut matches = rooted.matches(&plan.rooted, n, src);
                    while let Some(m) = matches.next() {
                        for c in m.captures {
                            let cap = caps[c.index as usize];
                            if cap != Cap::Other {
                                nodes.push((cap, c.node));
                            }
                        }
                    }
                    if rooted.did_exceed_match_limit() {
                        return Err(ExtractError::MatchLimit(limits.max_in_progress));
                    }
                }
                if nodes.len() > limits.max_matches {
                    return Err(ExtractError::TooManyMatches(limits.max_matches));
                }
                if self.deadline.poll() {
                    return Err(self.timeout());
                }
                Ok(())
            },
        )
    }

    fn run(&mut self, root: Node<'a>, limits: &Limits, walk: bool) -> Result<(), ExtractError> {
        let cq = compiled(self.lang);
        let mut nodes: Vec<(Cap, Node)> = Vec::new();
        match cq.walk.as_ref().filter(|_| walk) {
            Some(plan) => {
                let mut ancestry = Ancestry::default();
                self.walk_captures(plan, &cq.caps, root, limits, &mut nodes, &mut ancestry)?;
                self.ancestry = ancestry;
            }
            None => {
                // The query cursor costs about (nodes × depth): refuse trees nested deeper
                // than any hand-written code, deterministically, before spending the time
                // budget on them.
                match check_shape(root, limits.max_depth, limits.max_error_children) {
                    Ok(()) => {}
                    Err(Shape::TooDeep) => return Err(ExtractError::TooDeep(limits.max_depth)),
                    Err(Shape::WideError) => {
                        return Err(ExtractError::WideError(limits.max_error_children))
                    }
                }
                self.cursor_captures(cq, root, limits, &mut nodes)?
            }
        }
        // The facts these captures become are bounded below; give up before building them.
        let facts = nodes
            .iter()
            .filter(|(cap, _)| matches!(cap, Cap::Function | Cap::Call | Cap::Loop | Cap::Assign))
            .count();
        if facts > limits.max_facts {
            return Err(ExtractError::TooManyFacts(limits.max_facts));
        }
        // Calls first: functions need to know which call they are an argument of, loops
        // need the call ids of their iterated expressions.
        for &(cap, n) in &nodes {
            if cap == Cap::Awaited {
                self.awaited.insert(n.id());
            }
        }
        for &(cap, n) in &nodes {
            if cap == Cap::Call {
                self.call(n);
                if self.deadline.poll() {
                    return Err(self.timeout());
                }
            }
        }
        for &(cap, n) in &nodes {
            if self.deadline.poll() {
                return Err(self.timeout());
            }
            match cap {
                Cap::Function => self.function(n),
                Cap::Class => self.class(n),
                Cap::Loop => self.loop_stmt(n),
                Cap::Str => self.string(n),
                Cap::Comment => self.comment(n),
                Cap::Error => self
                    .f
                    .error_spans
                    .push((n.start_byte() as u32, n.end_byte() as u32)),
                Cap::Assign => self.assign(n),
                Cap::Import => self.import(n),
                Cap::Member => self.member(n),
                Cap::Jump => self.jump(n),
                Cap::Visibility => self.f.visibility.push(n.start_byte() as u32),
                Cap::Await => self.await_expr(n),
                Cap::DebugGuard => self
                    .f
                    .debug_guards
                    .push((n.start_byte() as u32, n.end_byte() as u32)),
                Cap::Rescue => self
                    .f
                    .rescues
                    .push((n.start_byte() as u32, n.end_byte() as u32)),
                Cap::Branch => self
                    .f
                    .branches
                    .push((n.start_byte() as u32, n.end_byte() as u32)),
                Cap::DevGuard => self
                    .f
                    .dev_guards
                    .push((n.start_byte() as u32, n.end_byte() as u32)),
                Cap::OnceGuard => self
                    .f
                    .once_guards
                    .push((n.start_byte() as u32, n.end_byte() as u32)),
                Cap::Yield => self.yields.push(self.lines.node(n)),
                // The rest of the block after an early return that fires when a value is
                // there: it runs only when the value is missing.
                Cap::PresentGuard => {
                    if let Some(p) = self.ancestry.parent(n, n) {
                        if p.end_byte() > n.end_byte() {
                            self.f
                                .branches
                                .push((n.end_byte() as u32, p.end_byte() as u32));
                        }
                    }
                }
                Cap::Call | Cap::Awaited | Cap::Other => {}
            }
        }
        self.callback_loops();
        Ok(())
    }

    fn timeout(&self) -> ExtractError {
        ExtractError::AnalysisTimeout(self.deadline.budget())
    }

    // ---------------------------------------------------------------- calls

    fn call(&mut self, n: Node) {
        let mut path = Vec::new();
        let is_new = n.kind_name() == "new_expression";
        let args_node = match self.lang {
            Lang::Ruby => n.field("arguments"),
            _ => n.field("arguments"),
        };
        match self.lang {
            Lang::Ruby if n.kind_name() == "subshell" => path.push(seg("`", true)),
            Lang::Ruby => self.ruby_path(n, &mut path),
            _ => {
                let callee = if is_new {
                    n.field("constructor")
                } else {
                    n.field("function")
                };
                if let Some(c) = callee {
                    self.path_of(c, &mut path);
                }
                if let Some(last) = path.last_mut() {
                    last.called = true;
                }
            }
        }
        if path.is_empty() {
            return;
        }
        let mut args = Vec::new();
        if let Some(a) = args_node {
            self.args(a, &mut args);
        }
        let mut has_block = false;
        if self.lang == Lang::Ruby {
            if let Some(b) = n.field("block") {
                has_block = true;
                // The block's parameters travel in `keys`.
                let mut params = Vec::new();
                if let Some(bp) = b.field("parameters") {
                    collect_identifiers(bp, self.src, &mut params, 8);
                }
                let body = b
                    .field("body")
                    .map(|x| self.lines.node(x))
                    .unwrap_or_else(|| self.lines.node(b));
                args.push(Arg {
                    keyword: None,
                    kind: ArgKind::Function,
                    text: String::new(),
                    keys: params,
                    span: body,
                });
            } else if let Some(a) = args.iter_mut().find(|a| a.text.starts_with("&:")) {
                // `map(&:author)`: a block by symbol.
                a.kind = ArgKind::Other;
            }
        } else if args.iter().any(|a| a.kind == ArgKind::Function) {
            has_block = true;
        }
        if let Some(last) = path.last_mut() {
            // The call's own arguments are in `args`; the segment keeps the first one only
            // (vocabulary checks on SQL text read it), so the text is not stored twice.
            last.args = args.iter().take(1).map(|a| a.text.clone()).collect();
        }
        let awaited = self.awaited.contains(&n.id());
        let recv = if has_block {
            let r = match self.lang {
                Lang::Ruby => n.field("receiver"),
                _ => n.field("function").and_then(|f| f.field("object")),
            };
            r.map(|r| short(self.src, r))
        } else {
            None
        };
        let idx = self.f.calls.len() as Idx;
        self.call_ids.insert(n.id(), idx);
        let span = self.lines.node(n);
        self.f.calls.push(Call {
            span,
            path,
            args,
            awaited,
            is_new,
            has_block,
            recv,
            func: None,
            class: None,
            in_loop: None,
            hash: normalised_hash(text(self.src, n)),
        });
        if let Some(a) = args_node {
            let mut cur = a.walk();
            for child in a.named_children(&mut cur) {
                if is_function_node(self.lang, child.kind_name()) {
                    self.fn_arg_of.insert(child.id(), n.id());
                }
            }
        }
    }

    /// Flattens a callee expression into path segments, iteratively over the object chain.
    fn path_of(&self, callee: Node, out: &mut Vec<Seg>) {
        let mut rev: Vec<Seg> = Vec::new();
        let mut cur = Some(callee);
        let mut guard = 0;
        while let Some(n) = cur {
            guard += 1;
            if guard > 64 {
                rev.push(seg("…", false));
                break;
            }
            match n.kind_name() {
                "member_expression" => {
                    let prop = n.field("property").map(|p| text(self.src, p)).unwrap_or("");
                    rev.push(seg(prop, false));
                    cur = n.field("object");
                }
                "attribute" => {
                    let prop = n
                        .field("attribute")
                        .map(|p| text(self.src, p))
                        .unwrap_or("");
                    rev.push(seg(prop, false));
                    cur = n.field("object");
                }
                "subscript_expression" | "subscript" => {
                    rev.push(seg("[]", false));
                    cur = n.field("object").or_else(|| n.field("value"));
                }
                "call_expression" | "call" => {
                    // A call in the chain: mark the segment it produced as called.
                    let args = first_arg_texts(self.src, n);
                    match n.field("function") {
                        Some(f) => {
                            let mut sub = Vec::new();
                            self.path_of_head(f, &mut sub);
                            match sub.first() {
                                Some(s) => {
                                    let mut s = s.clone();
                                    s.called = true;
                                    s.args = args;
                                    rev.push(s);
                                    cur = next_object(f);
                                }
                                None => cur = None,
                            }
                        }
                        None => cur = None,
                    }
                }
                "await_expression"
                | "await"
                | "parenthesized_expression"
                | "non_null_expression"
                | "as_expression"
                | "satisfies_expression" => {
                    cur = n.named_child(0);
                }
                "new_expression" => {
                    if let Some(c) = n.field("constructor") {
                        let mut s = seg(text(self.src, c), true);
                        s.name = format!("new {}", s.name);
                        rev.push(s);
                    }
                    cur = None;
                }
                "this" | "self" => {
                    rev.push(seg(text(self.src, n), false));
                    cur = None;
                }
                "identifier"
                | "property_identifier"
                | "shorthand_property_identifier"
                | "constant"
                | "type_identifier"
                | "super"
                | "instance_variable" => {
                    rev.push(seg(text(self.src, n), false));
                    cur = None;
                }
                _ => {
                    rev.push(leaf_seg(text(self.src, n)));
                    cur = None;
                }
            }
        }
        rev.reverse();
        out.extend(rev);
    }

    /// The last segment a callee expression names (`b` for `a.b`, `f` for `f`).
    fn path_of_head(&self, n: Node, out: &mut Vec<Seg>) {
        let name = match n.kind_name() {
            "member_expression" => n.field("property").map(|p| text(self.src, p)),
            "attribute" => n.field("attribute").map(|p| text(self.src, p)),
            "identifier" | "property_identifier" | "this" | "super" => Some(text(self.src, n)),
            "subscript_expression" | "subscript" => Some("[]"),
            _ => None,
        };
        match name {
            Some(name) => out.push(seg(name, false)),
            None => {
                // A call on a call or a complex expression: flatten it fully.
                self.path_of(n, out);
            }
        }
    }

    /// Ruby calls carry receiver and method in one node.
    fn ruby_path(&self, n: Node, out: &mut Vec<Seg>) {
        let mut rev: Vec<Seg> = Vec::new();
        let mut cur = Some(n);
        let mut guard = 0;
        while let Some(c) = cur {
            guard += 1;
            if guard > 64 {
                rev.push(seg("…", false));
                break;
            }
            match c.kind_name() {
                "call" => {
                    let method = c
                        .field("method")
                        .map(|m| text(self.src, m))
                        .unwrap_or("call");
                    let args = first_arg_texts(self.src, c);
                    let called = c.field("arguments").is_some() || c.field("block").is_some();
                    let mut s = seg(method, called);
                    s.args = args;
                    rev.push(s);
                    cur = c.field("receiver");
                }
                "scope_resolution" => {
                    rev.push(seg(text(self.src, c), false));
                    cur = None;
                }
                "parenthesized_statements" => cur = c.named_child(0),
                "identifier" | "constant" | "self" | "instance_variable" | "class_variable"
                | "global_variable" => {
                    rev.push(seg(text(self.src, c), false));
                    cur = None;
                }
                _ => {
                    rev.push(leaf_seg(text(self.src, c)));
                    cur = None;
                }
            }
        }
        rev.reverse();
        out.extend(rev);
    }

    fn args(&self, a: Node, out: &mut Vec<Arg>) {
        let mut cur = a.walk();
        for child in a.named_children(&mut cur) {
            if child.kind_name() == "comment" {
                continue;
            }
            let (keyword, value) = match child.kind_name() {
                "keyword_argument" => (
                    child.field("name").map(|k| text(self.src, k).to_string()),
                    child.field("value").unwrap_or(child),
                ),
                "pair" if self.lang == Lang::Ruby => {
                    // Ruby `key: value` in an argument list.
                    let k = child.field("key").map(|k| {
                        text(self.src, k)
                            .trim_end_matches(':')
                            .trim_start_matches(':')
                            .to_string()
                    });
                    (k, child.field("value").unwrap_or(child))
                }
                _ => (None, child),
            };
            let kind = arg_kind(self.lang, value.kind_name());
            let mut keys = Vec::new();
            if kind == ArgKind::Object {
                let mut c2 = value.walk();
                for p in value.named_children(&mut c2) {
                    match p.kind_name() {
                        "pair" => {
                            if let Some(k) = p.field("key") {
                                keys.push(
                                    text(self.src, k)
                                        .trim_matches(|c| c == '"' || c == '\'' || c == ':')
                                        .to_string(),
                                );
                            }
                        }
                        "shorthand_property_identifier" => keys.push(text(self.src, p).to_string()),
                        _ => {}
                    }
                }
            }
            out.push(Arg {
                keyword,
                kind,
                // A function literal's text is its whole body: not needed, not stored.
                text: if kind == ArgKind::Function {
                    String::new()
                } else {
                    short(self.src, value)
                },
                keys,
                span: self.lines.node(child),
            });
        }
        // Ruby trailing hash args are `pair` children directly: gather their keys too.
    }

    // ---------------------------------------------------------------- functions, classes

    fn function(&mut self, n: Node) {
        let src = self.src;
        let name_node = n.field("name");
        let mut name = name_node
            .map(|x| text(src, x).to_string())
            .unwrap_or_default();
        let mut exported = false;
        let mut default_export = false;
        let mut parent = self.ancestry.parent(n, n);
        if name.is_empty() {
            // `const load = async () => {}`, `{ load: () => {} }`, `exports.load = function`.
            if let Some(p) = parent {
                match p.kind_name() {
                    "variable_declarator" => {
                        name = p
                            .field("name")
                            .map(|x| text(src, x).to_string())
                            .unwrap_or_default()
                    }
                    "pair" => {
                        name = p
                            .field("key")
                            .map(|x| text(src, x).to_string())
                            .unwrap_or_default()
                    }
                    "assignment_expression" | "assignment" => {
                        if let Some(l) = p.field("left") {
                            let t = text(src, l);
                            name = t.rsplit('.').next().unwrap_or(t).to_string();
                            exported = t.starts_with("module.exports") || t.starts_with("exports.");
                        }
                    }
                    _ => {}
                }
            }
        }
        // Walk up a few levels for `export`.
        let mut up = 0;
        while let Some(p) = parent {
            if up > 3 {
                break;
            }
            if p.kind_name() == "export_statement" {
                exported = true;
                default_export = text(src, p).trim_start().starts_with("export default");
                break;
            }
            if !matches!(
                p.kind_name(),
                "variable_declarator" | "lexical_declaration" | "variable_declaration"
            ) {
                break;
            }
            parent = self.ancestry.parent(n, p);
            up += 1;
        }
        let is_async = has_child_kind(n, "async");
        let body = n
            .field("body")
            .map(|b| self.lines.node(b))
            .unwrap_or_else(|| self.lines.node(n));
        let mut params = Vec::new();
        let pnode = n.field("parameters").or_else(|| n.field("parameter"));
        if let Some(p) = pnode {
            if p.kind_name() == "identifier" {
                params.push(text(src, p).to_string());
            } else {
                let mut c = p.walk();
                for child in p.named_children(&mut c) {
                    if let Some(id) = first_identifier(child) {
                        params.push(text(src, id).to_string());
                    }
                }
                if let Some(names) = destructured_first_param(p, src) {
                    self.destructured.insert(n.start_byte() as u32, names);
                }
            }
        } else if self.lang == Lang::Ruby && n.kind_name() == "lambda" {
            if let Some(b) = n.field("body") {
                if let Some(bp) = b.field("parameters") {
                    collect_identifiers(bp, src, &mut params, 16);
                }
            }
        }
        let decorators = self.decorators(n);
        let arg_of = self
            .fn_arg_of
            .get(&n.id())
            .and_then(|cid| self.call_ids.get(cid))
            .copied();
        self.f.functions.push(Function {
            span: self.lines.node(n),
            name,
            body,
            is_async,
            params,
            decorators,
            class: None,
            parent: None,
            arg_of,
            exported,
            default_export,
            generator: false,
        });
    }

    fn decorators(&self, n: Node) -> Vec<String> {
        let mut out = Vec::new();
        let strip = |t: &str| t.trim_start_matches('@').trim().to_string();
        // Python: decorated_definition parent.
        if let Some(p) = self.ancestry.parent(n, n) {
            if p.kind_name() == "decorated_definition" {
                let mut c = p.walk();
                for d in p.named_children(&mut c) {
                    if d.kind_name() == "decorator" {
                        out.push(strip(text(self.src, d)));
                    }
                }
                return out;
            }
        }
        // ECMA: decorators of an `export` around the node, decorator children, or decorator
        // siblings right before the node.
        if let Some(p) = self.ancestry.parent(n, n) {
            if p.kind_name() == "export_statement" {
                let mut c = p.walk();
                for d in p.named_children(&mut c) {
                    if d.kind_name() == "decorator" {
                        out.push(strip(text(self.src, d)));
                    }
                }
            }
        }
        let mut c = n.walk();
        for d in n.named_children(&mut c) {
            if d.kind_name() == "decorator" {
                out.push(strip(text(self.src, d)));
            }
        }
        let mut before = Vec::new();
        // No parent: the root, which has no siblings. Under an `export`, the siblings before
        // the node are the export's decorators, taken above.
        if let Some(mut c) = self
            .ancestry
            .parent(n, n)
            .filter(|p| p.kind_name() != "export_statement")
            .and_then(|p| cursor_at(p, n))
        {
            while c.goto_previous_sibling() {
                let p = c.node();
                if !p.is_named() {
                    continue;
                }
                if p.kind_name() != "decorator" {
                    break;
                }
                before.push(strip(text(self.src, p)));
            }
        }
        before.reverse();
        before.extend(out);
        before
    }

    fn class(&mut self, n: Node) {
        let src = self.src;
        let name = n
            .field("name")
            .map(|x| text(src, x).to_string())
            .unwrap_or_default();
        let mut superclasses = Vec::new();
        match self.lang {
            Lang::Python => {
                if let Some(s) = n.field("superclasses") {
                    let mut c = s.walk();
                    for a in s.named_children(&mut c) {
                        if a.kind_name() != "keyword_argument" {
                            superclasses.push(short(src, a));
                        }
                    }
                }
            }
            Lang::Ruby => {
                if let Some(s) = n.field("superclass") {
                    if let Some(e) = s.named_child(0) {
                        superclasses.push(short(src, e));
                    }
                }
            }
            _ => {
                let mut c = n.walk();
                for h in n.named_children(&mut c) {
                    if h.kind_name() == "class_heritage" {
                        // JS: class_heritage > expression; TS: extends_clause > value.
                        let mut c2 = h.walk();
                        for e in h.named_children(&mut c2) {
                            if e.kind_name() == "extends_clause" {
                                if let Some(v) = e.field("value").or_else(|| e.named_child(0)) {
                                    superclasses.push(short(src, v));
                                }
                            } else if e.kind_name() != "implements_clause" {
                                superclasses.push(short(src, e));
                            }
                        }
                    }
                }
            }
        }
        let body = n
            .field("body")
            .map(|b| self.lines.node(b))
            .unwrap_or_else(|| self.lines.node(n));
        let decorators = self.decorators(n);
        let fields = match (self.lang, n.field("body")) {
            (Lang::Python | Lang::Ruby, _) | (_, None) => Vec::new(),
            (_, Some(b)) => self.field_decorators(b),
        };
        self.f.classes.push(Class {
            span: self.lines.node(n),
            name,
            superclasses,
            decorators,
            body,
            fields,
        });
    }

    /// The decorator calls on the fields of an ECMA class body (calls are built by now).
    fn field_decorators(&self, body: Node) -> Vec<FieldDecorator> {
        let mut out = Vec::new();
        let mut c = body.walk();
        for m in body.named_children(&mut c) {
            if !matches!(
                m.kind_name(),
                "public_field_definition" | "field_definition"
            ) {
                continue;
            }
            let Some(name) = m.field("name").or_else(|| m.field("property")) else {
                continue;
            };
            let mut c2 = m.walk();
            for d in m.named_children(&mut c2) {
                if d.kind_name() != "decorator" {
                    continue;
                }
                let Some(call) = d
                    .named_child(0)
                    .filter(|x| x.kind_name() == "call_expression")
                else {
                    continue;
                };
                let Some(&idx) = self.call_ids.get(&call.id()) else {
                    continue;
                };
                let returns = call
                    .field("arguments")
                    .and_then(|a| a.named_child(0))
                    .filter(|f| f.kind_name() == "arrow_function")
                    .and_then(|f| f.field("body"))
                    .filter(|b| matches!(b.kind_name(), "identifier" | "member_expression"))
                    .map(|b| text(self.src, b).to_string());
                out.push(FieldDecorator {
                    name: text(self.src, name).to_string(),
                    call: idx,
                    returns,
                });
            }
        }
        out
    }

    // ---------------------------------------------------------------- loops

    fn loop_stmt(&mut self, n: Node) {
        let src = self.src;
        let kind = match n.kind_name() {
            "while_statement" | "do_statement" | "while" | "until" => LoopKind::While,
            "list_comprehension"
            | "set_comprehension"
            | "dictionary_comprehension"
            | "generator_expression" => LoopKind::Comprehension,
            _ => LoopKind::For,
        };
        let mut iter_node = None;
        let mut indexed_iter: Option<String> = None;
        let mut vars = Vec::new();
        let body;
        let header;
        let mut is_await = false;
        match kind {
            LoopKind::Comprehension => {
                let mut c = n.walk();
                let clause = n
                    .named_children(&mut c)
                    .find(|x| x.kind_name() == "for_in_clause");
                if let Some(cl) = clause {
                    iter_node = cl.field("right");
                    if let Some(l) = cl.field("left") {
                        collect_identifiers(l, src, &mut vars, 16);
                    }
                    header = self.lines.node(cl);
                } else {
                    header = self.lines.node(n);
                }
                body = n
                    .field("body")
                    .map(|b| self.lines.node(b))
                    .unwrap_or(header);
            }
            _ => {
                let b = n.field("body");
                body = b
                    .map(|b| self.lines.node(b))
                    .unwrap_or_else(|| self.lines.node(n));
                // The header: up to the body, and no further than the loop's first line (a
                // comment between header and body is not part of it).
                let line_end = src[n.start_byte()..]
                    .find('\n')
                    .map(|i| n.start_byte() + i)
                    .unwrap_or(src.len());
                let hend = b
                    .map(|b| b.start_byte())
                    .unwrap_or(n.end_byte())
                    .min(line_end);
                header = self
                    .lines
                    .span(n.start_byte(), trim_end(src, n.start_byte(), hend));
                iter_node = n.field("right").or_else(|| n.field("value")).map(|v| {
                    if v.kind_name() == "in" {
                        v.named_child(0).unwrap_or(v)
                    } else {
                        v
                    }
                });
                if kind == LoopKind::While {
                    iter_node = None;
                }
                // `for (let i = 0; i < rows.length; i++)`, `while (i < rows.length)`: the loop
                // walks `rows`.
                if iter_node.is_none() {
                    if let Some(cond) = n.field("condition") {
                        let ct = text(src, cond);
                        if let Some(pos) = ct.find(".length") {
                            let before = &ct[..pos];
                            let start = before
                                .rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
                                .map(|i| i + 1)
                                .unwrap_or(0);
                            let name = &before[start..];
                            if !name.is_empty() && before[..start].trim_end().ends_with('<') {
                                indexed_iter = Some(name.to_string());
                            }
                        }
                    }
                }
                let left = n.field("left").or_else(|| n.field("pattern"));
                if let Some(l) = left {
                    collect_identifiers(l, src, &mut vars, 16);
                }
                is_await = n
                    .field("kind")
                    .map(|k| k.kind_name() == "await")
                    .unwrap_or(false)
                    || has_child_kind(n, "await")
                    // Python `async for`.
                    || has_child_kind(n, "async");
            }
        }
        // `while True:` / `while (true)` / `loop do`: a service loop, not a loop over data;
        // `range(10)`: a few fixed passes.
        let forever = kind == LoopKind::While
            && n.field("condition")
                .map(|c| {
                    matches!(
                        text(src, c).trim_matches(|ch| ch == '(' || ch == ')' || ch == ' '),
                        "true" | "True" | "1"
                    )
                })
                .unwrap_or(false);
        let small_range = iter_node.is_some_and(|i| {
            let t = text(src, i);
            t.strip_prefix("range(")
                .and_then(|r| r.strip_suffix(')'))
                .and_then(|r| r.trim().parse::<u32>().ok())
                .is_some_and(|n| n <= 16)
        });
        let literal_iter =
            forever || small_range || iter_node.map(is_literal_collection).unwrap_or(false);
        self.f.loops.push(Loop {
            kind,
            span: self.lines.node(n),
            header,
            body,
            iter: iter_node.map(|i| short(src, i)).or(indexed_iter),
            iter_span: iter_node.map(|i| self.lines.node(i)),
            vars,
            literal_iter,
            is_await,
            method: None,
            runs_once: false,
            parent: None,
            func: None,
        });
    }

    /// Calls to iterating methods with a function literal (ECMA) or a block (Ruby) become
    /// loops whose body is that function or block.
    fn callback_loops(&mut self) {
        let n_calls = self.f.calls.len();
        for ci in 0..n_calls {
            let call = &self.f.calls[ci];
            if !call.has_block || call.path.len() < 2 {
                continue;
            }
            let method = call.method();
            let iterating = match self.lang {
                Lang::Ruby => RUBY_ITERATORS.contains(&method),
                Lang::Python => false,
                _ => ECMA_ITERATORS.contains(&method),
            };
            if !iterating {
                continue;
            }
            let Some(fn_arg) = call.args.iter().find(|a| a.kind == ArgKind::Function) else {
                continue;
            };
            let recv_text = call.recv.clone().unwrap_or_else(|| call.receiver());
            // The body: for ECMA the function literal's body; for Ruby the block.
            let (body, vars) = match self.lang {
                Lang::Ruby => (fn_arg.span, fn_arg.keys.clone()),
                _ => {
                    let f = self.f.functions.iter().find(|f| f.span == fn_arg.span);
                    match f {
                        // A destructured first parameter binds several names, as
                        // `for (const [id, user] of rows)` does.
                        Some(f) => (
                            f.body,
                            self.destructured
                                .get(&f.span.start)
                                .cloned()
                                .unwrap_or_else(|| f.params.iter().take(1).cloned().collect()),
                        ),
                        None => (fn_arg.span, Vec::new()),
                    }
                }
            };
            let header = self.lines.span(
                call.span.start as usize,
                (body.start as usize).max(call.span.start as usize),
            );
            let literal_iter = recv_text.starts_with('[') || recv_text.starts_with("%w");
            let iter = if recv_text.is_empty() {
                None
            } else {
                Some(recv_text)
            };
            let method = Some(method.to_string());
            self.f.loops.push(Loop {
                kind: LoopKind::Callback,
                span: call.span,
                header,
                body,
                iter,
                iter_span: None,
                vars,
                literal_iter,
                is_await: false,
                method,
                runs_once: false,
                parent: None,
                func: None,
            });
        }
    }

    fn jump(&mut self, n: Node) {
        self.f
            .exits
            .push((n.start_byte() as u32, n.end_byte() as u32));
        self.f.exit_texts.push(short(self.src, n));
        // A `return`/`break` that is the last statement of a body: if that body is a loop's
        // (decided in `finish`, once callback loops exist), the loop runs once.
        let Some(p) = self.ancestry.parent(n, n) else {
            return;
        };
        if let Some(mut c) = cursor_at(p, n) {
            while c.goto_next_sibling() {
                if c.node().is_named() {
                    return;
                }
            }
        }
        let body = if p.kind_name() == "expression_statement" {
            self.ancestry.parent(n, p)
        } else {
            Some(p)
        };
        if let Some(b) = body {
            if b.kind_name() == "expression_statement" {
                return;
            }
            self.jumps
                .push((b.start_byte() as u32, b.end_byte() as u32));
        }
    }

    // ---------------------------------------------------------------- strings

    fn string(&mut self, n: Node) {
        let src = self.src;
        let whole = text(src, n);
        if !whole.contains('*') {
            let inner = whole.trim_matches(|c| c == '"' || c == '\'');
            if MARKERS.contains(&inner) {
                self.f.markers.push(inner.to_string());
            }
            return;
        }
        // Strings that are part of a larger string node are handled by their parent.
        if let Some(p) = n.parent() {
            if matches!(p.kind_name(), "string" | "template_string") {
                return;
            }
            // Text shown to people, not run: `placeholder: 'SELECT * FROM t LIMIT 10'`,
            // `help_text="..."`.
            if matches!(p.kind_name(), "pair" | "keyword_argument") {
                let key = p
                    .field("key")
                    .or_else(|| p.field("name"))
                    .map(|k| text(src, k).trim_matches(['"', '\'', ':']))
                    .unwrap_or("");
                if p.field("value").is_some_and(|v| v.id() == n.id()) && DISPLAY_KEYS.contains(&key)
                {
                    return;
                }
            }
        }
        // The content range: between the delimiters.
        let (start, end) = match n.kind_name() {
            "heredoc_body" => {
                let end = n
                    .named_children(&mut n.walk())
                    .find(|c| c.kind_name() == "heredoc_end")
                    .map(|e| e.start_byte())
                    .unwrap_or(n.end_byte());
                (n.start_byte(), end)
            }
            _ if self.lang == Lang::Python => {
                let s = n
                    .child(0)
                    .filter(|c| c.kind_name() == "string_start")
                    .map(|c| c.end_byte());
                let e = n
                    .child(n.child_count().saturating_sub(1))
                    .filter(|c| c.kind_name() == "string_end")
                    .map(|c| c.start_byte());
                (s.unwrap_or(n.start_byte()), e.unwrap_or(n.end_byte()))
            }
            _ => {
                // Quote characters: one byte each side for '...', "...", `...`; Ruby %q() too.
                let open = whole
                    .find(['"', '\'', '`', '(', '{', '[', '<', '|'])
                    .unwrap_or(0);
                let s = n.start_byte() + open + 1;
                let e = n.end_byte().saturating_sub(1).max(s);
                (s, e)
            }
        };
        if start >= end {
            return;
        }
        let mut bytes: Vec<u8> = src.as_bytes()[start..end].to_vec();
        // Interpolations become `?` padded with spaces, escape sequences spaces, so every
        // byte keeps its offset.
        let mut stack = vec![n];
        let mut guard = 0;
        while let Some(x) = stack.pop() {
            guard += 1;
            if guard > 10_000 {
                break;
            }
            let mut c = x.walk();
            for ch in x.named_children(&mut c) {
                let (s, e) = (ch.start_byte(), ch.end_byte());
                if s < start || e > end {
                    continue;
                }
                match ch.kind_name() {
                    "template_substitution" | "interpolation" => {
                        for (k, b) in bytes[s - start..e - start].iter_mut().enumerate() {
                            *b = if k == 0 {
                                b'?'
                            } else if *b == b'\n' || *b == b'\r' {
                                *b
                            } else {
                                b' '
                            };
                        }
                    }
                    // `\n`, `\t`, `\r` are white space to SQL; other escapes stay as written
                    // (a `\\*` in a regex source is not a wildcard).
                    "escape_sequence" if matches!(text(src, ch), "\\n" | "\\t" | "\\r") => {
                        for b in &mut bytes[s - start..e - start] {
                            *b = b' ';
                        }
                    }
                    _ => stack.push(ch),
                }
            }
        }
        let Ok(text_s) = String::from_utf8(bytes) else {
            return;
        };
        let lower_has_select = text_s
            .as_bytes()
            .windows(6)
            .any(|w| w.eq_ignore_ascii_case(b"select"));
        if !lower_has_select {
            return;
        }
        let (text_line, text_col) = self.lines.pos(start);
        self.f.strings.push(StrLit {
            span: self.lines.node(n),
            text_start: start as u32,
            text: text_s,
            func: None,
            text_line,
            text_col,
        });
    }

    // ---------------------------------------------------------------- awaits

    /// How many statements of `block` (its named children other than comments) come before
    /// `stmt`; `None` when `stmt` is not a child of `block`. One pass per block, however many
    /// awaits it holds.
    fn statement_index(&mut self, block: Node, stmt: Node) -> Option<usize> {
        let indexes = self.statement_indexes.entry(block.id()).or_insert_with(|| {
            let mut out = FastMap::default();
            let mut count = 0;
            let mut c = block.walk();
            for k in block.named_children(&mut c) {
                out.insert(k.id(), count);
                if k.kind_name() != "comment" {
                    count += 1;
                }
            }
            out
        });
        indexes.get(&stmt.id()).copied()
    }

    fn await_expr(&mut self, n: Node) {
        let src = self.src;
        let Some(expr) = n.named_child(0) else { return };
        // Up to the statement: a few hops through declarators and assignments.
        let mut stmt = n;
        let mut usage = AwaitUse::Other;
        let mut target: Option<Node> = None;
        let mut hops = 0;
        loop {
            hops += 1;
            let Some(p) = self.ancestry.parent(n, stmt) else {
                return;
            };
            if hops > 6 {
                return;
            }
            match p.kind_name() {
                "variable_declarator" if stmt.kind_name() == "await_expression" => {
                    target = p.field("name");
                    stmt = p;
                }
                "lexical_declaration" | "variable_declaration" => {
                    let decl_kind = p.child(0).map(|k| k.kind_name()).unwrap_or("");
                    let n_decl = p
                        .named_children(&mut p.walk())
                        .filter(|c| c.kind_name() == "variable_declarator")
                        .count();
                    usage = if n_decl != 1 {
                        AwaitUse::Other
                    } else if decl_kind == "const"
                        && target.is_some_and(|t| t.kind_name() == "identifier")
                    {
                        AwaitUse::Const
                    } else {
                        AwaitUse::Decl
                    };
                    stmt = p;
                    break;
                }
                "assignment_expression" | "assignment"
                    if p.field("right").map(|r| r.id()) == Some(stmt.id()) =>
                {
                    target = p.field("left");
                    let single = target.is_some_and(|t| t.kind_name() == "identifier");
                    usage = if self.lang == Lang::Python && single {
                        AwaitUse::Const
                    } else if self.lang == Lang::Python {
                        AwaitUse::Decl
                    } else {
                        AwaitUse::Assign
                    };
                    stmt = p;
                }
                "expression_statement" => {
                    if usage == AwaitUse::Other && stmt.id() == n.id() {
                        usage = AwaitUse::Expr;
                    }
                    stmt = p;
                    break;
                }
                "return_statement" if stmt.id() == n.id() => {
                    usage = AwaitUse::Return;
                    stmt = p;
                    break;
                }
                "parenthesized_expression" => stmt = p,
                _ => {
                    // The await sits inside a larger expression: find the statement anyway.
                    usage = AwaitUse::Other;
                    stmt = p;
                    if p.kind_name().ends_with("statement")
                        || p.kind_name() == "lexical_declaration"
                    {
                        break;
                    }
                }
            }
        }
        let Some(block) = self.ancestry.parent(n, stmt) else {
            return;
        };
        if !matches!(
            block.kind_name(),
            "statement_block" | "block" | "program" | "module" | "switch_case" | "switch_default"
        ) {
            return;
        }
        let in_finally = self
            .ancestry
            .parent(n, block)
            .is_some_and(|p| matches!(p.kind_name(), "finally_clause" | "finally"));
        // The statement's index among its siblings (bounded).
        // `stmt` is a child of `block` (its parent, above).
        let Some(index) = self.statement_index(block, stmt) else {
            return;
        };
        if index > 100_000 {
            return;
        }
        let index = index as u32;
        let mut binds = Vec::new();
        if let Some(t) = target {
            match t.kind_name() {
                "identifier" => binds.push(text(src, t).to_string()),
                "member_expression" | "attribute" | "subscript" | "subscript_expression" => {
                    if let Some(root) = first_identifier(t) {
                        binds.push(text(src, root).to_string());
                    }
                }
                _ => collect_identifiers(t, src, &mut binds, 32),
            }
        }
        let mut reads = Vec::new();
        collect_identifiers(expr, src, &mut reads, 64);
        let mut inner = expr;
        let mut hops = 0;
        while inner.kind_name() == "parenthesized_expression" && hops < 4 {
            match inner.named_child(0) {
                Some(x) => inner = x,
                None => break,
            }
            hops += 1;
        }
        let call = self.call_ids.get(&inner.id()).copied();
        let stmt_span = self.lines.node(stmt);
        // Several awaits in one statement: mark both.
        let same = self
            .await_stmts
            .entry((stmt_span.start, stmt_span.end))
            .or_default();
        for &i in same.iter() {
            self.f.awaits[i as usize].multi = true;
        }
        let multi = !same.is_empty();
        same.push(self.f.awaits.len() as Idx);
        self.f.awaits.push(Await {
            stmt: stmt_span,
            expr: self.lines.node(expr),
            expr_text: short(src, expr),
            block: block.start_byte() as u32,
            index,
            usage,
            binds,
            target: target.map(|t| short(src, t)).unwrap_or_default(),
            reads,
            call,
            multi,
            in_finally,
            func: None,
        });
    }

    // ---------------------------------------------------------------- comments

    fn comment(&mut self, n: Node) {
        let t = text(self.src, n);
        // Only comments that can matter are kept.
        if !(t.contains("n1lint") || t.contains("expect:")) {
            return;
        }
        let (line, _) = self.lines.pos(n.start_byte());
        let ls = self.lines.starts[(line - 1) as usize] as usize;
        let own_line = self
            .src
            .get(ls..n.start_byte())
            .map(|p| p.trim().is_empty())
            .unwrap_or(false);
        let target = if own_line {
            // The next line that is not a comment or blank.
            (line + 1, line + 1)
        } else {
            let mut first = line;
            let mut last = line;
            // The statement the comment ends: the outermost node ending on this line
            // before the comment.
            let mut prev = n.prev_sibling();
            if prev.is_none() {
                prev = n.parent();
            }
            if let Some(p) = prev {
                let mut top = p;
                let mut hops = 0;
                while let Some(pp) = top.parent() {
                    hops += 1;
                    if hops > 32
                        || pp.end_byte() > n.start_byte()
                        || pp.kind_name().contains("program")
                        || pp.kind_name() == "module"
                    {
                        break;
                    }
                    if matches!(
                        pp.kind_name(),
                        "block" | "statement_block" | "body_statement" | "class_body"
                    ) {
                        break;
                    }
                    top = pp;
                }
                let (l1, _) = self.lines.pos(top.start_byte());
                let (l2, _) = self.lines.pos(top.end_byte());
                if l2 == line {
                    first = l1.min(line);
                    last = line;
                }
            }
            (first, last)
        };
        let before = self.src.get(ls..n.start_byte()).unwrap_or("").as_bytes();
        let lead = before
            .iter()
            .rev()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count() as u32;
        let after = self.src.as_bytes().get(n.end_byte()..).unwrap_or(&[]);
        let eol = if after.starts_with(b"\r\n") {
            2
        } else {
            u8::from(after.first() == Some(&b'\n'))
        };
        self.f.comments.push(Comment {
            span: self.lines.node(n),
            text: t.to_string(),
            own_line,
            target,
            lead,
            eol,
        });
    }

    // ---------------------------------------------------------------- assignments, imports

    fn assign(&mut self, n: Node) {
        let src = self.src;
        let (left, right) = match n.kind_name() {
            "variable_declarator" => (n.field("name"), n.field("value")),
            _ => (n.field("left"), n.field("right")),
        };
        let (Some(left), Some(right)) = (left, right) else {
            return;
        };
        let mut targets = Vec::new();
        match left.kind_name() {
            "identifier" | "instance_variable" | "constant" => {
                targets.push(text(src, left).to_string())
            }
            "member_expression"
            | "attribute"
            | "call"
            | "element_reference"
            | "subscript"
            | "subscript_expression" => targets.push(text(src, left).to_string()),
            _ => collect_identifiers(left, src, &mut targets, 16),
        }
        let mut value = right;
        let mut hops = 0;
        while matches!(
            value.kind_name(),
            "await_expression"
                | "await"
                | "parenthesized_expression"
                | "as_expression"
                | "non_null_expression"
        ) && hops < 8
        {
            match value.named_child(0) {
                Some(v) => value = v,
                None => break,
            }
            hops += 1;
        }
        let value_call = self.call_ids.get(&value.id()).copied();
        // `const x = require("./m")` and `const { a, b } = require("./m")` are imports.
        if let Some(ci) = value_call {
            let c = &self.f.calls[ci as usize];
            if c.path.len() == 1 && c.root() == "require" {
                if let Some(a) = c.args.first() {
                    let source = a
                        .text
                        .trim_matches(|ch| ch == '"' || ch == '\'' || ch == '`')
                        .to_string();
                    if left.kind_name() == "identifier" {
                        self.f.imports.push(Import {
                            local: targets[0].clone(),
                            imported: "*".into(),
                            source,
                            lazy: false,
                        });
                    } else if left.kind_name() == "object_pattern" {
                        let mut c2 = left.walk();
                        for p in left.named_children(&mut c2) {
                            match p.kind_name() {
                                "shorthand_property_identifier_pattern" => {
                                    let name = text(src, p).to_string();
                                    self.f.imports.push(Import {
                                        local: name.clone(),
                                        imported: name,
                                        source: source.clone(),
                                        lazy: false,
                                    });
                                }
                                "pair_pattern" => {
                                    let k = p
                                        .field("key")
                                        .map(|k| text(src, k).to_string())
                                        .unwrap_or_default();
                                    let v = p
                                        .field("value")
                                        .map(|k| text(src, k).to_string())
                                        .unwrap_or_default();
                                    self.f.imports.push(Import {
                                        local: v,
                                        imported: k,
                                        source: source.clone(),
                                        lazy: false,
                                    });
                                }
                                _ => {}
                            }
                        }
                    }
                }
            }
        }
        self.f.assigns.push(Assign {
            span: self.lines.node(n),
            targets,
            value_call,
            value_text: short(src, value),
            func: None,
            class: None,
            annotation: n
                .field("type")
                .filter(|_| self.lang == Lang::Python)
                .map(|t| short(src, t)),
        });
    }

    /// Is this Python import not run when the module loads: inside a function, or under
    /// `if TYPE_CHECKING:`?
    fn lazy_import(&self, n: Node) -> bool {
        let mut p = self.ancestry.parent(n, n);
        while let Some(x) = p {
            let type_checking = || {
                x.field("condition")
                    .is_some_and(|c| text(self.src, c).contains("TYPE_CHECKING"))
                    && x.field("consequence")
                        .is_some_and(|b| b.byte_range().contains(&n.start_byte()))
            };
            match x.kind_name() {
                "function_definition" | "lambda" => return true,
                "if_statement" if type_checking() => return true,
                _ => {}
            }
            p = self.ancestry.parent(n, x);
        }
        false
    }

    fn import(&mut self, n: Node) {
        let src = self.src;
        match self.lang {
            Lang::Python => {
                let module = n.field("module_name").map(|m| text(src, m).to_string());
                let lazy = self.lazy_import(n);
                let mut c = n.walk();
                for name in n.children_by_field_name("name", &mut c) {
                    let (imported, local) = match name.kind_name() {
                        "aliased_import" => (
                            name.field("name")
                                .map(|x| text(src, x).to_string())
                                .unwrap_or_default(),
                            name.field("alias")
                                .map(|x| text(src, x).to_string())
                                .unwrap_or_default(),
                        ),
                        _ => {
                            let t = text(src, name).to_string();
                            (t.clone(), t)
                        }
                    };
                    match &module {
                        Some(m) => self.f.imports.push(Import {
                            local,
                            imported,
                            source: m.clone(),
                            lazy,
                        }),
                        None => self.f.imports.push(Import {
                            local: local.clone(),
                            imported: "*".into(),
                            source: imported,
                            lazy,
                        }),
                    }
                }
            }
            _ => {
                let Some(source) = n.field("source") else {
                    return;
                };
                let source = text(src, source)
                    .trim_matches(|c| c == '"' || c == '\'')
                    .to_string();
                let mut stack = vec![n];
                let mut guard = 0;
                while let Some(x) = stack.pop() {
                    guard += 1;
                    if guard > 1000 {
                        break;
                    }
                    let mut c = x.walk();
                    for ch in x.named_children(&mut c) {
                        match ch.kind_name() {
                            "import_clause" | "named_imports" => stack.push(ch),
                            "identifier" => self.f.imports.push(Import {
                                local: text(src, ch).to_string(),
                                imported: "default".into(),
                                source: source.clone(),
                                lazy: false,
                            }),
                            "namespace_import" => {
                                if let Some(id) = first_identifier(ch) {
                                    self.f.imports.push(Import {
                                        local: text(src, id).to_string(),
                                        imported: "*".into(),
                                        source: source.clone(),
                                        lazy: false,
                                    })
                                }
                            }
                            "import_specifier" => {
                                let name = ch
                                    .field("name")
                                    .map(|x| text(src, x).to_string())
                                    .unwrap_or_default();
                                let local = ch
                                    .field("alias")
                                    .map(|x| text(src, x).to_string())
                                    .unwrap_or_else(|| name.clone());
                                self.f.imports.push(Import {
                                    local,
                                    imported: name,
                                    source: source.clone(),
                                    lazy: false,
                                });
                            }
                            _ => {}
                        }
                    }
                }
            }
        }
    }

    fn member(&mut self, n: Node<'a>) {
        self.member_nodes.push(n);
    }

    // ---------------------------------------------------------------- linking

    fn finish(mut self) -> Result<FileFacts, ExtractError> {
        let deadline = self.deadline;
        let timeout = ExtractError::AnalysisTimeout(deadline.budget());
        // Ruby member chains: calls without arguments on a plain name (`post.author.name`).
        if self.lang == Lang::Ruby {
            for c in &self.f.calls {
                if deadline.poll() {
                    return Err(timeout);
                }
                if c.path.len() >= 2
                    && c.path.iter().skip(1).all(|s| !s.called)
                    && c.path[0]
                        .name
                        .chars()
                        .next()
                        .is_some_and(|ch| ch.is_lowercase() || ch == '_' || ch == '@')
                {
                    self.pending_members
                        .push((c.span, c.path.iter().map(|s| s.name.clone()).collect()));
                }
            }
        }
        let f = &mut self.f;
        let jumps: std::collections::HashSet<(u32, u32)> = self.jumps.iter().copied().collect();
        for l in f.loops.iter_mut() {
            if deadline.poll() {
                return Err(timeout);
            }
            // A `return` in a JavaScript callback ends one call of it, not the loop.
            if l.kind == LoopKind::Callback && self.lang.is_ecma() {
                continue;
            }
            if jumps.contains(&(l.body.start, l.body.end)) {
                l.runs_once = true;
            }
        }
        // Byte ranges in one order whatever order the captures came in (the walk and the
        // query cursor report patterns of several nodes at different moments).
        for spans in [
            &mut f.debug_guards,
            &mut f.dev_guards,
            &mut f.once_guards,
            &mut f.rescues,
            &mut f.branches,
            &mut f.error_spans,
        ] {
            spans.sort_unstable();
            spans.dedup();
        }
        // Containers, sorted by start then by size (outer first).
        let func_spans: Vec<Span> = f.functions.iter().map(|x| x.span).collect();
        let func_nest = Nest::new(&func_spans);
        let func_of = |span: &Span| func_nest.innermost(span);
        let class_spans: Vec<Span> = f.classes.iter().map(|x| x.span).collect();
        let class_nest = Nest::new(&class_spans);

        // Function parents and classes.
        for i in 0..f.functions.len() {
            if deadline.poll() {
                return Err(timeout);
            }
            let s = f.functions[i].span;
            let parent = func_nest.innermost_excluding(&s, i);
            f.functions[i].parent = parent;
            let class = class_nest.innermost(&s);
            // A method belongs to a class only when no function sits between them.
            f.functions[i].class = match (class, parent) {
                (Some(c), Some(p)) if class_spans[c as usize].contains(&func_spans[p as usize]) => {
                    None
                }
                (c, _) => c,
            };
        }
        for y in &self.yields {
            if let Some(fi) = func_of(y) {
                f.functions[fi as usize].generator = true;
            }
        }
        // Loop nesting.
        let loop_body_spans: Vec<Span> = f.loops.iter().map(|l| l.body).collect();
        let loop_nest = Nest::new(&loop_body_spans);
        for i in 0..f.loops.len() {
            if deadline.poll() {
                return Err(timeout);
            }
            let s = f.loops[i].span;
            f.loops[i].func = func_of(&s);
            f.loops[i].parent = loop_nest.innermost_excluding(&s, i);
        }
        // Calls: function, class, loop.
        let loops = f.loops.clone();
        let functions = f.functions.clone();
        let inline_fn: Vec<bool> = f
            .functions
            .iter()
            .map(|func| {
                func.arg_of.is_some_and(|ci| {
                    let m = f.calls[ci as usize].method();
                    ECMA_INLINE_CALLBACKS.contains(&m)
                })
            })
            .collect();
        let in_loop_of = |span: &Span| -> Option<Idx> {
            let li = loop_nest.innermost(span)?;
            let lb = loops[li as usize].body;
            // A function literal inside the loop body around the span (not the loop's own
            // callback, not one that runs inline) cuts the link.
            if func_nest.any_containing(span, &lb, |fi| functions[fi].body != lb && !inline_fn[fi])
            {
                return None;
            }
            Some(li)
        };
        for c in f.calls.iter_mut() {
            if deadline.poll() {
                return Err(timeout);
            }
            c.func = func_of(&c.span);
            c.class = class_nest.innermost(&c.span);
            c.in_loop = in_loop_of(&c.span);
        }
        for s in f.strings.iter_mut() {
            if deadline.poll() {
                return Err(timeout);
            }
            s.func = func_of(&s.span);
        }
        for a in f.awaits.iter_mut() {
            if deadline.poll() {
                return Err(timeout);
            }
            a.func = func_of(&a.expr);
        }
        for a in f.assigns.iter_mut() {
            if deadline.poll() {
                return Err(timeout);
            }
            a.func = func_of(&a.span);
            a.class = class_nest.innermost(&a.span);
        }
        let mut pending = std::mem::take(&mut self.pending_members);
        // Inner chains share their start with the outer one and lie in the same loops, so
        // the ones outside loops can go before the duplicates do.
        for &n in &self.member_nodes {
            if deadline.poll() {
                return Err(timeout);
            }
            let bytes = Span {
                start: n.start_byte() as u32,
                end: n.end_byte() as u32,
                ..Span::default()
            };
            if in_loop_of(&bytes).is_none() {
                continue;
            }
            if let Some(path) = member_path(self.src, n) {
                pending.push((self.lines.node(n), path));
            }
        }
        pending.sort_by_key(|(s, _)| (s.start, std::cmp::Reverse(s.end)));
        pending.dedup_by_key(|(s, _)| s.start);
        for (span, path) in pending {
            if deadline.poll() {
                return Err(timeout);
            }
            let Some(li) = in_loop_of(&span) else {
                continue;
            };
            let hash = normalised_hash(
                self.src
                    .get(span.start as usize..span.end as usize)
                    .unwrap_or(""),
            );
            f.members.push(Member {
                span,
                path,
                in_loop: Some(li),
                func: func_of(&span),
                hash,
            });
        }
        Ok(std::mem::replace(
            &mut self.f,
            FileFacts {
                lang: self.lang,
                functions: Vec::new(),
                classes: Vec::new(),
                loops: Vec::new(),
                calls: Vec::new(),
                strings: Vec::new(),
                comments: Vec::new(),
                assigns: Vec::new(),
                imports: Vec::new(),
                members: Vec::new(),
                visibility: Vec::new(),
                awaits: Vec::new(),
                debug_guards: Vec::new(),
                rescues: Vec::new(),
                branches: Vec::new(),
                dev_guards: Vec::new(),
                once_guards: Vec::new(),
                markers: Vec::new(),
                exit_texts: Vec::new(),
                exits: Vec::new(),
                error_spans: Vec::new(),
                lines: 0,
                lookup: Default::default(),
            },
        ))
    }
}

/// The names of member chain `n` rooted at a plain name (`a.b.c` → `a`, `b`, `c`);
/// `None` for other chains (`f().b`).
fn member_path(src: &str, n: Node) -> Option<Vec<String>> {
    let mut path = Vec::new();
    let mut cur = n;
    let mut guard = 0;
    loop {
        guard += 1;
        if guard > 32 {
            return None;
        }
        match cur.kind_name() {
            "member_expression" | "attribute" => {
                let prop = cur
                    .field("property")
                    .or_else(|| cur.field("attribute"))
                    .map(|p| text(src, p))
                    .unwrap_or("");
                path.push(prop.to_string());
                cur = cur.field("object")?;
            }
            "identifier" | "this" => {
                path.push(text(src, cur).to_string());
                break;
            }
            _ => return None,
        }
    }
    path.reverse();
    Some(path)
}

/// A cursor on `n` among the children of its parent `p`; `None` when `n` is not one of them.
/// `Node::prev_named_sibling` and `next_named_sibling` find the parent again from the root on
/// every call.
fn cursor_at<'t>(p: Node<'t>, n: Node) -> Option<tree_sitter::TreeCursor<'t>> {
    let mut c = p.walk();
    if c.goto_first_child_for_byte(n.start_byte()).is_some() && c.node().id() == n.id() {
        return Some(c);
    }
    // A zero-width node (a MISSING token) that the search by byte passes over: one pass
    // over the children.
    c.reset(p);
    if !c.goto_first_child() {
        return None;
    }
    while c.node().id() != n.id() {
        if !c.goto_next_sibling() {
            return None;
        }
    }
    Some(c)
}

/// The segment for an expression a path cannot look into (a literal, a lambda): its text
/// when short and on one line, else `…`.
fn leaf_seg(t: &str) -> Seg {
    seg(
        if t.len() > 40 || t.contains('\n') {
            "…"
        } else {
            t
        },
        false,
    )
}

/// The texts (short) of a call node's first four arguments.
fn first_arg_texts(src: &str, call: Node) -> Vec<String> {
    call.field("arguments")
        .map(|a| {
            let mut w = a.walk();
            a.named_children(&mut w)
                .take(4)
                .map(|x| short(src, x))
                .collect()
        })
        .unwrap_or_default()
}

fn seg(name: &str, called: bool) -> Seg {
    Seg {
        name: name.to_string(),
        called,
        args: Vec::new(),
    }
}

fn next_object(f: Node) -> Option<Node> {
    match f.kind_name() {
        "member_expression" | "attribute" => f.field("object"),
        "subscript_expression" | "subscript" => f.field("object").or_else(|| f.field("value")),
        _ => None,
    }
}

fn is_function_node(lang: Lang, kind: &str) -> bool {
    match lang {
        Lang::Python => kind == "lambda",
        Lang::Ruby => kind == "lambda",
        _ => matches!(kind, "arrow_function" | "function_expression" | "function"),
    }
}

fn arg_kind(lang: Lang, kind: &str) -> ArgKind {
    match kind {
        "string"
        | "template_string"
        | "concatenated_string"
        | "heredoc_beginning"
        | "simple_symbol" => ArgKind::String,
        "number" | "integer" | "float" => ArgKind::Number,
        "identifier" | "constant" => ArgKind::Ident,
        "object" | "dictionary" | "hash" => ArgKind::Object,
        "array" | "list" | "tuple" => ArgKind::Array,
        k if is_function_node(lang, k) => ArgKind::Function,
        _ => ArgKind::Other,
    }
}

fn has_child_kind(n: Node, kind: &str) -> bool {
    let mut c = n.walk();
    let found = n.children(&mut c).take(4).any(|x| x.kind_name() == kind);
    found
}

fn first_identifier(n: Node) -> Option<Node> {
    let mut stack = vec![n];
    let mut guard = 0;
    while let Some(x) = stack.pop() {
        guard += 1;
        if guard > 256 {
            return None;
        }
        if matches!(
            x.kind_name(),
            "identifier" | "shorthand_property_identifier_pattern"
        ) {
            return Some(x);
        }
        let mut c = x.walk();
        let children: Vec<Node> = x.named_children(&mut c).collect();
        for ch in children.into_iter().rev() {
            if ch.kind_name() == "type_annotation" || ch.kind_name() == "type" {
                continue;
            }
            stack.push(ch);
        }
    }
    None
}

/// The names bound by an ECMA function's first parameter when it is an array or object
/// pattern (`[ldapId, user]`, `{ id, name: label }`, TypeScript's `{ id }: Row`); `None`
/// for a plain name.
fn destructured_first_param(params: Node, src: &str) -> Option<Vec<String>> {
    let mut c = params.walk();
    let first = params.named_children(&mut c).next()?;
    // TypeScript wraps each parameter (`required_parameter`, `optional_parameter`).
    let pattern = first.field("pattern").unwrap_or(first);
    if !matches!(pattern.kind_name(), "array_pattern" | "object_pattern") {
        return None;
    }
    let mut names = Vec::new();
    collect_identifiers(pattern, src, &mut names, 16);
    (!names.is_empty()).then_some(names)
}

fn collect_identifiers(n: Node, src: &str, out: &mut Vec<String>, max: usize) {
    let mut stack = vec![n];
    let mut guard = 0;
    while let Some(x) = stack.pop() {
        guard += 1;
        if guard > 512 || out.len() >= max {
            return;
        }
        match x.kind_name() {
            "identifier" | "shorthand_property_identifier_pattern" => {
                out.push(text(src, x).to_string());
                continue;
            }
            "type_annotation" | "type" | "default_value" => continue,
            _ => {}
        }
        let mut c = x.walk();
        let children: Vec<Node> = x.named_children(&mut c).collect();
        for ch in children.into_iter().rev() {
            stack.push(ch);
        }
    }
}

fn is_literal_collection(n: Node) -> bool {
    if !matches!(n.kind_name(), "array" | "list" | "tuple" | "set") {
        return false;
    }
    let mut c = n.walk();
    let children: Vec<Node> = n.named_children(&mut c).collect();
    children.len() <= 16
        && children.iter().all(|x| {
            matches!(
                x.kind_name(),
                "string"
                    | "number"
                    | "integer"
                    | "float"
                    | "simple_symbol"
                    | "true"
                    | "false"
                    | "identifier"
                    | "constant"
            )
        })
}

fn trim_end(src: &str, start: usize, end: usize) -> usize {
    let s = src.get(start..end).unwrap_or("");
    start + s.trim_end().len()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Columns count characters: bytes on an ASCII line, chars after a non-ASCII one.
    #[test]
    fn columns_count_characters() {
        let src = "ab\r\né = 1\rx\n";
        let l = Lines::new(src);
        assert_eq!(l.pos(1), (1, 2));
        // `=` after a two-byte `é`: byte 8, column 3.
        assert_eq!(l.pos(src.find('=').unwrap()), (2, 3));
        assert_eq!(l.pos(src.find('x').unwrap()), (3, 1));
        assert_eq!(l.pos(src.len()), (4, 1));
    }

    /// An await's statement index counts the statements before it in its block, comments
    /// not counted; a block with thousands of awaits is read once, not once per await.
    #[test]
    fn await_statement_indexes() {
        let mut src = String::from("import db from './db.js';\n");
        for i in 0..3000 {
            if i % 3 == 0 {
                src.push_str("// a comment\n");
            }
            src.push_str(&format!("const r{i} = await db.query({i});\n"));
        }
        src.push_str("async function f() {\n  const a = await g();\n  // note\n  await h(a);\n}\n");
        let f = extract(Lang::JavaScript, &src, &Limits::default()).expect("facts");
        let indexes = |in_function: bool| -> Vec<u32> {
            f.awaits
                .iter()
                .filter(|a| a.func.is_some() == in_function)
                .map(|a| a.index)
                .collect()
        };
        // The import is statement 0.
        assert_eq!(indexes(false), (1..=3000).collect::<Vec<u32>>());
        assert_eq!(indexes(true), vec![0, 1]);
    }

    /// A class's decorators come once each, also under `export`; its fields' decorator calls
    /// carry the field's name and the model an arrow function returns.
    #[test]
    fn class_and_field_decorators() {
        let src = "@Table\nexport class Author extends Model {\n  @Column\n  name: string;\n  \
                   @HasMany(() => Book)\n  books: Book[];\n  @BelongsTo(() => db.Team, 'teamId')\n  \
                   team: Team;\n  @Index('x') @Column\n  code: string;\n}\n";
        let f = extract(Lang::TypeScript, src, &Limits::default()).expect("facts");
        let k = &f.classes[0];
        assert_eq!(k.decorators, ["Table"]);
        let fields: Vec<(&str, &str, Option<&str>)> = k
            .fields
            .iter()
            .map(|d| {
                (
                    d.name.as_str(),
                    f.calls[d.call as usize].method(),
                    d.returns.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            fields,
            [
                ("books", "HasMany", Some("Book")),
                ("team", "BelongsTo", Some("db.Team")),
                ("code", "Index", None),
            ]
        );
        let js = "class Author extends Model {\n  @HasMany(() => Book) books;\n}\n";
        let f = extract(Lang::JavaScript, js, &Limits::default()).expect("facts");
        assert_eq!(f.classes[0].fields[0].name, "books");
        assert_eq!(f.classes[0].fields[0].returns.as_deref(), Some("Book"));
    }

    /// The kind-name table gives what `Node::kind` gives, on every node of every fixture.
    #[test]
    fn kind_names_match_node_kinds() {
        let mut nodes = 0;
        for (path, lang, src) in crate::lang::fixture_sources() {
            let mut parser = Parser::new();
            parser.set_language(&lang.grammar()).unwrap();
            let tree = parser.parse(&src, None).unwrap();
            KINDS.with(|k| k.set(kind_names(lang)));
            preorder(
                tree.root_node(),
                usize::MAX,
                || (),
                |n, _| {
                    nodes += 1;
                    assert_eq!(n.kind_name(), n.kind(), "{}", path.display());
                    Ok(())
                },
            )
            .unwrap();
        }
        assert!(nodes > 10_000, "only {nodes} nodes seen");
    }
}
