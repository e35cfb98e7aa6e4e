//! The memory allocator of the `n1lint` binary (and of the benchmark's parse floor).
//!
//! A cold run allocates and frees millions of small blocks from both cores: syntax trees,
//! parse stacks and query state in tree-sitter's C core, facts and strings in Rust. With
//! glibc's allocator that was about a sixth of the CPU time (profiled on the corpus:
//! `_int_malloc`, `unlink_chunk`, `malloc_consolidate`, `_int_free`). mimalloc serves both:
//! the binary declares it as Rust's global allocator, and [`use_for_tree_sitter`] hands
//! the same functions to tree-sitter.

use std::ffi::c_void;

unsafe extern "C" fn ts_malloc(size: usize) -> *mut c_void {
    libmimalloc_sys::mi_malloc(size)
}

unsafe extern "C" fn ts_calloc(count: usize, size: usize) -> *mut c_void {
    match count.checked_mul(size) {
        Some(n) => libmimalloc_sys::mi_zalloc(n),
        None => std::ptr::null_mut(),
    }
}

unsafe extern "C" fn ts_realloc(p: *mut c_void, size: usize) -> *mut c_void {
    libmimalloc_sys::mi_realloc(p, size)
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
