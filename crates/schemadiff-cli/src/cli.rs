//! Command-line arguments (clap derive).

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Declarative schema diff for PostgreSQL: plan data-preserving migrations between schema
/// versions, detect drift, apply safely.
#[derive(Debug, Parser)]
#[command(
    name = "schemadiff",
    version = version_text(),
    about = "Declarative schema diff for PostgreSQL: plan migrations that keep every row, detect drift, apply safely",
    after_help = "Exit codes: 0 success; 1 error, invalid input, usage error or refused hazard; 2 drift found (drift only); 3 migrations not up to date (migrate status only); 130/143 apply interrupted (SIGINT/SIGTERM).\nSOURCE: a schema file or folder of .prisma files, `empty`, a postgres:// URL, or a .sql file / directory of SQL migrations.\nConfig: schemadiff.toml in the current directory or a parent up to the repository root (or --config FILE) sets defaults; every flag overrides it (docs/config.md). In a Prisma project the schema is found where Prisma finds it.\nDocs: README.md and docs/ in the repository.",
    propagate_version = true
)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
    /// The config file to read instead of the schemadiff.toml found in the current directory
    /// or a parent (up to the repository root). Flags override its values.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// `--version`: the package version and, when built from a git checkout, the commit.
pub fn version_text() -> &'static str {
    static TEXT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TEXT.get_or_init(|| {
        let commit = env!("SCHEMADIFF_COMMIT");
        if commit.is_empty() {
            env!("CARGO_PKG_VERSION").to_string()
        } else {
            format!("{} ({commit})", env!("CARGO_PKG_VERSION"))
        }
    })
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
    /// Migration folders in Prisma's layout: write (dev, diff), apply (deploy), inspect
    /// (status) and fix (resolve) the history in `_prisma_migrations`.
    Migrate(MigrateArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(CompletionsArgs),
    /// Print the man page (roff) of schemadiff and its subcommands.
    Man(ManArgs),
}

/// `schemadiff migrate`
#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: MigrateCommand,
}

/// `schemadiff migrate …` subcommands (docs/migrations.md).
#[derive(Debug, Subcommand)]
pub enum MigrateCommand {
    /// Plan from the migrations folder to the schema and write the next migration folder
    /// (migration.sql, down.sql, the mapping file).
    Dev(MigrateDevArgs),
    /// Apply the pending migration folders to a database, recording them in
    /// `_prisma_migrations` as Prisma does.
    Deploy(MigrateDeployArgs),
    /// Compare the migration folders with a database's history (exit 3 when not up to date).
    Status(MigrateStatusArgs),
    /// Record a migration as applied (baselining) or as rolled back, without running it.
    Resolve(MigrateResolveArgs),
    /// Plan between two SOURCEs into a named migration folder (e.g. `--from empty --to SCHEMA
    /// --name 0_init` to baseline an existing database).
    Diff(MigrateDiffArgs),
}

/// The migrations folder option.
#[derive(Debug, Args, Clone)]
pub struct MigrationsDir {
    /// The migrations folder (Prisma's layout). Default: schemadiff.toml `migrations`, else
    /// `prisma/migrations`.
    #[arg(long = "migrations", value_name = "DIR")]
    pub migrations: Option<PathBuf>,
}

impl MigrationsDir {
    /// The folder: the flag, else what the config filled in, else `prisma/migrations`.
    pub fn path(&self) -> &std::path::Path {
        self.migrations
            .as_deref()
            .unwrap_or(std::path::Path::new("prisma/migrations"))
    }
}

/// `schemadiff migrate dev`
#[derive(Debug, Args)]
pub struct MigrateDevArgs {
    /// The migration's name (the folder is `<UTC yyyymmddhhmmss>_<name>`).
    #[arg(long)]
    pub name: String,
    /// The schema the migrations should reach (any SOURCE). Default: the project's schema
    /// (schemadiff.toml `schema`, else where Prisma finds it).
    #[arg(long, value_name = "SOURCE")]
    pub schema: Option<String>,
    #[command(flatten)]
    pub dir: MigrationsDir,
    #[command(flatten)]
    pub options: PlanOptions,
}

/// `schemadiff migrate diff`
#[derive(Debug, Args)]
pub struct MigrateDiffArgs {
    /// Where the database is now (any SOURCE; `empty` to baseline).
    #[arg(long, value_name = "SOURCE")]
    pub from: String,
    /// Where it should be (any SOURCE).
    #[arg(long, value_name = "SOURCE")]
    pub to: String,
    /// The folder to write, as given (e.g. `0_init`).
    #[arg(long)]
    pub name: String,
    #[command(flatten)]
    pub dir: MigrationsDir,
    #[command(flatten)]
    pub options: PlanOptions,
}

/// `schemadiff migrate deploy`
#[derive(Debug, Args)]
pub struct MigrateDeployArgs {
    /// Database URL (else DATABASE_URL, else .env).
    #[arg(long, value_name = "URL", env = "DATABASE_URL", hide_env_values = true)]
    pub db: Option<String>,
    #[command(flatten)]
    pub dir: MigrationsDir,
    /// Lock timeout for each statement, e.g. `5s`, `500ms`.
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub lock_timeout: std::time::Duration,
    /// Statement timeout, e.g. `10min`; 0 disables it.
    #[arg(long, default_value = "0", value_parser = parse_duration)]
    pub statement_timeout: std::time::Duration,
    /// Wait for another schemadiff apply or deploy to finish instead of refusing.
    #[arg(long)]
    pub wait: bool,
}

