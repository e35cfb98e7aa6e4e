//! Language-neutral facts extracted from one file's syntax tree.
//!
//! A file is parsed once; one query pass over its tree produces a [`FileFacts`], and the
//! tree is dropped. Everything downstream (the project index, the rules, the reports)
//! works on these facts alone. Facts are plain data, so they can be cached by content hash.

mod budget;
mod extract;
mod guard;
mod nest;
mod text;

use std::sync::OnceLock;

use bincode::{Decode, Encode};
use serde::{Deserialize, Serialize};

use crate::lang::Lang;

pub(crate) use budget::{deeper_than, process_cpu_time};
pub use extract::{extract, extract_query_cursor, query_source, walks, ExtractError, Limits};
pub use text::{fnv1a, normalised_hash};

/// A range of source text: byte offsets plus 1-based line and column (columns count
/// Unicode scalar values, the unit the SARIF output declares).
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
    Default,
    Encode,
    Decode,
)]
pub struct Span {
    pub start: u32,
    pub end: u32,
    pub line: u32,
    pub col: u32,
    pub end_line: u32,
    pub end_col: u32,
}

impl Span {
    pub fn contains(&self, other: &Span) -> bool {
        self.start <= other.start && other.end <= self.end
    }
    pub fn len(&self) -> u32 {
        self.end - self.start
    }
    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }
}

/// Index into one of the fact vectors of the same file.
pub type Idx = u32;

#[derive(Debug, Clone, Encode, Decode)]
pub struct Function {
    pub span: Span,
    /// The function's name; for anonymous functions, the name it is assigned to or passed as
    /// (`const load = async () => ...` gives `load`), or empty.
    pub name: String,
    pub body: Span,
    pub is_async: bool,
    pub params: Vec<String>,
    /// Decorator texts without the `@` (`app.get("/x")`, `Get()`), in source order.
    pub decorators: Vec<String>,
    /// The class this function is a method of.
    pub class: Option<Idx>,
    /// The enclosing function, for nested functions.
    pub parent: Option<Idx>,
    /// A function literal passed as an argument: the call it is an argument of.
    pub arg_of: Option<Idx>,
    pub exported: bool,
    /// `export default function ...`.
    pub default_export: bool,
    /// A Python generator (its own body holds a `yield`): a call only builds the generator,
    /// its body runs where the generator is iterated.
    pub generator: bool,
}

#[derive(Debug, Clone, Encode, Decode)]
pub struct Class {
    pub span: Span,
    pub name: String,
    /// Superclass expressions as written (`models.Model`, `ApplicationRecord`, `Model`).
    pub superclasses: Vec<String>,
    pub decorators: Vec<String>,
    pub body: Span,
    /// Its fields' decorator calls (JavaScript, TypeScript), in source order.
    pub fields: Vec<FieldDecorator>,
}

/// A class field's decorator call: `@HasMany(() => Post) posts: Post[]`.
#[derive(Debug, Clone, Encode, Decode)]
pub struct FieldDecorator {
    /// The field: `posts`.
    pub name: String,
    /// The decorator's call: `HasMany(() => Post)`.
    pub call: Idx,
    /// The name that an arrow function in the call's first argument returns: `Post`.
    pub returns: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
pub enum LoopKind {
    /// `for (;;)`, Python `for`, Ruby `for`, `for ... of/in`.
    For,
    While,
    /// A list/set/dict comprehension or generator expression.
    Comprehension,
    /// A function literal passed to an iterating method (`items.map(x => ...)`) or a Ruby
    /// block given to one (`items.each do |x| ... end`).
    Callback,
}

#[derive(Debug, Clone, Encode, Decode)]
pub struct Loop {
    pub kind: LoopKind,
    pub span: Span,
    /// What the diagnostics label: `for (const x of xs)`, `items.each do |x|`.
    pub header: Span,
    pub body: Span,
    /// The expression iterated, as written (`users`, `Order.objects.all()`), if any.
    pub iter: Option<String>,
    pub iter_span: Option<Span>,
    /// Names bound per iteration.
    pub vars: Vec<String>,
    /// The iterated expression is a literal list of a few constants.
    pub literal_iter: bool,
    /// `for await (...)`.
    pub is_await: bool,
    /// The iterating method for callback loops (`map`, `each`).
    pub method: Option<String>,
    /// The body ends every iteration with an unconditional `return`/`break`: it runs once.
    pub runs_once: bool,
    /// The enclosing loop, if any (ignoring function boundaries: see [`Call::in_loop`]).
    pub parent: Option<Idx>,
    pub func: Option<Idx>,
}

/// One segment of a callee path: `User.objects.filter(...).first` is
/// `[User, objects, filter(), first]`.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct Seg {
    pub name: String,
    /// The segment was called (`filter(...)`).
    pub called: bool,
    /// The argument texts of that call, when it was called (short).
    pub args: Vec<String>,
}

