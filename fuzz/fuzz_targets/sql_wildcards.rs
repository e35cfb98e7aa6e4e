//! `select-star`'s SQL reading (`sqlparser` with a token fallback) on arbitrary text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| n1lint_fuzz::sql(data));
