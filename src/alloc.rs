//! The memory allocator of the `n1lint` binary (and of the benchmark's parse floor).
//!
//! A cold run allocates and frees millions of small blocks from both cores: syntax trees,
//! parse stacks and query state in tree-sitter's C core, facts and strings in Rust. With
//! glibc's allocator that was about a sixth of the CPU time (profiled on the corpus:
//! `_int_malloc`, `unlink_chunk`, `malloc_consolidate`, `_int_free`). mimalloc serves both:
//! the binary declares it as Rust's global allocator, and [`use_for_tree_sitter`] hands
//! mimalloc to tree-sitter too.
//!
//! Tree-sitter allocates from a heap of its own on each thread. A parse allocates and frees
//! many small nodes; sharing one heap with the facts and strings built between parses left
//! its free blocks cold in the CPU's caches, and malloc inside the parser cost 4.5 % of a
//! cold run against 1.1 % with a heap of its own (perf samples of the corpus run).

use std::cell::Cell;
use std::ffi::c_void;

use libmimalloc_sys::{mi_heap_malloc, mi_heap_new, mi_heap_realloc, mi_heap_t, mi_heap_zalloc};

thread_local! {
    /// This thread's heap for tree-sitter, made on its first allocation. Never deleted: a
    /// thread's heap lives as long as the thread, and blocks of it may be freed from any
    /// thread (`mi_free`). No destructor, so it can be read while the thread exits.
    static HEAP: Cell<*mut mi_heap_t> = const { Cell::new(std::ptr::null_mut()) };
}

/// This thread's tree-sitter heap; null if mimalloc could not make one (then the default
/// heap serves).
fn heap() -> *mut mi_heap_t {
    HEAP.try_with(|h| {
        let mut p = h.get();
        if p.is_null() {
            // SAFETY: creates a heap owned by this thread; used from this thread only.
            p = unsafe { mi_heap_new() };
            h.set(p);
        }
        p
    })
    .unwrap_or(std::ptr::null_mut())
}

unsafe extern "C" fn ts_malloc(size: usize) -> *mut c_void {
    match heap() {
        h if h.is_null() => libmimalloc_sys::mi_malloc(size),
        h => mi_heap_malloc(h, size),
    }
}

unsafe extern "C" fn ts_calloc(count: usize, size: usize) -> *mut c_void {
    let Some(n) = count.checked_mul(size) else {
        return std::ptr::null_mut();
    };
    match heap() {
        h if h.is_null() => libmimalloc_sys::mi_zalloc(n),
        h => mi_heap_zalloc(h, n),
    }
}

unsafe extern "C" fn ts_realloc(p: *mut c_void, size: usize) -> *mut c_void {
    match heap() {
        h if h.is_null() => libmimalloc_sys::mi_realloc(p, size),
        h => mi_heap_realloc(h, p, size),
    }
}

unsafe extern "C" fn ts_free(p: *mut c_void) {
    libmimalloc_sys::mi_free(p)
}

/// Makes tree-sitter allocate with mimalloc. Call it first thing in `main`, before any
/// parser, tree or query exists: memory tree-sitter took from one allocator must not be
/// given back to the other.
pub fn use_for_tree_sitter() {
    // SAFETY: called once at the start of `main`, before any tree-sitter object is created
    // (so nothing allocated with the previous functions is freed with these), and before
    // any other thread runs.
    unsafe {
        tree_sitter::set_allocator(
            Some(ts_malloc),
            Some(ts_calloc),
            Some(ts_realloc),
            Some(ts_free),
        )
    }
}
