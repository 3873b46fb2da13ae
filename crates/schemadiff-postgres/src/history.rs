//! Prisma's migration history table, `_prisma_migrations`, read and written the way Prisma's
//! migration engine does (docs/migrations.md):
//!
//! - created, when absent, with Prisma's own DDL ([`PRISMA_MIGRATIONS_DDL`]) in the schema of
//!   the connection string (`?schema=`, default `public`);
//! - a migration about to run gets a row first ([`insert_migration`] with [`NewRow::Started`]: a fresh UUID, the SHA-256
//!   checksum of its `migration.sql`, `started_at`, `applied_steps_count` 0); on success
//!   `applied_steps_count` becomes 1 and `finished_at` is set ([`record_finished`]); on failure
//!   the error goes to `logs` and `finished_at` stays NULL ([`record_failed`]), which Prisma
//!   and schemadiff read as a failed migration that blocks further deploys;
//! - `migrate resolve` marks a row rolled back ([`mark_rolled_back`]) or inserts a finished row
//!   for a migration applied by other means ([`insert_migration`] with
//!   [`NewRow::Applied`]).
//!
//! Every statement is one statement with bound parameters; the schema name is quoted.

use crate::error::{Error, ServerMessage};
use crate::introspect::PRISMA_MIGRATIONS_TABLE;
use tokio_postgres::Client;

/// Prisma's DDL for its history table on PostgreSQL, byte for byte (Prisma runs it with the
/// `search_path` set to the schema of the connection string; [`create_table`] qualifies the
/// name instead).
pub const PRISMA_MIGRATIONS_DDL: &str = "CREATE TABLE _prisma_migrations (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
);
";

/// One row of `_prisma_migrations`. Timestamps are PostgreSQL's text form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationRow {
    /// A UUID (v4) in its 36-character text form.
    pub id: String,
    /// SHA-256 of the `migration.sql` bytes, lower-case hex.
    pub checksum: String,
    /// Set when the migration finished successfully (or was resolved as applied).
    pub finished_at: Option<String>,
    /// The folder name (`20260101120000_add_users`).
    pub migration_name: String,
    /// The error of a failed migration.
    pub logs: Option<String>,
    /// Set by `migrate resolve --rolled-back`: the row no longer counts.
    pub rolled_back_at: Option<String>,
    /// When the migration started.
    pub started_at: String,
    /// 1 once the script ran (Prisma counts the whole script as one step); 0 for a row resolved
    /// as applied or a failed migration.
    pub applied_steps_count: i32,
}

impl MigrationRow {
    /// Finished and not rolled back: applied.
    pub fn is_applied(&self) -> bool {
        self.finished_at.is_some() && self.rolled_back_at.is_none()
    }

    /// Neither finished nor rolled back: failed (or still running).
    pub fn is_failed(&self) -> bool {
        self.finished_at.is_none() && self.rolled_back_at.is_none()
    }
}

fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// The qualified table name in `schema`.
fn table(schema: &str) -> String {
    format!(
        "{}.{}",
        quote_ident(schema),
        quote_ident(PRISMA_MIGRATIONS_TABLE)
    )
}

fn query_error(context: &str) -> impl Fn(tokio_postgres::Error) -> Error + '_ {
    move |e| Error::Query {
        context: context.to_string(),
        server: ServerMessage::from_pg(&e, &[]),
    }
}

/// True when `schema` holds the history table. Reads only.
pub async fn table_exists(client: &Client, schema: &str) -> Result<bool, Error> {
    let row = client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n \
             ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p'))",
            &[&schema, &PRISMA_MIGRATIONS_TABLE],
        )
        .await
        .map_err(query_error("looking for _prisma_migrations"))?;
    Ok(row.get(0))
}

/// Every row, oldest first (by `started_at`, as Prisma lists them), or `None` when the table
/// does not exist. Reads only: callers that must not write run it in a `ReadOnly` transaction.
pub async fn read_history(
    client: &Client,
    schema: &str,
) -> Result<Option<Vec<MigrationRow>>, Error> {
    if !table_exists(client, schema).await? {
        return Ok(None);
    }
    let sql = format!(
        "SELECT id::text, checksum::text, finished_at::text, migration_name::text, logs, \
         rolled_back_at::text, started_at::text, applied_steps_count \
         FROM {} ORDER BY started_at, migration_name",
        table(schema)
    );
    let rows = client
        .query(&sql, &[])
        .await
        .map_err(query_error("reading _prisma_migrations"))?;
    Ok(Some(
        rows.iter()
            .map(|r| MigrationRow {
                id: r.get(0),
                checksum: r.get(1),
                finished_at: r.get(2),
                migration_name: r.get(3),
                logs: r.get(4),
                rolled_back_at: r.get(5),
                started_at: r.get(6),
                applied_steps_count: r.get(7),
            })
            .collect(),
    ))
}

