//! Terminal output: colour decisions (anstream's: `NO_COLOR`, `CLICOLOR`, `CLICOLOR_FORCE`,
//! `TERM=dumb`, not a terminal) and error printing.

use anstream::ColorChoice;
use anstream::stream::RawStream;
use std::io::Write;

/// True when colour may be written to stderr.
pub fn stderr_color() -> bool {
    color(&std::io::stderr())
}

/// True when colour may be written to stdout.
pub fn stdout_color() -> bool {
    color(&std::io::stdout())
}

fn color<S: RawStream>(stream: &S) -> bool {
    anstream::AutoStream::choice(stream) != ColorChoice::Never
}

/// Prints an error and its causes as `error: outer: inner`.
pub fn print_error(out: &mut impl Write, e: &anyhow::Error) -> std::io::Result<()> {
    let (red, reset) = if stderr_color() {
        ("\x1b[1;31m", "\x1b[0m")
    } else {
        ("", "")
    };
    write!(out, "{red}error{reset}: {e}")?;
    for cause in e.chain().skip(1) {
        write!(out, ": {cause}")?;
    }
    writeln!(out)
}

/// Prints a warning line to stderr.
pub fn warn(msg: &str) {
    let (y, reset) = if stderr_color() {
        ("\x1b[1;33m", "\x1b[0m")
    } else {
        ("", "")
    };
    eprintln!("{y}warning{reset}: {msg}");
}

/// How the engine loads sources for the terminal: diagnostics coloured when stderr allows it,
/// and printed on stderr as they come.
pub fn load_options() -> schemadiff::LoadOptions<'static> {
    schemadiff::LoadOptions {
        color: stderr_color(),
        report: &eprint_report,
    }
}

fn eprint_report(text: &str) {
    eprint!("{text}");
}