/// How many enclosing functions or loops the rules look through: a bound for facts read back
/// from a damaged cache, far above hand-written nesting.
pub const MAX_NESTING: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
pub enum ArgKind {
    String,
    Number,
    Ident,
    Function,
    Object,
    Array,
    Other,
}

#[derive(Debug, Clone, Encode, Decode)]
pub struct Arg {
    /// Python `name=value`, Ruby `name: value`.
    pub keyword: Option<String>,
    pub kind: ArgKind,
    /// The argument's text, cut to a bounded length.
    pub text: String,
    /// Top-level keys of an object/hash literal argument (`{ where, take: 10 }`).
    pub keys: Vec<String>,
    pub span: Span,
}

#[derive(Debug, Clone, Encode, Decode)]
pub struct Call {
    pub span: Span,
    /// The callee path, root first. The last segment is the method called.
    pub path: Vec<Seg>,
    pub args: Vec<Arg>,
    pub awaited: bool,
    /// `new X(...)`.
    pub is_new: bool,
    /// A Ruby block or a function literal argument is attached.
    pub has_block: bool,
    /// The receiver expression as written, for calls with a block or function argument
    /// (`Post.includes(:author).where(x)` in `Post.includes(:author).where(x).each do`).
    pub recv: Option<String>,
    pub func: Option<Idx>,
    pub class: Option<Idx>,
    /// The innermost loop whose body runs this call on every iteration (function literals
    /// defined in the loop but not iterating cut the link).
    pub in_loop: Option<Idx>,
    /// Hash of the call's whitespace-normalised text (for baselines and fingerprints).
    pub hash: u64,
}

impl Call {
    pub fn method(&self) -> &str {
        self.path.last().map(|s| s.name.as_str()).unwrap_or("")
    }
    pub fn root(&self) -> &str {
        self.path.first().map(|s| s.name.as_str()).unwrap_or("")
    }
    /// The path as text without arguments: `User.objects.filter().first`.
    pub fn dotted(&self) -> String {
        let mut s = String::new();
        for (i, seg) in self.path.iter().enumerate() {
            if i > 0 {
                s.push('.');
            }
            s.push_str(&seg.name);
            if seg.called && i + 1 < self.path.len() {
                s.push_str("()");
            }
        }
        s
    }
    /// The receiver path (all but the last segment), as text.
    pub fn receiver(&self) -> String {
        let n = self.path.len().saturating_sub(1);
        let mut s = String::new();
        for (i, seg) in self.path[..n].iter().enumerate() {
            if i > 0 {
                s.push('.');
            }
            s.push_str(&seg.name);
            if seg.called {
                s.push_str("()");
            }
        }
        s
    }
    pub fn keyword(&self, name: &str) -> Option<&Arg> {
        self.args
            .iter()
            .find(|a| a.keyword.as_deref() == Some(name))
    }
}

/// A string literal that may hold SQL, with interpolations replaced by same-length
/// placeholders so offsets into `text` map one-to-one onto the source.
#[derive(Debug, Clone, Encode, Decode)]
pub struct StrLit {
    pub span: Span,
    /// Byte offset in the file where `text` starts.
    pub text_start: u32,
    pub text: String,
    pub func: Option<Idx>,
    /// Line and column (1-based) where `text` starts.
    pub text_line: u32,
    pub text_col: u32,
}