/// Creates the history table with Prisma's DDL in `schema` unless it exists. Returns true when
/// it was created.
pub async fn create_table(client: &Client, schema: &str) -> Result<bool, Error> {
    if table_exists(client, schema).await? {
        return Ok(false);
    }
    let ddl = PRISMA_MIGRATIONS_DDL.replacen(PRISMA_MIGRATIONS_TABLE, &table(schema), 1);
    client
        .batch_execute(&ddl)
        .await
        .map_err(query_error("creating _prisma_migrations"))?;
    Ok(true)
}

/// What kind of row [`insert_migration`] adds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewRow {
    /// A migration about to run (Prisma's "migration started"): `started_at` now, no
    /// `finished_at`.
    Started,
    /// A migration applied by other means (Prisma's "mark migration applied"): started and
    /// finished now.
    Applied,
}

/// Inserts a row for `migration_name` with a new UUID, the checksum and
/// `applied_steps_count` 0, started (and, for [`NewRow::Applied`], finished) now. Returns the
/// id.
pub async fn insert_migration(
    client: &Client,
    schema: &str,
    migration_name: &str,
    checksum: &str,
    kind: NewRow,
) -> Result<String, Error> {
    let (column, value, context) = match kind {
        NewRow::Started => ("", "", "recording a migration in _prisma_migrations"),
        NewRow::Applied => (
            "finished_at, ",
            "now(), ",
            "recording an applied migration in _prisma_migrations",
        ),
    };
    let sql = format!(
        "INSERT INTO {} (id, checksum, started_at, {column}migration_name, applied_steps_count) \
         VALUES (gen_random_uuid()::text, $1, now(), {value}$2, 0) RETURNING id::text",
        table(schema)
    );
    let row = client
        .query_one(&sql, &[&checksum, &migration_name])
        .await
        .map_err(query_error(context))?;
    Ok(row.get(0))
}

/// The script ran: `applied_steps_count` + 1 and `finished_at` now (Prisma's successful step,
/// then "migration finished").
pub async fn record_finished(client: &Client, schema: &str, id: &str) -> Result<(), Error> {
    let sql = format!(
        "UPDATE {} SET applied_steps_count = applied_steps_count + 1, finished_at = now() WHERE id = $1",
        table(schema)
    );
    client.execute(&sql, &[&id]).await.map_err(query_error(
        "recording a finished migration in _prisma_migrations",
    ))?;
    Ok(())
}

/// The script failed: its error goes to `logs`; `finished_at` stays NULL (Prisma's failed step).
pub async fn record_failed(
    client: &Client,
    schema: &str,
    id: &str,
    logs: &str,
) -> Result<(), Error> {
    let sql = format!("UPDATE {} SET logs = $2 WHERE id = $1", table(schema));
    client
        .execute(&sql, &[&id, &logs])
        .await
        .map_err(query_error(
            "recording a failed migration in _prisma_migrations",
        ))?;
    Ok(())
}

/// Deletes the row `id`: its migration was stopped and rolled back whole before anything of
/// it stayed, so the history is as if it never started (the migration is pending again, and
/// both tools simply apply it on the next deploy).
pub async fn remove_migration(client: &Client, schema: &str, id: &str) -> Result<(), Error> {
    let sql = format!("DELETE FROM {} WHERE id = $1", table(schema));
    client.execute(&sql, &[&id]).await.map_err(query_error(
        "removing an interrupted migration from _prisma_migrations",
    ))?;
    Ok(())
}

/// Sets `rolled_back_at` on every row of `migration_name` that is not rolled back yet. Returns
/// how many rows changed.
pub async fn mark_rolled_back(
    client: &Client,
    schema: &str,
    migration_name: &str,
) -> Result<u64, Error> {
    let sql = format!(
        "UPDATE {} SET rolled_back_at = now() WHERE migration_name = $1 AND rolled_back_at IS NULL",
        table(schema)
    );
    client
        .execute(&sql, &[&migration_name])
        .await
        .map_err(query_error(
            "marking a migration rolled back in _prisma_migrations",
        ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_name_is_quoted() {
        assert_eq!(table("public"), "\"public\".\"_prisma_migrations\"");
        assert_eq!(table("a\"b"), "\"a\"\"b\".\"_prisma_migrations\"");
        let ddl = PRISMA_MIGRATIONS_DDL.replacen(PRISMA_MIGRATIONS_TABLE, &table("s"), 1);
        assert!(ddl.starts_with("CREATE TABLE \"s\".\"_prisma_migrations\" (\n    id "));
    }
}
