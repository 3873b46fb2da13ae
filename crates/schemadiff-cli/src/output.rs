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
        shadow_db: None,
    }
}

fn eprint_report(text: &str) {
    eprint!("{text}");
}

/// Prints a clap error (or the help / version it stands for) and returns the exit code:
/// 0 for `--help` / `--version`, 1 for every usage error. clap's own code for usage errors
/// is 2, which `drift` reserves for "drifted".
pub fn usage_error(e: &clap::Error) -> std::process::ExitCode {
    use clap::error::ErrorKind;
    let _ = e.print();
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => std::process::ExitCode::SUCCESS,
        _ => std::process::ExitCode::from(1),
    }
}

/// Makes output to a closed pipe (`schemadiff plan … | head -1`) end the process quietly, the
/// way SIGPIPE ends other command-line tools: Rust ignores SIGPIPE, so `print!` panics on a
/// closed stdout; this panic hook recognises that panic, restores SIGPIPE's default action and
/// raises it (exit status 141 in a shell). Any other panic goes to the default hook.
pub fn quiet_on_closed_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if payload.starts_with("failed printing to std") && is_broken_pipe(payload) {
            let _ = signal_hook::low_level::emulate_default_handler(signal_hook::consts::SIGPIPE);
            std::process::exit(141);
        }
        default(info);
    }));
}

fn is_broken_pipe(message: &str) -> bool {
    let broken = std::io::Error::from(std::io::ErrorKind::BrokenPipe).to_string();
    message.contains("Broken pipe") || message.contains(&broken) || message.contains("os error 32")
}

/// Prints a note line to stderr (something worth knowing that is not a problem).
pub fn note(msg: &str) {
    eprintln!("note: {msg}");
}