#[derive(Debug, Clone, Encode, Decode)]
pub struct Comment {
    pub span: Span,
    pub text: String,
    /// The comment is the only thing on its line.
    pub own_line: bool,
    /// The lines (first, last) of the statement a trailing comment ends; for a comment on
    /// its own line, the next line.
    pub target: (u32, u32),
    /// Spaces and tabs right before the comment on its line (its indentation, or the gap
    /// after the code it trails), and the bytes of the line break right after it (0, 1 for
    /// `\n`, 2 for `\r\n`): what deleting the comment deletes with it.
    pub lead: u32,
    pub eol: u8,
}

/// `name = value` (also `const name = value`, destructuring gives several names).
#[derive(Debug, Clone, Encode, Decode)]
pub struct Assign {
    pub span: Span,
    pub targets: Vec<String>,
    /// The call on the right-hand side, if the value is a call (outermost).
    pub value_call: Option<Idx>,
    pub value_text: String,
    pub func: Option<Idx>,
    pub class: Option<Idx>,
    /// The declared type of a Python annotated assignment (`Mapped[list["Topic"]]`), short.
    pub annotation: Option<String>,
}

/// `import { a as b } from "./m"`, `from .m import a as b`, `const { a } = require("./m")`.
#[derive(Debug, Clone, Encode, Decode)]
pub struct Import {
    /// The local name bound.
    pub local: String,
    /// The imported name in the source module (`default` or `*` for namespace imports).
    pub imported: String,
    pub source: String,
    /// Python: imported where the module does not run it on load, inside a function (a lazy
    /// import of an optional dependency) or under `if TYPE_CHECKING:`.
    pub lazy: bool,
}

/// How the statement holding an `await` uses its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
pub enum AwaitUse {
    /// `const x = await f()` / Python single assignment.
    Const,
    /// `let`/`var` declaration, or Python target list / JS destructuring.
    Decl,
    /// `x = await f()`, `obj.x = await f()` (JS assignment expression).
    Assign,
    /// `await f();`
    Expr,
    /// `return await f()`.
    Return,
    /// Anything else (the await sits inside a larger expression).
    Other,
}

/// One `await` and the statement it belongs to (`sequential-await`).
#[derive(Debug, Clone, Encode, Decode)]
pub struct Await {
    /// The statement holding the await.
    pub stmt: Span,
    /// The awaited expression (without `await`).
    pub expr: Span,
    pub expr_text: String,
    /// The statement's block (its start offset identifies it) and the statement's index in it.
    pub block: u32,
    pub index: u32,
    pub usage: AwaitUse,
    /// Names the statement binds or assigns (roots of member targets).
    pub binds: Vec<String>,
    /// The text of the binding target (`user`, `{ orders }`, `a, b`), when there is one.
    pub target: String,
    /// Names read by the awaited expression.
    pub reads: Vec<String>,
    /// The awaited call, when the expression is a call.
    pub call: Option<Idx>,
    /// More than one await in the statement.
    pub multi: bool,
    /// The block is a `finally` clause.
    pub in_finally: bool,
    pub func: Option<Idx>,
}

/// An attribute chain rooted at a name, read inside a loop (`order.customer.name`).
#[derive(Debug, Clone, Encode, Decode)]
pub struct Member {
    pub span: Span,
    /// `order`, `customer`, `name`.
    pub path: Vec<String>,
    pub in_loop: Option<Idx>,
    pub func: Option<Idx>,
    pub hash: u64,
}

