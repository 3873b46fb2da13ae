//! Defaults from `schemadiff.toml` and the project's schema, filled in under the flags: a flag
//! given on the command line always wins; what it leaves unset comes from the config file,
//! then from where Prisma finds the schema, then from the built-in default
//! (docs/config.md).

use crate::cli::{Command, MigrateCommand, MigrationsDir, PlanOptions, parse_duration};
use anyhow::{Context, bail};
use schemadiff::config::Config;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// `apply --lock-timeout` when neither the flag nor the config sets it.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(5);

/// `--online --batch-size` when neither the flag nor `online.batch_size` sets it.
pub const DEFAULT_BATCH_SIZE: u32 = 100;

/// `apply --online-lock-timeout` when neither the flag nor `online.lock_timeout` sets it.
pub const DEFAULT_ONLINE_LOCK_TIMEOUT: Duration = Duration::from_millis(50);

/// The config file: `--config FILE` when given, else the `schemadiff.toml` found from the
/// current directory upward, else none.
pub fn load_config(explicit: Option<&Path>) -> anyhow::Result<Config> {
    let config = match explicit {
        Some(path) => Config::load(path)?,
        None => {
            let cwd = std::env::current_dir().context("cannot read the current directory")?;
            Config::find(&cwd)?.unwrap_or_default()
        }
    };
    // Durations are checked when the file is read, whichever command runs.
    for (key, value) in [
        ("lock_timeout", &config.lock_timeout),
        ("statement_timeout", &config.statement_timeout),
        ("online.batch_pause", &config.online.batch_pause),
        ("online.lock_timeout", &config.online.lock_timeout),
    ] {
        if let Some(v) = value {
            parse_duration(v).map_err(|e| anyhow::anyhow!("{}: `{key}`: {e}", where_(&config)))?;
        }
    }
    Ok(config)
}

fn where_(config: &Config) -> String {
    config
        .path
        .as_ref()
        .map(|p| format!("config file {}", p.display()))
        .unwrap_or_else(|| "config".into())
}

/// Fills what the command's flags left unset from `config` and the project's schema.
pub fn fill(command: &mut Command, config: &Config) -> anyhow::Result<()> {
    match command {
        Command::Validate(a) => {
            if a.files.is_empty() {
                a.files.push(project_schema(config, "FILE")?);
            }
        }
        Command::Plan(a) => {
            if a.to.is_none() {
                a.to = Some(path_text(&project_schema(config, "--to")?));
            }
            if a.from.is_none() {
                a.from = Some(path_text(&migrations(config).with_context(|| {
                    "no --from: give --from SOURCE (a migrations folder, a schema file, a database URL or `empty`), or set `migrations` in schemadiff.toml"
                })?));
            }
            plan_options(&mut a.options, config);
        }
        Command::Drift(a) => {
            if a.schema.is_none() {
                a.schema = Some(path_text(&project_schema(config, "--schema")?));
            }
            database_url(&mut a.db, config);
        }
        Command::Apply(a) => {
            if a.to.is_none() {
                a.to = Some(path_text(&project_schema(config, "--to")?));
            }
            plan_options(&mut a.options, config);
            database_url(&mut a.db, config);
            if a.throttle.is_none()
                && let Some(v) = &config.online.batch_pause
            {
                a.throttle = Some(parse_duration(v).map_err(anyhow::Error::msg)?);
            }
            if a.online_lock_timeout.is_none()
                && let Some(v) = &config.online.lock_timeout
            {
                a.online_lock_timeout = Some(parse_duration(v).map_err(anyhow::Error::msg)?);
            }
            if a.lock_timeout.is_none() {
                a.lock_timeout = Some(match &config.lock_timeout {
                    Some(v) => parse_duration(v).map_err(anyhow::Error::msg)?,
                    None => DEFAULT_LOCK_TIMEOUT,
                });
            }
            if a.statement_timeout.is_none() {
                a.statement_timeout = Some(match &config.statement_timeout {
                    Some(v) => parse_duration(v).map_err(anyhow::Error::msg)?,
                    None => Duration::ZERO,
                });
            }
        }
        Command::Inspect(a) => database_url(&mut a.db, config),
        Command::Migrate(a) => fill_migrate(&mut a.command, config)?,
        Command::Fmt(_) | Command::Completions(_) | Command::Man(_) => {}
    }
    Ok(())
}

/// `migrate …`: the migrations folder, the schema, plan options and the database URL.
fn fill_migrate(command: &mut MigrateCommand, config: &Config) -> anyhow::Result<()> {
    let dir = |d: &mut MigrationsDir| {
        if d.migrations.is_none() {
            d.migrations.clone_from(&config.migrations);
        }
    };
    match command {
        MigrateCommand::Dev(a) => {
            dir(&mut a.dir);
            if a.schema.is_none() {
                a.schema = Some(path_text(&project_schema(config, "--schema")?));
            }
            plan_options(&mut a.options, config);
        }
        MigrateCommand::Diff(a) => {
            dir(&mut a.dir);
            plan_options(&mut a.options, config);
        }
        MigrateCommand::Deploy(a) => {
            dir(&mut a.dir);
            database_url(&mut a.db, config);
        }
        MigrateCommand::Status(a) => {
            dir(&mut a.dir);
            database_url(&mut a.db, config);
        }
        MigrateCommand::Resolve(a) => {
            dir(&mut a.dir);
            database_url(&mut a.db, config);
        }
    }
    Ok(())
}

/// A value [`fill`] always sets, as a result (an error naming the flag if it is missing).
pub fn given<'a, T: ?Sized>(value: Option<&'a T>, flag: &str) -> anyhow::Result<&'a T> {
    value.with_context(|| format!("{flag} is required"))
}

fn plan_options(options: &mut PlanOptions, config: &Config) {
    if options.map.is_none() {
        options.map.clone_from(&config.mapping);
    }
    if options.allow_hazard.is_empty() {
        options.allow_hazard.clone_from(&config.allow_hazards);
    }
    if options.batch_size.is_none() {
        // Checked at load time to be 1 or more; larger than a u32 is capped.
        options.batch_size = config
            .online
            .batch_size
            .map(|n| u32::try_from(n).unwrap_or(u32::MAX));
    }
}

/// `--db`, else `DATABASE_URL` (clap reads both), else the variable the config names; the
/// connection code reads `.env` last.
fn database_url(db: &mut Option<String>, config: &Config) {
    if db.is_none()
        && let Some(var) = &config.database_url_env
    {
        *db = std::env::var(var).ok().filter(|v| !v.is_empty());
    }
}

/// The schema: schemadiff.toml `schema`, else where Prisma finds it in the current directory.
pub fn project_schema(config: &Config, flag: &str) -> anyhow::Result<PathBuf> {
    if let Some(p) = &config.schema {
        return Ok(p.clone());
    }
    match schemadiff::discover::prisma_schema(Path::new("."))? {
        Some(found) => Ok(found.path),
        None => bail!(
            "no schema given: pass {flag}, set `schema` in schemadiff.toml, or run in a Prisma project (prisma.config.ts, package.json `prisma.schema`, schema.prisma, prisma/schema.prisma or prisma/schema/)"
        ),
    }
}

/// The migrations folder: schemadiff.toml `migrations`, else `prisma/migrations` when it is a
/// folder.
fn migrations(config: &Config) -> Option<PathBuf> {
    if let Some(p) = &config.migrations {
        return Some(p.clone());
    }
    let p = Path::new(".").join("prisma/migrations");
    p.is_dir().then_some(p)
}

fn path_text(p: &Path) -> String {
    p.display().to_string()
}
