use std::process::ExitCode;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    n1lint::alloc::use_for_tree_sitter();
    ExitCode::from(n1lint::main_with_args(std::env::args_os()))
}
