//! What a long apply can show while it runs: the size of a table before it is rewritten
//! ([`table_sizes`], from `pg_class`), and how far a running statement has got
//! ([`statement_progress`], from `pg_stat_progress_create_index` and
//! `pg_stat_progress_cluster`, polled on a second connection while the apply session works).
//!
//! Both only read catalog views, with the names as parameters (never as SQL text).

use crate::error::{Error, ServerMessage};
use schemadiff_model::QualifiedName;
use tokio_postgres::Client;

/// A table's size as the catalog knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSize {
    /// The table.
    pub table: QualifiedName,
    /// `pg_total_relation_size`: heap, indexes and TOAST, in bytes.
    pub bytes: u64,
    /// `pg_class.reltuples`: the planner's row estimate (`None` when the table was never
    /// vacuumed or analysed: PostgreSQL 14+ says -1 then).
    pub rows_estimate: Option<u64>,
}

/// The size of each table that exists (a missing table is left out). One query per table.
pub async fn table_sizes(
    client: &Client,
    tables: &[QualifiedName],
) -> Result<Vec<TableSize>, Error> {
    const SQL: &str = "SELECT pg_total_relation_size(c.oid)::bigint, c.reltuples::float8 \
                       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                       WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')";
    let mut out = Vec::new();
    for t in tables {
        let rows = client
            .query(SQL, &[&t.schema, &t.name])
            .await
            .map_err(|e| query_error("table size", &e))?;
        if let Some(r) = rows.first() {
            let bytes: i64 = r.get(0);
            let tuples: f64 = r.get(1);
            out.push(TableSize {
                table: t.clone(),
                bytes: bytes.max(0) as u64,
                rows_estimate: (tuples >= 0.0).then_some(tuples.round() as u64),
            });
        }
    }
    Ok(out)
}

/// How far a statement of another session has got, as PostgreSQL reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementProgress {
    /// `CREATE INDEX` or `CLUSTER` / `VACUUM FULL`.
    pub command: String,
    /// The phase PostgreSQL names (`building index: scanning table`).
    pub phase: String,
    /// Work done and to do in the phase's unit (blocks or tuples), when known.
    pub done: u64,
    /// Total for the phase (0 when unknown).
    pub total: u64,
    /// `blocks` or `tuples`.
    pub unit: &'static str,
}

/// The progress of the statement session `pid` is running, when PostgreSQL reports one
/// (index builds and table rewrites by CLUSTER / VACUUM FULL; `ALTER TABLE` rewrites report
/// nothing). `Ok(None)` otherwise.
pub async fn statement_progress(
    client: &Client,
    pid: i32,
) -> Result<Option<StatementProgress>, Error> {
    const INDEX: &str = "SELECT command, phase, blocks_done, blocks_total, tuples_done, tuples_total \
                         FROM pg_stat_progress_create_index WHERE pid = $1";
    const CLUSTER: &str = "SELECT command, phase, heap_blks_scanned, heap_blks_total, heap_tuples_written, 0::bigint \
                           FROM pg_stat_progress_cluster WHERE pid = $1";
    for sql in [INDEX, CLUSTER] {
        let rows = client
            .query(sql, &[&pid])
            .await
            .map_err(|e| query_error("statement progress", &e))?;
        if let Some(r) = rows.first() {
            let n = |i: usize| r.get::<_, Option<i64>>(i).unwrap_or(0).max(0) as u64;
            let (done, total, unit) = if n(3) > 0 {
                (n(2), n(3), "blocks")
            } else {
                (n(4), n(5), "tuples")
            };
            return Ok(Some(StatementProgress {
                command: r.get::<_, Option<String>>(0).unwrap_or_default(),
                phase: r.get::<_, Option<String>>(1).unwrap_or_default(),
                done,
                total,
                unit,
            }));
        }
    }
    Ok(None)
}

/// The backend process id of a session (to poll its progress from another one).
pub async fn backend_pid(client: &Client) -> Result<i32, Error> {
    let row = client
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .map_err(|e| query_error("backend pid", &e))?;
    Ok(row.get(0))
}

fn query_error(what: &str, e: &tokio_postgres::Error) -> Error {
    Error::Query {
        context: what.to_string(),
        server: ServerMessage::from_pg(e, &[]),
    }
}
