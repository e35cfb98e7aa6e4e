//! A per-file time budget: the parser, the pass over the tree and the fact building check it as
//! they go, so a pathological file (deep nesting, millions of nodes) is given up with a
//! note instead of holding up the run.
//!
//! The budget is measured in CPU time of the thread doing the work (where the platform
//! offers it): a loaded machine does not change which files are given up, so reports do
//! not depend on what else the machine was doing.

use std::cell::Cell;
use std::time::{Duration, Instant};

use tree_sitter::Node;

/// A clock for one thread's work: its CPU time, or the wall clock where that is not known.
#[derive(Clone, Copy)]
enum Clock {
    ThreadCpu(Duration),
    Wall(Instant),
}

impl Clock {
    fn start() -> Self {
        match thread_cpu_time() {
            Some(t) => Clock::ThreadCpu(t),
            None => Clock::Wall(Instant::now()),
        }
    }

    fn elapsed(&self) -> Duration {
        match self {
            Clock::ThreadCpu(start) => thread_cpu_time()
                .map(|now| now.saturating_sub(*start))
                .unwrap_or(Duration::ZERO),
            Clock::Wall(start) => start.elapsed(),
        }
    }
}

#[cfg(unix)]
fn thread_cpu_time() -> Option<Duration> {
    cpu_clock(libc::CLOCK_THREAD_CPUTIME_ID)
}

/// The CPU time of this whole process so far, where the platform offers it.
#[cfg(unix)]
pub(crate) fn process_cpu_time() -> Option<Duration> {
    cpu_clock(libc::CLOCK_PROCESS_CPUTIME_ID)
}

#[cfg(not(unix))]
pub(crate) fn process_cpu_time() -> Option<Duration> {
    None
}

#[cfg(unix)]
fn cpu_clock(clock: libc::clockid_t) -> Option<Duration> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the call only writes to it.
    let rc = unsafe { libc::clock_gettime(clock, &mut ts) };
    if rc != 0 {
        return None;
    }
    Some(Duration::new(
        u64::try_from(ts.tv_sec).ok()?,
        u32::try_from(ts.tv_nsec).ok()?,
    ))
}

#[cfg(not(unix))]
fn thread_cpu_time() -> Option<Duration> {
    None
}

/// A deadline that is cheap to poll: the clock is read once every [`Deadline::EVERY`] polls.
/// Used on the thread that created it.
pub(crate) struct Deadline {
    clock: Clock,
    budget: Duration,
    polls: Cell<u32>,
    passed: Cell<bool>,
}

impl Deadline {
    const EVERY: u32 = 1024;

    pub(crate) fn after(budget: Duration) -> Self {
        Deadline {
            clock: Clock::start(),
            budget,
            polls: Cell::new(0),
            passed: Cell::new(false),
        }
    }

    pub(crate) fn budget(&self) -> Duration {
        self.budget
    }

    /// Has the deadline passed? Reads the clock every time.
    pub(crate) fn passed(&self) -> bool {
        if self.passed.get() {
            return true;
        }
        let passed = self.clock.elapsed() >= self.budget;
        self.passed.set(passed);
        passed
    }

    /// Has the deadline passed? Reads the clock on every [`Deadline::EVERY`]th call only:
    /// for loops whose steps are cheap.
    pub(crate) fn poll(&self) -> bool {
        let n = self.polls.get().wrapping_add(1);
        self.polls.set(n);
        if n % Self::EVERY == 0 {
            self.passed()
        } else {
            self.passed.get()
        }
    }
}

/// Why a syntax tree is not analysed, found before or during the pass over it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// Nested deeper than allowed: the query cursor costs about nodes × depth.
    TooDeep,
    /// An ERROR node with more children than allowed: the query cursor costs about the square
    /// of the unnamed children of a node (the cursor scans later siblings for each), and
    /// nothing inside an ERROR node is reported anyway.
    WideError,
}

/// Visits every node under `root` (the root is at depth 0) in document order, with a tree
/// cursor, handing `visit` the node and the nodes above it (`root` first): linear in the
/// number of nodes, whatever the depth. Stops at the first error of
/// `visit`, or with `too_deep()` when a node lies deeper than `max_depth`.
pub(crate) fn preorder<'t, E>(
    root: Node<'t>,
    max_depth: usize,
    too_deep: impl Fn() -> E,
    mut visit: impl FnMut(Node<'t>, &[Node<'t>]) -> Result<(), E>,
) -> Result<(), E> {
    let mut cursor = root.walk();
    // The nodes above the current one, `root` first.
    let mut above: Vec<Node<'t>> = Vec::new();
    loop {
        let node = cursor.node();
        visit(node, &above)?;
        if cursor.goto_first_child() {
            above.push(node);
            if above.len() > max_depth {
                return Err(too_deep());
            }
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if above.is_empty() || !cursor.goto_parent() {
                return Ok(());
            }
            above.pop();
        }
    }
}

/// Checks the tree under `root` against `max_depth` and `max_error_children`, stopping at
/// the first excess.
pub(crate) fn check_shape(
    root: Node,
    max_depth: usize,
    max_error_children: usize,
) -> Result<(), Shape> {
    preorder(
        root,
        max_depth,
        || Shape::TooDeep,
        |n, _| {
            if n.is_error() && n.child_count() > max_error_children {
                Err(Shape::WideError)
            } else {
                Ok(())
            }
        },
    )
}

/// Is the tree under `root` nested more than `max` levels deep?
pub(crate) fn deeper_than(root: Node, max: usize) -> bool {
    check_shape(root, max, usize::MAX).is_err()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_budget_passes_at_once() {
        let d = Deadline::after(Duration::ZERO);
        assert!(d.passed());
        assert!(d.poll());
    }

    fn python(src: &str) -> tree_sitter::Tree {
        let mut p = tree_sitter::Parser::new();
        p.set_language(&tree_sitter_python::LANGUAGE.into())
            .expect("the Python grammar loads");
        p.parse(src, None).expect("a tree")
    }

    #[test]
    fn depth_and_error_width_are_bounded() {
        let shallow = python("x = [1, 2, 3]\n");
        assert_eq!(check_shape(shallow.root_node(), 10, 10), Ok(()));
        let deep = python(&format!("x = {}1{}\n", "(".repeat(500), ")".repeat(500)));
        assert_eq!(check_shape(deep.root_node(), 100, 10), Err(Shape::TooDeep));
        assert_eq!(check_shape(deep.root_node(), 10_000, 10), Ok(()));
        let wide = python(&"[\n".repeat(500));
        assert_eq!(
            check_shape(wide.root_node(), 100, 100),
            Err(Shape::WideError)
        );
        assert_eq!(check_shape(wide.root_node(), 100, 10_000), Ok(()));
        // A wide node that is not an error is fine.
        let list = python(&format!("x = [{}]\n", "1,".repeat(500)));
        assert_eq!(check_shape(list.root_node(), 100, 100), Ok(()));
    }

    #[test]
    fn the_clock_counts_this_threads_work() {
        let d = Deadline::after(Duration::from_millis(20));
        let start = Instant::now();
        let mut x = 0u64;
        while !d.passed() {
            x = x.wrapping_add(std::hint::black_box(1));
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "the deadline passes"
            );
        }
        assert!(x > 0);
    }

    #[test]
    fn huge_budget_never_passes() {
        let d = Deadline::after(Duration::MAX);
        assert!(!d.passed());
        for _ in 0..1000 {
            assert!(!d.poll());
        }
    }
}