#[derive(Debug, Clone, Encode, Decode)]
pub struct FileFacts {
    pub lang: Lang,
    pub functions: Vec<Function>,
    pub classes: Vec<Class>,
    pub loops: Vec<Loop>,
    pub calls: Vec<Call>,
    pub strings: Vec<StrLit>,
    pub comments: Vec<Comment>,
    pub assigns: Vec<Assign>,
    pub imports: Vec<Import>,
    pub members: Vec<Member>,
    pub awaits: Vec<Await>,
    /// Byte ranges of code that runs only when debug logging is enabled.
    pub debug_guards: Vec<(u32, u32)>,
    /// Byte ranges of code that runs only in development or tests (`if (env.isDev())`,
    /// `if settings.DEBUG:`): not what production requests run.
    pub dev_guards: Vec<(u32, u32)>,
    /// Byte ranges of code that runs only when something is missing (`if (!cache)`,
    /// `if (!fs.existsSync(dir))`, `if x is None:`): a fill-once branch.
    pub once_guards: Vec<(u32, u32)>,
    /// String literals that are project-wide settings the index reads
    /// (`"DEFAULT_PAGINATION_CLASS"`).
    pub markers: Vec<String>,
    /// Offsets of Ruby `private`/`protected` markers.
    pub visibility: Vec<u32>,
    /// Byte ranges of `return`/`break`/`raise`/`throw` statements: a call inside one runs at
    /// most once per call of its function.
    pub exits: Vec<(u32, u32)>,
    /// The text of each exit (short), parallel to `exits`.
    pub exit_texts: Vec<String>,
    /// Byte ranges of exception handlers (`except`, `catch`, `rescue`) and fallbacks (the
    /// right side of `a ?? b`, `a || b`, `a or b`): code there runs only when something
    /// failed or gave nothing.
    pub rescues: Vec<(u32, u32)>,
    /// Byte ranges of the branches of `if`/`else`/`unless`/`case` and conditional
    /// expressions: code there runs only when a condition holds.
    pub branches: Vec<(u32, u32)>,
    /// Byte ranges of ERROR and MISSING nodes: nothing is reported from inside them.
    pub error_spans: Vec<(u32, u32)>,
    pub lines: u32,
    /// Lookups over the facts above, built on first use (not stored).
    pub lookup: LookupCell,
}

/// [`Lookup`], built on first use; encoded as nothing and decoded empty.
#[derive(Debug, Clone, Default)]
pub struct LookupCell(OnceLock<Lookup>);

impl Encode for LookupCell {
    fn encode<E: bincode::enc::Encoder>(
        &self,
        _: &mut E,
    ) -> Result<(), bincode::error::EncodeError> {
        Ok(())
    }
}

impl<C> Decode<C> for LookupCell {
    fn decode<D: bincode::de::Decoder<Context = C>>(
        _: &mut D,
    ) -> Result<Self, bincode::error::DecodeError> {
        Ok(LookupCell::default())
    }
}

bincode::impl_borrow_decode!(LookupCell);

/// The indexes of a file's calls and assignments, grouped by their innermost function
/// (slot 0: top level; slot `i + 1`: function `i`), each group in document order; and
/// each call's innermost enclosing call.
#[derive(Debug, Clone, Default)]
pub struct Lookup {
    calls: Vec<Vec<Idx>>,
    assigns: Vec<Vec<Idx>>,
    call_parent: Vec<Option<Idx>>,
}

/// For each call, the innermost call whose span contains its span (or equals it: calls of
/// one span chain to each other). Spans from one syntax tree nest or are apart, so one sweep
/// in order of start (outer first) with a stack of the open calls finds them.
fn call_parents(calls: &[Call]) -> Vec<Option<Idx>> {
    let mut order: Vec<Idx> = (0..calls.len() as Idx).collect();
    order.sort_by_key(|&i| {
        let s = calls[i as usize].span;
        (s.start, std::cmp::Reverse(s.end))
    });
    let mut parent = vec![None; calls.len()];
    let mut open: Vec<Idx> = Vec::new();
    for i in order {
        let s = calls[i as usize].span;
        while open
            .last()
            .is_some_and(|&t| !calls[t as usize].span.contains(&s))
        {
            open.pop();
        }
        parent[i as usize] = open.last().copied();
        open.push(i);
    }
    parent
}

fn group_by_func(funcs: impl Iterator<Item = Option<Idx>>) -> Vec<Vec<Idx>> {
    let mut groups: Vec<Vec<Idx>> = Vec::new();
    for (i, func) in funcs.enumerate() {
        let slot = func.map_or(0, |f| f as usize + 1);
        if groups.len() <= slot {
            groups.resize_with(slot + 1, Vec::new);
        }
        groups[slot].push(i as Idx);
    }
    groups
}

/// String literals recorded as markers when they appear anywhere in a file.
pub const MARKERS: &[&str] = &["DEFAULT_PAGINATION_CLASS"];

