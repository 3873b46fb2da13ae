//! Command-line arguments (clap derive).

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Declarative schema diff for PostgreSQL: plan data-preserving migrations between schema
/// versions, detect drift, apply safely.
#[derive(Debug, Parser)]
#[command(
    name = "schemadiff",
    version,
    about = "Declarative schema diff for PostgreSQL: plan migrations that keep every row, detect drift, apply safely",
    after_help = "Exit codes: 0 success; 1 error, invalid input, usage error or refused hazard; 2 drift found (drift only); 130/143 apply interrupted (SIGINT/SIGTERM).\nSOURCE: a schema file or folder of .prisma files, `empty`, a postgres:// URL, or a .sql file / directory of SQL migrations.\nDocs: README.md and docs/ in the repository.",
    propagate_version = true
)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check schema files; print every problem with its location.
    Validate(ValidateArgs),
    /// Format schema files in place (or check that they are formatted).
    Fmt(FmtArgs),
    /// Plan the SQL that takes a database from one schema to another, keeping every row.
    Plan(PlanArgs),
    /// Print a live database as a schema file.
    Inspect(InspectArgs),
    /// Compare a schema file with a live database (exit 2 when they differ).
    Drift(DriftArgs),
    /// Plan from a live database to a target and apply it safely.
    Apply(ApplyArgs),
}

/// `schemadiff validate`
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Schema files to check (a folder of `.prisma` files is one multi-file schema).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

/// `schemadiff fmt`
#[derive(Debug, Args)]
pub struct FmtArgs {
    /// Do not write; exit 1 when a file would change.
    #[arg(long)]
    pub check: bool,
    /// Schema files to format (a folder: each of its `.prisma` files).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

/// Output formats of `plan`.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum PlanFormat {
    /// Reviewable SQL script.
    Sql,
    /// Steps, hazards, mappings and statements for tools.
    Json,
    /// A summary for a pull-request comment.
    Markdown,
}

/// Options shared by commands that plan.
#[derive(Debug, Args, Clone)]
pub struct PlanOptions {
    /// Mapping file: legacy values, fills, renames (see docs/mapping.md).
    #[arg(long = "map", value_name = "FILE")]
    pub map: Option<PathBuf>,
    /// Allow a hazard by code (repeatable); `all` allows every hazard (codes: docs/hazards.md).
    #[arg(long = "allow-hazard", value_name = "CODE", value_parser = parse_hazard_code)]
    pub allow_hazard: Vec<String>,
    /// The PostgreSQL major version the script will run on (13 to 18; default 13, whose
    /// script runs on every supported version). A database side gives its own version.
    #[arg(long = "pg-version", value_name = "N", value_parser = parse_pg_version)]
    pub pg_version: Option<u32>,
    /// Read SQL migration sources by replaying them into a scratch database created (and
    /// always dropped) on this server, instead of with the offline reader.
    #[arg(long = "shadow-db", value_name = "URL")]
    pub shadow_db: Option<String>,
    /// Online mode: type changes through shadow columns, triggers and a batched backfill,
    /// indexes built CONCURRENTLY, keys NOT VALID then validated; no long lock (docs/online.md).
    #[arg(long)]
    pub online: bool,
    /// With --online: rows per backfill batch (each batch is its own transaction).
    #[arg(long, value_name = "N", default_value = "100", requires = "online",
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub batch_size: u32,
    /// With --online: keep the old columns (renamed `_sd_old_<column>`) instead of dropping
    /// them in the contract phase.
    #[arg(long, requires = "online")]
    pub keep_old_columns: bool,
}

/// `schemadiff plan`
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Where the database is now: a schema file, a SQL migrations file or directory, a
    /// database URL, or `empty`.
    #[arg(long, value_name = "SOURCE")]
    pub from: String,
    /// Where it should be: same kinds as --from.
    #[arg(long, value_name = "SOURCE")]
    pub to: String,
    #[command(flatten)]
    pub options: PlanOptions,
    /// Output format.
    #[arg(long, value_enum, default_value = "sql")]
    pub format: PlanFormat,
    /// Write the output to a file instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// `schemadiff inspect`
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Database URL (else DATABASE_URL, else .env).
    #[arg(long, value_name = "URL", env = "DATABASE_URL", hide_env_values = true)]
    pub db: Option<String>,
    /// PostgreSQL schemas to read (repeatable; default from the URL's ?schema= or `public`).
    #[arg(long = "schema", value_name = "NAME")]
    pub schemas: Vec<String>,
}

/// Output formats of `drift`.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum DriftFormat {
    /// Unified diff of the two schemas plus the reconciling SQL.
    Text,
    /// Machine-readable report.
    Json,
    /// GitHub Actions workflow annotations.
    Github,
}

/// `schemadiff drift`
#[derive(Debug, Args)]
pub struct DriftArgs {
    /// The schema the database should match (a schema file or folder, or any other SOURCE).
    #[arg(long, value_name = "SOURCE")]
    pub schema: String,
    /// Database URL (else DATABASE_URL, else .env).
    #[arg(long, value_name = "URL", env = "DATABASE_URL", hide_env_values = true)]
    pub db: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: DriftFormat,
    /// When --schema is a SQL migrations source: replay it into a scratch database created
    /// (and always dropped) on this server, instead of reading it offline.
    #[arg(long = "shadow-db", value_name = "URL")]
    pub shadow_db: Option<String>,
    /// Count enum labels in another order as drift (by default a note: the order is never
    /// planned, as Prisma does not track it).
    #[arg(long)]
    pub strict_order: bool,
}

