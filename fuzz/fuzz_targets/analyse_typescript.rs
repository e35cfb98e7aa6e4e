//! The whole per-file analysis of arbitrary bytes as a TypeScript file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use n1lint::lang::Lang;

fuzz_target!(|data: &[u8]| n1lint_fuzz::analyse(Lang::TypeScript, data));