impl FileFacts {
    /// What other files may look up in this one (resolving a call to a project function):
    /// its functions, classes and imports. The rest is left empty.
    pub fn skeleton(&self) -> FileFacts {
        FileFacts {
            lang: self.lang,
            functions: self.functions.clone(),
            classes: self.classes.clone(),
            loops: Vec::new(),
            calls: Vec::new(),
            strings: Vec::new(),
            comments: Vec::new(),
            assigns: Vec::new(),
            imports: self.imports.clone(),
            members: Vec::new(),
            awaits: Vec::new(),
            debug_guards: Vec::new(),
            markers: Vec::new(),
            visibility: Vec::new(),
            exits: Vec::new(),
            exit_texts: Vec::new(),
            rescues: Vec::new(),
            branches: Vec::new(),
            dev_guards: Vec::new(),
            once_guards: Vec::new(),
            error_spans: Vec::new(),
            lines: self.lines,
            lookup: LookupCell::default(),
        }
    }

    fn lookup(&self) -> &Lookup {
        self.lookup.0.get_or_init(|| Lookup {
            calls: group_by_func(self.calls.iter().map(|c| c.func)),
            assigns: group_by_func(self.assigns.iter().map(|a| a.func)),
            call_parent: call_parents(&self.calls),
        })
    }

    /// The index of `call` in `calls`, when it is one of them (not a copy).
    fn call_index(&self, call: &Call) -> Option<usize> {
        let size = std::mem::size_of::<Call>();
        let base = self.calls.as_ptr() as usize;
        let at = call as *const Call as usize;
        (at >= base && at < base + self.calls.len() * size).then(|| (at - base) / size)
    }

