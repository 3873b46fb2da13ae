//! Terminal output: colour decisions (NO_COLOR, non-terminal) and error printing.

use std::io::{IsTerminal, Write};

/// True when stderr is a terminal and neither `NO_COLOR` nor `CLICOLOR=0` is set.
pub fn stderr_color() -> bool {
    color_allowed() && std::io::stderr().is_terminal()
}

/// True when stdout is a terminal and colour is allowed.
pub fn stdout_color() -> bool {
    color_allowed() && std::io::stdout().is_terminal()
}

fn color_allowed() -> bool {
    if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
        return false;
    }
    !std::env::var("CLICOLOR").is_ok_and(|v| v == "0")
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

/// Prints a note line to stderr (something worth knowing that is not a problem).
pub fn note(msg: &str) {
    eprintln!("note: {msg}");
}
