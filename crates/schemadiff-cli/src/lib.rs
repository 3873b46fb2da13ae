//! The schemadiff command line as a library: each command is a function from parsed
//! arguments to an exit code, so integration tests can call them in-process or through the
//! binary.
//!
//! This crate is the edge of the pipeline: it parses arguments, calls the engine (the
//! `schemadiff` crate: sources, names, plans, batches, apply), prints, and maps outcomes to exit
//! codes. Every decision about schemas, plans and SQL is made in the library crates.

pub mod cli;
pub mod commands;
pub mod github;
pub mod interrupt;
pub mod output;
pub mod progress;
pub mod settings;

use cli::{Cli, Command};

/// Runs one command and returns its exit code.
pub fn run(cli: Cli) -> anyhow::Result<u8> {
    let mut command = cli.command;
    if !matches!(
        command,
        Command::Fmt(_) | Command::Completions(_) | Command::Man(_)
    ) {
        let config = settings::load_config(cli.config.as_deref())?;
        settings::fill(&mut command, &config)?;
    }
    match command {
        Command::Validate(a) => commands::validate::run(&a),
        Command::Fmt(a) => commands::fmt::run(&a),
        Command::Plan(a) => block_on(commands::plan::run(&a)),
        Command::Inspect(a) => block_on(commands::inspect::run(&a)),
        Command::Drift(a) => block_on(commands::drift::run(&a)),
        Command::Apply(a) => block_on(commands::apply::run(&a)),
        Command::Migrate(a) => block_on(commands::migrate::run(&a)),
        Command::Completions(a) => commands::completions::completions(&a),
        Command::Man(a) => commands::completions::man(&a),
    }
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
        .block_on(f)
}
