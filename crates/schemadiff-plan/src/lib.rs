//! Orders the changes between two schemas into a plan of PostgreSQL statements that keeps the
//! data: generated legacy-value mappings for String → enum casts, guards that stop the
//! migration before anything changed, hazards for every risky step, and transaction batches.
//!
//! Pipeline: [`plan`] = validate the mapping → `schemadiff_diff::diff` → build steps
//! (`build`) → dependency graph (`edges`) → deterministic topological order (`order`) →
//! batches. Statement text is produced here (`sqltext`, one quoting function each) so that
//! `apply` and the pre-flight can run it; `schemadiff-render` renders the reviewable output.

mod alter;
mod build;
mod cast;
pub mod comment;
mod ddl;
mod edges;
mod enum_use;
mod mapping;
mod objects;
pub mod online;
mod order;
mod preflight;
pub mod sqltext;

pub use cast::{EnumCast, normalize};
pub use comment::Comment;
pub use mapping::{
    ColumnKey, DatabaseNames, Mapping, MappingError, NameResolver, check_fill_expression,
};
pub use preflight::{PreflightKind, PreflightOutcome, PreflightQuery};
pub use sqltext::{quote_ident, quote_literal};

use schemadiff_model::{QualifiedName, Schema};
pub use schemadiff_model::{SqlBatch, SqlStatement};
use serde::Serialize;

/// What a step does; the order of the variants is the tie-break phase of the ordering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepKind {
    /// `CREATE EXTENSION IF NOT EXISTS` (or `ALTER EXTENSION`) of an extension the datasource
    /// lists: before anything else.
    CreateExtension,
    /// A `DO` block that checks the data and stops the migration before anything changed.
    Guard,
    /// `ALTER TYPE … ADD VALUE` of a label no step of the plan uses (one the plan uses makes the
    /// enum recreated instead, see `enum_use`).
    AddEnumValue,
    /// `CREATE SCHEMA IF NOT EXISTS` for a namespace other than `public` that the target uses.
    CreateSchema,
    /// `CREATE TYPE … AS ENUM`.
    CreateEnum,
    /// Renames the old type away and creates the new one (enum value removed or reordered).
    RecreateEnumBegin,
    /// `ALTER TABLE … RENAME TO`.
    RenameTable,
    /// `ALTER TABLE … RENAME COLUMN`.
    RenameColumn,
    /// `ALTER TABLE … RENAME CONSTRAINT` / `ALTER INDEX … RENAME TO`.
    RenameConstraint,
    /// `ALTER TABLE … DROP CONSTRAINT` of a foreign key.
    DropForeignKey,
    /// `DROP INDEX`.
    DropIndex,
    /// `ALTER TABLE … DROP CONSTRAINT` of a primary key.
    DropPrimaryKey,
    /// The temporary JSON-parsing helper function.
    CreateHelper,
    /// One `ALTER TABLE` with every column change of a table (at most one rewrite).
    AlterTable,
    /// `DROP TABLE`.
    DropTable,
    /// `DROP TYPE` of the renamed-away old enum.
    RecreateEnumEnd,
    /// `DROP TYPE`.
    DropEnum,
    /// `CREATE TABLE`.
    CreateTable,
    /// `ALTER TABLE … ADD CONSTRAINT … PRIMARY KEY`.
    AddPrimaryKey,
    /// `CREATE [UNIQUE] INDEX`.
    CreateIndex,
    /// `ALTER TABLE … ADD CONSTRAINT … FOREIGN KEY`.
    AddForeignKey,
    /// `DROP EXTENSION` of one the datasource no longer lists: after everything else.
    DropExtension,
}

impl StepKind {
    /// Stable kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            StepKind::CreateExtension => "create-extension",
            StepKind::DropExtension => "drop-extension",
            StepKind::Guard => "guard",
            StepKind::AddEnumValue => "add-enum-value",
            StepKind::CreateSchema => "create-schema",
            StepKind::CreateEnum => "create-enum",
            StepKind::RecreateEnumBegin => "recreate-enum",
            StepKind::RenameTable => "rename-table",
            StepKind::RenameColumn => "rename-column",
            StepKind::RenameConstraint => "rename-constraint",
            StepKind::DropForeignKey => "drop-foreign-key",
            StepKind::DropIndex => "drop-index",
            StepKind::DropPrimaryKey => "drop-primary-key",
            StepKind::CreateHelper => "create-helper",
            StepKind::AlterTable => "alter-table",
            StepKind::DropTable => "drop-table",
            StepKind::RecreateEnumEnd => "drop-old-enum",
            StepKind::DropEnum => "drop-enum",
            StepKind::CreateTable => "create-table",
            StepKind::AddPrimaryKey => "add-primary-key",
            StepKind::CreateIndex => "create-index",
            StepKind::AddForeignKey => "add-foreign-key",
        }
    }
}

/// What kind of SQL a statement is; says whether sqlparser's PostgreSQL dialect can read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SqlKind {
    /// Ordinary DDL/DML that sqlparser parses.
    Plain,
    /// A `DO $$ … $$` block: sqlparser 0.64 has no `DO`.
    DoBlock,
    /// `CREATE TYPE … AS ENUM` / `ALTER TYPE … ADD VALUE` with an `E'…'` label (a label
    /// holding `\`): sqlparser 0.64 only takes plain `'…'` strings there.
    EscapedEnumLabel,
}