/// `schemadiff apply`
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// Database URL (else DATABASE_URL, else .env).
    #[arg(long, value_name = "URL", env = "DATABASE_URL", hide_env_values = true)]
    pub db: Option<String>,
    /// The target: a schema file or any other SOURCE.
    #[arg(long, value_name = "SOURCE")]
    pub to: String,
    #[command(flatten)]
    pub options: PlanOptions,
    /// Run the pre-flight checks and print the plan; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask for confirmation (required without a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Lock timeout for each statement, e.g. `5s`, `500ms`.
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub lock_timeout: std::time::Duration,
    /// Statement timeout, e.g. `10min`; 0 disables it.
    #[arg(long, default_value = "0", value_parser = parse_duration)]
    pub statement_timeout: std::time::Duration,
    /// Wait for another schemadiff apply to finish instead of refusing.
    #[arg(long)]
    pub wait: bool,
    /// With --online: pause between backfill batches, e.g. `50ms` (0: none).
    #[arg(long, default_value = "0", value_parser = parse_duration, requires = "online")]
    pub throttle: std::time::Duration,
    /// With --online: lock_timeout of each transaction, retried with backoff and jitter
    /// when the lock is not granted in time.
    #[arg(long, default_value = "50ms", value_parser = parse_duration, requires = "online")]
    pub online_lock_timeout: std::time::Duration,
}

/// The PostgreSQL major versions a plan can be made for.
pub const PG_VERSIONS: std::ops::RangeInclusive<u32> = 13..=18;

/// Parses `--pg-version`: a supported major version.
pub fn parse_pg_version(s: &str) -> Result<u32, String> {
    let valid = || {
        PG_VERSIONS
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match s.trim().parse::<u32>() {
        Ok(n) if PG_VERSIONS.contains(&n) => Ok(n),
        _ => Err(format!(
            "unsupported PostgreSQL version `{s}`; valid versions: {}",
            valid()
        )),
    }
}

/// Parses `--allow-hazard`: a known hazard code or `all`.
pub fn parse_hazard_code(s: &str) -> Result<String, String> {
    let codes = schemadiff_plan::HAZARD_CODES;
    if s == "all" || codes.contains(&s) {
        return Ok(s.to_string());
    }
    Err(format!(
        "unknown hazard code `{s}`; valid codes: all, {} (docs/hazards.md)",
        codes.join(", ")
    ))
}

/// Parses a duration (`500ms`, `5s`, `2min`, `1h 30min`: humantime's syntax), a bare number of
/// seconds (`0`, `30`, `1.5`), or a decimal number with one unit (`1.5s`, `0.5min`).
pub fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let s = s.trim();
    let not_a_duration = || format!("`{s}` is not a duration (try 5s, 500ms, 2min)");
    let split = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    if unit.is_empty() || number.contains('.') {
        let n: f64 = number.parse().map_err(|_| not_a_duration())?;
        let one = if unit.is_empty() {
            std::time::Duration::from_secs(1)
        } else {
            humantime::parse_duration(&format!("1{unit}"))
                .map_err(|e| format!("`{s}` is not a duration ({e}; try 5s, 500ms, 2min)"))?
        };
        return std::time::Duration::try_from_secs_f64(one.as_secs_f64() * n)
            .map_err(|_| format!("`{s}` is too long a duration"));
    }
    humantime::parse_duration(s)
        .map_err(|e| format!("`{s}` is not a duration ({e}; try 5s, 500ms, 2min)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("5s").unwrap().as_millis(), 5000);
        assert_eq!(parse_duration("500ms").unwrap().as_millis(), 500);
        assert_eq!(parse_duration("2min").unwrap().as_secs(), 120);
        assert_eq!(parse_duration("0").unwrap().as_secs(), 0);
        assert_eq!(parse_duration("1.5").unwrap().as_millis(), 1500);
        assert_eq!(parse_duration("1.5s").unwrap().as_millis(), 1500);
        assert_eq!(parse_duration("0.5min").unwrap().as_secs(), 30);
        assert_eq!(parse_duration("1h 30min").unwrap().as_secs(), 5400);
        assert_eq!(parse_duration("1h").unwrap().as_secs(), 3600);
        assert!(parse_duration("5 parsecs").is_err());
        assert!(parse_duration("").is_err());
        assert!(parse_duration("1.2.3").is_err());
        assert!(parse_duration("99999999999999999999999.5h").is_err());
    }

    #[test]
    fn pg_versions_and_hazard_codes_are_checked() {
        assert_eq!(parse_pg_version("13"), Ok(13));
        assert_eq!(parse_pg_version("18"), Ok(18));
        for bad in ["12", "19", "0", "x", "-1", "99999999999"] {
            let e = parse_pg_version(bad).unwrap_err();
            assert!(e.contains("13, 14, 15, 16, 17, 18"), "{e}");
        }
        assert_eq!(parse_hazard_code("drop-table").as_deref(), Ok("drop-table"));
        assert_eq!(parse_hazard_code("all").as_deref(), Ok("all"));
        let e = parse_hazard_code("drop-tabel").unwrap_err();
        assert!(
            e.contains("valid codes: all, drop-table, drop-column"),
            "{e}"
        );
    }
}
