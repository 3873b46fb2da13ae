//! How a step of an online plan runs: shared by the planner, which makes the steps, and the
//! executor, which stores and runs them.

use serde::Serialize;

/// How a step of an online plan runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum OnlineStepKind {
    /// The statements in one transaction, under `lock_timeout`, retried with backoff and jitter
    /// when the lock is not granted in time.
    Transaction,
    /// `CREATE INDEX CONCURRENTLY` outside a transaction; an invalid index of that name left by
    /// an earlier failure is dropped and built again, a valid one is kept.
    ConcurrentIndex {
        /// Schema of the index.
        schema: String,
        /// Index name.
        name: String,
    },
    /// Batches until one touches no row: `statements[0]` for the first batch, `statements[1]`
    /// for the next ones; each returns the rows it did. `statements[2]`, when there is one, reads
    /// back the rows of the batches done between two keys (`$1` excluded, `$2` included), once
    /// their commits are on disk.
    Backfill {
        /// The table (the key of its progress row).
        table: String,
        /// Its schema.
        schema: String,
        /// Its name.
        name: String,
    },
}