impl SqlKind {
    /// False for the statement kinds sqlparser 0.64 cannot parse.
    pub fn parsed_by_sqlparser(self) -> bool {
        matches!(self, SqlKind::Plain)
    }
}

/// One SQL statement of a step (without the trailing `;`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Statement {
    /// The statement text.
    pub sql: String,
    /// Its kind.
    pub kind: SqlKind,
}

/// One ordered unit of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// What it does.
    pub kind: StepKind,
    /// The object it acts on (`User`, `User.role`, `User_email_idx`).
    pub object: String,
    /// One line saying what it does and why.
    pub description: String,
    /// More lines for the reviewer (the mapping table of a cast…).
    pub details: Vec<String>,
    /// The statements, in order.
    pub statements: Vec<Statement>,
    /// Indexes into [`Plan::hazards`].
    pub hazards: Vec<usize>,
    /// The batch (transaction) it runs in.
    pub batch: usize,
}

/// A risky step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hazard {
    /// Stable kebab-case code (docs/hazards.md).
    pub code: &'static str,
    /// What is at risk, naming the objects.
    pub message: String,
    /// True when running the step can destroy data.
    pub loses_data: bool,
    /// True when the plan is refused unless the hazard is allowed.
    pub requires_allow: bool,
    /// Index of the step into [`Plan::steps`].
    pub step: usize,
}

/// Every hazard code a plan can carry (docs/hazards.md lists each one), for callers that check
/// `--allow-hazard` values.
pub const HAZARD_CODES: &[&str] = &[
    "drop-table",
    "drop-column",
    "narrowing-cast",
    "time-zone-cast",
    "json-normalized",
    "not-castable",
    "enum-value-removed",
    "set-not-null-on-existing-data",
    "unmapped-null",
    "drop-extension",
    "drop-enum",
    "table-rewrite",
    "add-unique-on-existing-data",
    "duplicate-index",
];

#[cfg(test)]
mod hazard_code_tests {
    /// The list, the codes in the source and the table of docs/hazards.md agree.
    #[test]
    fn every_code_is_listed_and_documented() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let docs = std::fs::read_to_string(dir.join("../../docs/hazards.md")).expect("hazards.md");
        let documented: Vec<&str> = docs
            .lines()
            .filter_map(|l| l.strip_prefix("| `"))
            .filter_map(|l| l.split('`').next())
            .collect();
        assert_eq!(documented, super::HAZARD_CODES, "docs/hazards.md table");
        let mut used = Vec::new();
        for f in ["build.rs", "objects.rs", "alter.rs"] {
            let src = std::fs::read_to_string(dir.join("src").join(f)).expect("source");
            let mut rest = src.as_str();
            while let Some(i) = rest.find("RawHazard::new(") {
                rest = &rest[i + 15..];
                let lit = rest.trim_start().trim_start_matches('"');
                used.push(lit.split('"').next().unwrap_or_default().to_string());
            }
            let mut rest = src.as_str();
            while let Some(i) = rest.find("codes.push(\"") {
                rest = &rest[i + 12..];
                used.push(rest.split('"').next().unwrap_or_default().to_string());
            }
        }
        for u in &used {
            assert!(
                super::HAZARD_CODES.contains(&u.as_str()),
                "{u} is not in HAZARD_CODES"
            );
        }
        for c in super::HAZARD_CODES {
            assert!(used.iter().any(|u| u == c), "{c} is never raised");
        }
    }
}

/// Where a mapping entry comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MappingSource {
    /// `[values.Model.field]` of the mapping file: exact legacy value.
    MappingFile,
    /// Same name ignoring case and separators; `legacy` holds the normalised key.
    NameMatch,
    /// Spelled exactly as the label, for a label with no ASCII letter or digit (no name-match
    /// key): `legacy` is the label itself.
    Exact,
}

/// One legacy → enum value rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MappingEntry {
    /// The legacy value (for a name match: the key, letters and digits upper-cased).
    pub legacy: String,
    /// The enum value.
    pub value: String,
    /// Where it comes from.
    pub source: MappingSource,
}

/// The value mapping of one cast to an enum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValueMapping {
    /// The table.
    pub table: QualifiedName,
    /// The column.
    pub column: String,
    /// The target enum.
    pub enum_name: QualifiedName,
    /// Rules, first match wins: mapping-file entries, then name matches.
    pub entries: Vec<MappingEntry>,
}

/// The ordered plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// Steps in execution order.
    pub steps: Vec<Step>,
    /// Hazards, in step order.
    pub hazards: Vec<Hazard>,
    /// Things the reviewer must know that are not hazards.
    pub warnings: Vec<String>,
    /// Value mappings of the casts to enums.
    pub mappings: Vec<ValueMapping>,
    /// Pre-flight checks (see [`Plan::preflight_queries`]).
    pub preflight: Vec<PreflightQuery>,
    /// The PostgreSQL major version the statements were planned for ([`PlanOptions`]).
    pub pg_version: u32,
}