    /// The calls whose span contains `call`'s (`res.json(find(x))` around `find(x)`), not
    /// counting calls of the same span: the same calls as a scan of the file with
    /// `c.span.contains(&call.span) && c.span != call.span`, innermost first.
    pub fn calls_around<'s>(&'s self, call: &'s Call) -> impl Iterator<Item = &'s Call> + 's {
        let at = self.call_index(call);
        let parent = &self.lookup().call_parent;
        let chain = std::iter::successors(at.and_then(|i| parent[i]), move |&p| parent[p as usize])
            .take(self.calls.len())
            .map(|p| &self.calls[p as usize]);
        // A copy of a call: scanned.
        let scan = self.calls[..if at.is_some() { 0 } else { self.calls.len() }]
            .iter()
            .filter(|c| c.span.contains(&call.span));
        chain.chain(scan).filter(|c| c.span != call.span)
    }

    /// The calls whose innermost function is `func` (`None`: top level), in document order:
    /// the same calls as `calls.iter().filter(|c| c.func == func)`, without the scan.
    pub fn calls_in(&self, func: Option<Idx>) -> impl Iterator<Item = &Call> + '_ {
        let slot = func.map_or(0, |f| f as usize + 1);
        let ids = self.lookup().calls.get(slot).map_or(&[][..], |v| &v[..]);
        ids.iter().map(|&i| &self.calls[i as usize])
    }

    /// The assignments whose innermost function is `func`, as [`FileFacts::calls_in`].
    pub fn assigns_in(&self, func: Option<Idx>) -> impl Iterator<Item = &Assign> + '_ {
        let slot = func.map_or(0, |f| f as usize + 1);
        let ids = self.lookup().assigns.get(slot).map_or(&[][..], |v| &v[..]);
        ids.iter().map(|&i| &self.assigns[i as usize])
    }

    /// The assignment whose value is `call` (`rows = Model.objects.filter(...)`).
    pub fn assign_of(&self, call: &Call) -> Option<&Assign> {
        self.assigns.iter().find(|a| {
            a.value_call
                .is_some_and(|ci| self.calls[ci as usize].span == call.span)
        })
    }

    /// The last assignment to `name` in function `func` that ends before byte `before`
    /// (`rows = ...` ahead of `for r in rows`).
    pub fn last_assign(&self, func: Option<Idx>, before: u32, name: &str) -> Option<&Assign> {
        self.assigns_in(func)
            .filter(|a| a.span.end <= before && a.targets.iter().any(|t| t == name))
            .max_by_key(|a| a.span.start)
    }

    /// `func` and the functions around it, innermost first (at most [`MAX_NESTING`]).
    pub fn enclosing_functions(
        &self,
        func: Option<Idx>,
    ) -> impl Iterator<Item = (Idx, &Function)> + '_ {
        std::iter::successors(func, |&i| self.functions[i as usize].parent)
            .take(MAX_NESTING)
            .map(|i| (i, &self.functions[i as usize]))
    }

    /// Loop `li` and the loops around it, innermost first (at most [`MAX_NESTING`]).
    pub fn enclosing_loops(&self, li: Idx) -> impl Iterator<Item = (Idx, &Loop)> + '_ {
        std::iter::successors(Some(li), |&i| self.loops[i as usize].parent)
            .take(MAX_NESTING)
            .map(|i| (i, &self.loops[i as usize]))
    }

    pub fn strings_mention(&self, marker: &str) -> bool {
        self.markers.iter().any(|m| m == marker)
    }

    pub fn in_error(&self, span: &Span) -> bool {
        self.error_spans
            .iter()
            .any(|&(s, e)| s <= span.start && span.end <= e)
    }

    /// The dotted path of the enclosing classes and functions of `func`, for fingerprints
    /// and baselines (`OrdersController.index`).
    pub fn scope_path(&self, func: Option<Idx>) -> String {
        let mut parts = Vec::new();
        let mut cur = func;
        let mut guard = 0;
        while let Some(i) = cur {
            guard += 1;
            if guard > 64 {
                break;
            }
            let f = &self.functions[i as usize];
            parts.push(if f.name.is_empty() {
                "<anon>".to_string()
            } else {
                f.name.clone()
            });
            if f.parent.is_none() {
                if let Some(c) = f.class {
                    parts.push(self.classes[c as usize].name.clone());
                }
            }
            cur = f.parent;
        }
        parts.reverse();
        parts.join(".")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The per-function groups hold the same calls and assignments, in the same order, as a
    /// scan of the whole file, and so do the calls around a call; an await is `multi` when
    /// another await shares its statement.
    #[test]
    fn lookups_match_the_scans() {
        let (mut calls, mut around, mut multi) = (0, 0, 0);
        for (path, lang, src) in crate::lang::fixture_sources() {
            let Ok(f) = crate::facts::extract(lang, &src, &Default::default()) else {
                continue;
            };
            let n = f.functions.len() as Idx;
            for func in std::iter::once(None).chain((0..n + 2).map(Some)) {
                let grouped: Vec<*const Call> = f.calls_in(func).map(|c| c as *const _).collect();
                let scanned: Vec<*const Call> = f
                    .calls
                    .iter()
                    .filter(|c| c.func == func)
                    .map(|c| c as *const _)
                    .collect();
                assert_eq!(grouped, scanned, "calls of {func:?} in {}", path.display());
                calls += grouped.len();
                let grouped: Vec<*const Assign> =
                    f.assigns_in(func).map(|a| a as *const _).collect();
                let scanned: Vec<*const Assign> = f
                    .assigns
                    .iter()
                    .filter(|a| a.func == func)
                    .map(|a| a as *const _)
                    .collect();
                assert_eq!(
                    grouped,
                    scanned,
                    "assigns of {func:?} in {}",
                    path.display()
                );
            }
            for call in &f.calls {
                let scan = |call: &Call| -> Vec<*const Call> {
                    f.calls
                        .iter()
                        .filter(|c| c.span.contains(&call.span) && c.span != call.span)
                        .map(|c| c as *const _)
                        .collect()
                };
                let mut chained: Vec<*const Call> =
                    f.calls_around(call).map(|c| c as *const _).collect();
                chained.sort();
                assert_eq!(
                    chained,
                    scan(call),
                    "{:?} in {}",
                    call.dotted(),
                    path.display()
                );
                around += chained.len();
                // A copy is not one of the file's calls: scanned.
                let copy = call.clone();
                let mut scanned: Vec<*const Call> =
                    f.calls_around(&copy).map(|c| c as *const _).collect();
                scanned.sort();
                assert_eq!(scanned, scan(call));
            }
            for a in &f.awaits {
                let same = f.awaits.iter().filter(|b| b.stmt == a.stmt).count();
                assert_eq!(a.multi, same > 1, "{:?} in {}", a.expr_text, path.display());
                multi += usize::from(a.multi);
            }
        }
        assert!(calls > 5_000, "only {calls} calls grouped");
        assert!(around > 1_000, "only {around} enclosing calls");
        assert!(multi > 0, "no fixture has two awaits in one statement");
    }
}