/// `schemadiff migrate status`
#[derive(Debug, Args)]
pub struct MigrateStatusArgs {
    /// Database URL (else DATABASE_URL, else .env).
    #[arg(long, value_name = "URL", env = "DATABASE_URL", hide_env_values = true)]
    pub db: Option<String>,
    #[command(flatten)]
    pub dir: MigrationsDir,
}

/// `schemadiff migrate resolve`
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("resolution").required(true).args(["applied", "rolled_back"])))]
pub struct MigrateResolveArgs {
    /// Database URL (else DATABASE_URL, else .env).
    #[arg(long, value_name = "URL", env = "DATABASE_URL", hide_env_values = true)]
    pub db: Option<String>,
    #[command(flatten)]
    pub dir: MigrationsDir,
    /// Record this migration folder as applied without running it (baselining).
    #[arg(long, value_name = "NAME")]
    pub applied: Option<String>,
    /// Record this migration as rolled back: a failed one (after fixing the database), or an
    /// applied one whose down.sql was run. It is pending again.
    #[arg(long = "rolled-back", value_name = "NAME")]
    pub rolled_back: Option<String>,
}

/// `schemadiff completions SHELL`
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `schemadiff man`
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write `schemadiff.1` and one page per subcommand (`schemadiff-plan.1`…) into this
    /// folder instead of printing the main page.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}

/// Output formats of `validate`.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ValidateFormat {
    /// Diagnostics with a caret under the culprit.
    Text,
    /// GitHub Actions workflow annotations (`::error file=…,line=…,col=…::…`).
    Github,
}

/// `schemadiff validate`
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Schema files to check (a folder of `.prisma` files is one multi-file schema). Default:
    /// the project's schema (schemadiff.toml `schema`, else where Prisma finds it).
    pub files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: ValidateFormat,
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
    /// GitHub Actions workflow annotations: one per step with a hazard, at the model or field
    /// in the target schema file.
    Github,
}

/// Options shared by commands that plan.
#[derive(Debug, Args, Clone)]
pub struct PlanOptions {
    /// Mapping file: legacy values, fills, renames (see docs/mapping.md). Default:
    /// schemadiff.toml `mapping`.
    #[arg(long = "map", value_name = "FILE")]
    pub map: Option<PathBuf>,
    /// Allow a hazard by code (repeatable); `all` allows every hazard (codes: docs/hazards.md).
    /// Given, it replaces schemadiff.toml `allow_hazards`.
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
    /// With --online: rows per backfill batch (each batch is its own transaction). Default:
    /// schemadiff.toml `online.batch_size`, else 100.
    #[arg(long, value_name = "N", requires = "online",
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub batch_size: Option<u32>,
    /// With --online: keep the old columns (renamed `_sd_old_<column>`) instead of dropping
    /// them in the contract phase.
    #[arg(long, requires = "online")]
    pub keep_old_columns: bool,
}

/// `schemadiff plan`
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Where the database is now: a schema file, a SQL migrations file or directory, a
    /// database URL, or `empty`. Default: the migrations folder (schemadiff.toml `migrations`,
    /// else `prisma/migrations` when it exists).
    #[arg(long, value_name = "SOURCE")]
    pub from: Option<String>,
    /// Where it should be: same kinds as --from. Default: the project's schema
    /// (schemadiff.toml `schema`, else where Prisma finds it).
    #[arg(long, value_name = "SOURCE")]
    pub to: Option<String>,
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
    /// Database URL (else DATABASE_URL, else the variable schemadiff.toml
    /// `database_url_env` names, else .env).
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
    /// Default: the project's schema (schemadiff.toml `schema`, else where Prisma finds it).
    #[arg(long, value_name = "SOURCE")]
    pub schema: Option<String>,
    /// Database URL (else DATABASE_URL, else the variable schemadiff.toml
    /// `database_url_env` names, else .env).
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
    /// Database URL (else DATABASE_URL, else the variable schemadiff.toml
    /// `database_url_env` names, else .env).
    #[arg(long, value_name = "URL", env = "DATABASE_URL", hide_env_values = true)]
    pub db: Option<String>,
    /// The target: a schema file or any other SOURCE. Default: the project's schema
    /// (schemadiff.toml `schema`, else where Prisma finds it).
    #[arg(long, value_name = "SOURCE")]
    pub to: Option<String>,
    #[command(flatten)]
    pub options: PlanOptions,
    /// Run the pre-flight checks and print the plan; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask for confirmation (required without a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Lock timeout for each statement, e.g. `5s`, `500ms` [default: schemadiff.toml
    /// `lock_timeout`, else 5s].
    #[arg(long, value_parser = parse_duration)]
    pub lock_timeout: Option<std::time::Duration>,
    /// Statement timeout, e.g. `10min`; 0 disables it [default: schemadiff.toml
    /// `statement_timeout`, else 0].
    #[arg(long, value_parser = parse_duration)]
    pub statement_timeout: Option<std::time::Duration>,
    /// Wait for another schemadiff apply to finish instead of refusing.
    #[arg(long)]
    pub wait: bool,
    /// With --online: pause between backfill batches, e.g. `50ms` (0: none). Default:
    /// schemadiff.toml `online.batch_pause`, else 0.
    #[arg(long, value_parser = parse_duration, requires = "online")]
    pub throttle: Option<std::time::Duration>,
    /// With --online: lock_timeout of each transaction, retried with backoff and jitter
    /// when the lock is not granted in time. Default: schemadiff.toml `online.lock_timeout`,
    /// else 50ms.
    #[arg(long, value_parser = parse_duration, requires = "online")]
    pub online_lock_timeout: Option<std::time::Duration>,
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