impl Plan {
    /// True when there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// Hazards that need allowing and are not in `allowed` (codes; `"all"` allows everything).
    pub fn refused(&self, allowed: &[String]) -> Vec<&Hazard> {
        if allowed.iter().any(|a| a == "all") {
            return Vec::new();
        }
        self.hazards
            .iter()
            .filter(|h| h.requires_allow && !allowed.iter().any(|a| a == h.code))
            .collect()
    }

    /// Lets the hazards whose message is `message` through without `--allow-hazard`, with
    /// `why` added to their message: a pre-flight found nothing they could fail on
    /// ([`PreflightOutcome::clears`]). Returns how many it cleared.
    pub fn clear_hazard(&mut self, message: &str, why: &str) -> usize {
        let mut n = 0;
        for h in &mut self.hazards {
            if h.message == message && h.requires_allow {
                h.requires_allow = false;
                h.message = format!("{} [pre-flight: {why}]", h.message);
                n += 1;
            }
        }
        n
    }

    /// The statements grouped in transactions, in order.
    pub fn batches(&self) -> Vec<SqlBatch> {
        let mut out: Vec<SqlBatch> = Vec::new();
        for s in &self.steps {
            while out.len() <= s.batch {
                out.push(SqlBatch {
                    transactional: true,
                    statements: Vec::new(),
                });
            }
            for st in &s.statements {
                out[s.batch].statements.push(SqlStatement {
                    description: s.description.clone(),
                    sql: st.sql.clone(),
                });
            }
        }
        out.retain(|b| !b.statements.is_empty());
        out
    }

    /// Read-only queries to run on the live database before applying (see `preflight`).
    pub fn preflight_queries(&self) -> Vec<PreflightQuery> {
        self.preflight.clone()
    }

    /// Number of steps of each kind, in kind order.
    pub fn counts(&self) -> Vec<(StepKind, usize)> {
        let mut m: std::collections::BTreeMap<StepKind, usize> = Default::default();
        for s in &self.steps {
            *m.entry(s.kind).or_default() += 1;
        }
        m.into_iter().collect()
    }
}

/// Why no plan could be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// The ordering rules contradict each other.
    #[error("cannot order the plan: dependency cycle between {0}")]
    Cycle(String),
    /// The mapping file names an enum value that does not exist.
    #[error(
        "{path}: '{legacy}' is mapped to {value}, which is not a value of enum {enum_name} (values: {values})"
    )]
    UnknownEnumValue {
        /// Key path in the mapping file.
        path: String,
        /// The legacy value.
        legacy: String,
        /// The unknown target.
        value: String,
        /// The enum.
        enum_name: String,
        /// Its values.
        values: String,
    },
    /// The target PostgreSQL version is older than schemadiff supports.
    #[error("PostgreSQL {0} is not supported: schemadiff plans for PostgreSQL 13 and later")]
    UnsupportedVersion(u32),
    /// The mapping file names something the plan has no use for (or that does not exist).
    #[error("{path}: {message}")]
    UnusedMapping {
        /// Key path in the mapping file.
        path: String,
        /// Why.
        message: String,
    },
}

/// The oldest PostgreSQL major version schemadiff plans for.
pub const MIN_PG_VERSION: u32 = 13;

/// The newest PostgreSQL major version schemadiff is tested against. Newer versions are
/// planned for like this one.
pub const MAX_TESTED_PG_VERSION: u32 = 18;

/// How to plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanOptions {
    /// The PostgreSQL major version the script will run on (13 or later). The plan uses what
    /// that version supports (docs/planning.md, "PostgreSQL versions"); the default is the
    /// oldest supported, [`MIN_PG_VERSION`], whose script runs on every supported server.
    pub pg_version: u32,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            pg_version: MIN_PG_VERSION,
        }
    }
}

impl PlanOptions {
    /// Options for a major version; an error below [`MIN_PG_VERSION`].
    pub fn for_version(pg_version: u32) -> Result<Self, PlanError> {
        if pg_version < MIN_PG_VERSION {
            return Err(PlanError::UnsupportedVersion(pg_version));
        }
        Ok(PlanOptions { pg_version })
    }

    /// The major version of a `server_version_num` (`150020` → 15).
    pub fn major_of_version_num(server_version_num: u32) -> u32 {
        server_version_num / 10_000
    }
}

/// Plans `from` → `to` with the mapping file (use [`Mapping::empty`] without one), for the
/// default version ([`PlanOptions::default`]).
pub fn plan(from: &Schema, to: &Schema, mapping: &Mapping) -> Result<Plan, PlanError> {
    plan_with(from, to, mapping, &PlanOptions::default())
}

/// Plans `from` → `to` for the PostgreSQL version in `options`.
pub fn plan_with(
    from: &Schema,
    to: &Schema,
    mapping: &Mapping,
    options: &PlanOptions,
) -> Result<Plan, PlanError> {
    let options = PlanOptions::for_version(options.pg_version)?;
    let built = build::build(from, to, mapping, &options)?;
    order::finish(built, &options)
}
