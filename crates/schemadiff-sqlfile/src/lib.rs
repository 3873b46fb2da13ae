//! Reads SQL migration scripts into the schema model, without a database.
//!
//! A source is either one `.sql` file or a directory of migrations:
//! - subdirectories each holding a `migration.sql` (Prisma's `migrations/` folder), applied
//!   in lexicographic order of the subdirectory names;
//! - otherwise the directory's `*.sql` files, in file-name order.
//!
//! Other files (`migration_lock.toml`, READMEs) are ignored.
//!
//! Each script is split into statements (see [`split`]), each statement is parsed with
//! sqlparser's PostgreSQL dialect and replayed onto a [`Schema`] the way PostgreSQL would
//! apply it, following the model conventions (docs/model.md). What cannot be modelled is
//! never skipped silently: it lands in [`Schema::not_managed`] (views, functions, triggers,
//! policies, sequences, partial or expression indexes) and/or in a [`Report`].
//! A statement that fails (unknown table, parse error) leaves the schema as it was.

mod alter;
mod apply;
mod create;
mod names;
pub mod split;
mod types;

use schemadiff_model::Schema;
use std::fmt;
use std::path::Path;

/// The result of reading a migration source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loaded {
    /// The schema the scripts produce.
    pub schema: Schema,
    /// Statements that were not (fully) modelled, in script order.
    pub reports: Vec<Report>,
}

/// How serious a report is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ReportSeverity {
    /// Valid SQL the model does not describe; listed, not applied.
    Unsupported,
    /// Could not be parsed, or refers to an unknown object; the statement was not applied.
    Error,
}

/// One statement that was not (fully) modelled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The script's name (its path relative to the source).
    pub file: String,
    /// The 1-based line where the statement starts.
    pub line: usize,
    /// The statement's first characters, whitespace collapsed (about 80 characters).
    pub statement: String,
    /// Why it was not (fully) modelled.
    pub reason: String,
    /// Unsupported or Error.
    pub severity: ReportSeverity,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            ReportSeverity::Unsupported => "unsupported",
            ReportSeverity::Error => "error",
        };
        write!(
            f,
            "{}:{}: {sev}: {} ({})",
            self.file, self.line, self.reason, self.statement
        )
    }
}

/// Reads a `.sql` file or a migrations directory (see the crate documentation).
pub fn load_path(path: &Path) -> std::io::Result<Loaded> {
    let mut schema = Schema::empty();
    let mut reports = Vec::new();
    for (name, file) in scripts(path)? {
        let sql = std::fs::read_to_string(&file).map_err(|e| {
            std::io::Error::new(e.kind(), format!("cannot read {}: {e}", file.display()))
        })?;
        load_script(&name, &sql, &mut schema, &mut reports);
    }
    Ok(Loaded { schema, reports })
}

/// The scripts of a source (a `.sql` file or a migrations directory), in the order they apply,
/// each with its display name: what [`load_path`] reads, for callers that replay them elsewhere.
pub fn migration_scripts(path: &Path) -> std::io::Result<Vec<(String, std::path::PathBuf)>> {
    scripts(path)
}

/// The scripts of a source, in the order they apply, each with its display name.
fn scripts(path: &Path) -> std::io::Result<Vec<(String, std::path::PathBuf)>> {
    let meta = std::fs::metadata(path).map_err(|e| {
        std::io::Error::new(e.kind(), format!("cannot read {}: {e}", path.display()))
    })?;
    if meta.is_file() {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        return Ok(vec![(name, path.to_path_buf())]);
    }
    let mut entries: Vec<_> = std::fs::read_dir(path)?
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .map(|e| e.path())
        .collect();
    entries.sort();
    let mut out = Vec::new();
    for p in entries {
        let fname = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if p.is_dir() {
            let m = p.join("migration.sql");
            if m.is_file() {
                out.push((format!("{fname}/migration.sql"), m));
            }
        } else if p.extension().is_some_and(|e| e.eq_ignore_ascii_case("sql")) {
            out.push((fname, p));
        }
    }
    if out.is_empty() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!(
                "{} holds no *.sql file and no */migration.sql",
                path.display()
            ),
        ));
    }
    Ok(out)
}

/// Applies one script on top of `into`, appending what it could not model to `reports`.
/// `name` is the file name used in reports.
pub fn load_script(name: &str, sql: &str, into: &mut Schema, reports: &mut Vec<Report>) {
    let mut session = apply::Session::new();
    for stmt in split::split_statements(sql) {
        apply::statement(name, &stmt, into, reports, &mut session);
    }
    into.not_managed.sort();
    into.not_managed.dedup();
}
