//! The `kubesim` binary: see `kubesim --help`.

fn main() -> std::process::ExitCode {
    kubesim::cli::main()
}
