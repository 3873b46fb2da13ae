//! The `schemadiff` binary: argument parsing, dispatch and exit codes.
//!
//! Exit codes (stable, documented in the README):
//! 0 success (no drift, plan made, files valid); 1 error, refused hazard, invalid input or a
//! usage error (unknown flag or subcommand: clap's own 2 is not used, it means "drifted");
//! 2 drift found (`drift` only); 3 migrations not up to date (`migrate status` only);
//! 130 / 143 `apply` interrupted by SIGINT / SIGTERM.
//! Output to a closed pipe ends the process as SIGPIPE would, without a panic message.

use clap::Parser;
use schemadiff_cli::cli::Cli;
use std::process::ExitCode;

fn main() -> ExitCode {
    schemadiff_cli::output::quiet_on_closed_pipe();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return schemadiff_cli::output::usage_error(&e),
    };
    match schemadiff_cli::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            let mut out = anstream::stderr();
            let _ = schemadiff_cli::output::print_error(&mut out, &e);
            ExitCode::from(1)
        }
    }
}
