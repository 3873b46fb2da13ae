//! The `schemadiff` binary: argument parsing, dispatch and exit codes.
//!
//! Exit codes (stable, documented in the README):
//! 0 success (no drift, plan made, files valid); 1 error or refused hazard or invalid input;
//! 2 drift found (`drift`) / files would change (`fmt --check` uses 1, as formatters do).

use clap::Parser;
use schemadiff_cli::cli::Cli;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match schemadiff_cli::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            let mut out = anstream::stderr();
            let _ = schemadiff_cli::output::print_error(&mut out, &e);
            ExitCode::from(1)
        }
    }
}
