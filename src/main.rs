use std::process::ExitCode;

fn main() -> ExitCode {
    ExitCode::from(n1lint::main_with_args(std::env::args_os()))
}
