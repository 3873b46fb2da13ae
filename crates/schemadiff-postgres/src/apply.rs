//! Applying planned SQL to a live database, safely.
//!
//! - The whole apply holds a session advisory lock ([`ADVISORY_LOCK_KEY`]), so two schemadiff
//!   applies on one database never interleave: the second one refuses ([`Error::LockHeld`]) or,
//!   with `wait_for_lock`, waits for the first to finish.
//! - `SET lock_timeout` / `SET statement_timeout` bound every statement (RESET afterwards).
//! - A transactional [`SqlBatch`] runs in `BEGIN … COMMIT`; a failing statement rolls the whole
//!   batch back and the error names the statement (position, description, server message and
//!   SQLSTATE). A non-transactional batch runs each statement on its own (for what PostgreSQL
//!   refuses inside a transaction: `CREATE INDEX CONCURRENTLY`, enum `ADD VALUE` before use…).
//! - [`apply_and_verify`] runs everything in ONE transaction, introspects the result inside
//!   that transaction and commits only if the caller's check accepts it.
//! - Once a `COMMIT` has gone through, a later failure to reset the settings or release the lock
//!   (the connection was lost) does not fail the apply: the changes are in, and the server
//!   releases a session's lock when the session ends. It is reported in
//!   [`ApplyReport::after_commit_error`].

use crate::canonical::align_expressions;
use crate::error::{Error, ServerMessage};
use crate::introspect::{IntrospectOptions, introspect};
use schemadiff_model::{Schema, SqlBatch};
use std::time::{Duration, Instant};
use tokio_postgres::Client;

/// The advisory lock key: the 64-bit FNV-1a hash of `"schemadiff"`.
pub const ADVISORY_LOCK_KEY: i64 = fnv1a(b"schemadiff");

const fn fnv1a(bytes: &[u8]) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    hash as i64
}

/// How to apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyOptions {
    /// `SET lock_timeout` (zero disables it). Default 5 s.
    pub lock_timeout: Duration,
    /// `SET statement_timeout`; `None` means no limit. Default `None`.
    pub statement_timeout: Option<Duration>,
    /// Wait for another apply's advisory lock instead of refusing. Default false.
    pub wait_for_lock: bool,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            lock_timeout: Duration::from_secs(5),
            statement_timeout: None,
            wait_for_lock: false,
        }
    }
}

/// Whether a progress event comes before or after its statement, or after a `COMMIT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// About to run the statement.
    Started,
    /// The statement succeeded.
    Finished,
    /// A transaction was committed; `step` is the last statement it holds and `description`
    /// says which transaction (`transaction 1 of 2`).
    Committed,
}

/// A progress event, sent before and after each statement and after each `COMMIT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// 1-based position of the statement in the whole apply (for `Committed`, the last
    /// statement of the committed transaction).
    pub step: usize,
    /// Number of statements in the apply.
    pub total: usize,
    /// The statement's description.
    pub description: String,
    /// Time spent on this statement (zero when `Started`).
    pub elapsed: Duration,
    /// Before or after.
    pub phase: Phase,
}

/// What an apply did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ApplyReport {
    /// Statements run.
    pub statements: usize,
    /// Transactions committed (one per transactional batch, one for `apply_and_verify`).
    pub transactions: usize,
    /// Wall-clock time of the whole apply, lock and settings included.
    pub elapsed: Duration,
    /// Time of each statement, in order.
    pub durations: Vec<Duration>,
    /// An error after the last `COMMIT` (resetting the settings, releasing the lock: the
    /// connection was lost). The changes are committed; the server released the lock.
    pub after_commit_error: Option<String>,
}

/// Applies the batches in order under the advisory lock (see the module docs).
pub async fn apply(
    client: &mut Client,
    batches: &[SqlBatch],
    opts: &ApplyOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<ApplyReport, Error> {
    let started = Instant::now();
    let mut session = Session::open(client, opts).await?;
    let result = run_batches(&mut session, batches, progress).await;
    let closed = session.close().await;
    let mut report = result?;
    if let Err(e) = closed {
        // Every batch ran: each transactional one committed and each other statement is in.
        report.after_commit_error = Some(e.to_string());
    }
    report.elapsed = started.elapsed();
    Ok(report)
}

/// Applies every batch in ONE transaction, introspects the result before committing, and
/// commits only when `verify` accepts the introspected schema; otherwise rolls everything
/// back and returns [`Error::VerifyFailed`]. Every batch must be transactional
/// ([`Error::NotOneTransaction`] otherwise). Returns the report and the verified schema.
pub async fn apply_and_verify(
    client: &mut Client,
    batches: &[SqlBatch],
    opts: &ApplyOptions,
    introspect_opts: &IntrospectOptions,
    progress: &mut dyn FnMut(Progress),
    verify: impl FnOnce(&Schema) -> Result<(), String>,
) -> Result<(ApplyReport, Schema), Error> {
    apply_and_verify_target(
        client,
        batches,
        opts,
        introspect_opts,
        None,
        progress,
        verify,
    )
    .await
}

/// [`apply_and_verify`] against a target schema: when `target` is given, before `verify` sees
/// the introspected result, its `dbgenerated` expressions that the server says are the same as
/// `target`'s take `target`'s text (PostgreSQL stores a rewritten form; see
/// `canonicalize_expressions`), so that `verify` can compare the result with `target` directly.
pub async fn apply_and_verify_target(
    client: &mut Client,
    batches: &[SqlBatch],
    opts: &ApplyOptions,
    introspect_opts: &IntrospectOptions,
    target: Option<&Schema>,
    progress: &mut dyn FnMut(Progress),
    verify: impl FnOnce(&Schema) -> Result<(), String>,
) -> Result<(ApplyReport, Schema), Error> {
    if let Some(s) = batches
        .iter()
        .filter(|b| !b.transactional)
        .flat_map(|b| b.statements.first())
        .next()
    {
        return Err(Error::NotOneTransaction(format!(
            "statement \"{}\" must run outside a transaction",
            s.description
        )));
    }
    let started = Instant::now();
    let merged = SqlBatch {
        transactional: true,
        statements: batches
            .iter()
            .flat_map(|b| b.statements.iter().cloned())
            .collect(),
    };
    let mut session = Session::open(client, opts).await?;
    let result = async {
        let total = merged.statements.len();
        session.simple("BEGIN", "begin transaction").await?;
        let durations = match run_statements(&mut session, &merged, 0, total, progress).await {
            Ok(d) => d,
            Err(e) => {
                session.rollback().await;
                return Err(e);
            }
        };
        let mut schema = match introspect(session.client, introspect_opts).await {
            Ok(s) => s,
            Err(e) => {
                session.rollback().await;
                return Err(e);
            }
        };
        if let Some(target) = target
            && let Err(e) = align_expressions(session.client, &mut schema, target).await
        {
            session.rollback().await;
            return Err(e);
        }
        if let Err(why) = verify(&schema) {
            session.rollback().await;
            return Err(Error::VerifyFailed(why));
        }
        session.simple("COMMIT", "commit").await?;
        progress(Progress {
            step: total,
            total,
            description: "transaction 1 of 1".into(),
            elapsed: Duration::ZERO,
            phase: Phase::Committed,
        });
        Ok((
            ApplyReport {
                statements: total,
                transactions: 1,
                elapsed: Duration::ZERO,
                durations,
                after_commit_error: None,
            },
            schema,
        ))
    }
    .await;
    let closed = session.close().await;
    let (mut report, schema) = result?;
    if let Err(e) = closed {
        report.after_commit_error = Some(e.to_string());
    }
    report.elapsed = started.elapsed();
    Ok((report, schema))
}

pub use crate::readonly::query_text;

/// The server's version string (`SHOW server_version`, e.g. `15.20 (Debian 15.20-0+deb12u1)`).
pub async fn server_version(client: &Client) -> Result<String, Error> {
    let rows = query_text(client, "SHOW server_version").await?;
    rows.into_iter()
        .next()
        .and_then(|r| r.into_iter().next().flatten())
        .ok_or_else(|| Error::Catalog("SHOW server_version returned nothing".into()))
}

/// The server's `server_version_num` (e.g. `150020` for 15.20, `180004` for 18.4).
pub async fn server_version_num(client: &Client) -> Result<u32, Error> {
    let rows = query_text(client, "SHOW server_version_num").await?;
    let text = rows
        .into_iter()
        .next()
        .and_then(|r| r.into_iter().next().flatten())
        .ok_or_else(|| Error::Catalog("SHOW server_version_num returned nothing".into()))?;
    text.trim()
        .parse()
        .map_err(|_| Error::Catalog(format!("server_version_num is not a number: {text}")))
}

/// Takes the schemadiff advisory lock ([`ADVISORY_LOCK_KEY`]) for this session: waits for it
/// when `wait`, else tries once. Returns false when another session holds it (only without
/// `wait`). Session advisory locks nest: each call takes it once more.
pub async fn advisory_lock(client: &Client, wait: bool) -> Result<bool, Error> {
    let (sql, what) = if wait {
        (
            format!("SELECT pg_advisory_lock({ADVISORY_LOCK_KEY})"),
            "waiting for the schemadiff advisory lock",
        )
    } else {
        (
            format!("SELECT pg_try_advisory_lock({ADVISORY_LOCK_KEY})"),
            "taking the schemadiff advisory lock",
        )
    };
    let rows = query_text(client, &sql).await.map_err(in_context(what))?;
    Ok(wait
        || rows
            .first()
            .and_then(|r| r.first())
            .cloned()
            .flatten()
            .as_deref()
            == Some("t"))
}

/// A query error said to have happened while doing `what`.
fn in_context(what: &str) -> impl FnOnce(Error) -> Error + '_ {
    move |e| match e {
        Error::Query { server, .. } => Error::Query {
            context: what.to_string(),
            server,
        },
        other => other,
    }
}

/// The `pg_locks` condition that selects the schemadiff advisory lock: PostgreSQL shows a
/// 64-bit key as `classid` (high 32 bits) and `objid` (low 32 bits), with `objsubid` 1.
fn advisory_lock_rows() -> String {
    let key = ADVISORY_LOCK_KEY as u64;
    format!(
        "locktype = 'advisory' AND classid = {} AND objid = {} AND objsubid = 1",
        key >> 32,
        key & 0xffff_ffff
    )
}

/// Releases every hold this session has on the schemadiff advisory lock ([`advisory_lock`]
/// nests, so a caller that returned early may hold it more than once). A transaction an early
/// return left open (a read-only one, or one a failure aborted) is rolled back first: it could
/// only be rolled back when the session ends, and an aborted one refuses every statement.
/// Unlocking only what `pg_locks` shows this session holding, it never unlocks what it does
/// not hold. Returns how many holds it released.
pub async fn advisory_unlock(client: &Client) -> Result<usize, Error> {
    crate::readonly::execute(client, "ROLLBACK", "ending an open transaction").await?;
    let sql = format!(
        "SELECT pg_advisory_unlock({ADVISORY_LOCK_KEY})::text FROM pg_locks \
         WHERE pid = pg_backend_pid() AND granted AND {}",
        advisory_lock_rows()
    );
    let mut released = 0;
    // A session holds the lock once per `advisory_lock` call; a few at the most.
    while released < 64 {
        let rows = query_text(client, &sql)
            .await
            .map_err(in_context("releasing the schemadiff advisory lock"))?;
        if rows.is_empty() {
            break;
        }
        released += 1;
    }
    Ok(released)
}

/// A client holding the advisory lock with the apply's timeouts set.
struct Session<'a> {
    client: &'a Client,
}

impl<'a> Session<'a> {
    async fn open(client: &'a Client, opts: &ApplyOptions) -> Result<Session<'a>, Error> {
        let session = Session { client };
        if !advisory_lock(client, opts.wait_for_lock).await? {
            return Err(Error::LockHeld {
                key: ADVISORY_LOCK_KEY,
            });
        }
        let settings = [
            format!("SET lock_timeout = '{}ms'", opts.lock_timeout.as_millis()),
            format!(
                "SET statement_timeout = '{}ms'",
                opts.statement_timeout.map_or(0, |d| d.as_millis().max(1))
            ),
        ];
        for sql in &settings {
            if let Err(e) = session.simple(sql, "setting timeouts").await {
                let _ = session.close().await;
                return Err(e);
            }
        }
        Ok(session)
    }

    async fn simple(&self, sql: &str, what: &str) -> Result<Vec<Vec<Option<String>>>, Error> {
        query_text(self.client, sql).await.map_err(in_context(what))
    }

    async fn rollback(&self) {
        let _ = self.client.batch_execute("ROLLBACK").await;
    }

    /// Resets the timeouts and releases the lock.
    async fn close(self) -> Result<(), Error> {
        for sql in [
            "RESET lock_timeout".to_string(),
            "RESET statement_timeout".to_string(),
            format!("SELECT pg_advisory_unlock({ADVISORY_LOCK_KEY})"),
        ] {
            self.simple(&sql, "releasing the schemadiff advisory lock")
                .await?;
        }
        Ok(())
    }
}

async fn run_batches(
    session: &mut Session<'_>,
    batches: &[SqlBatch],
    progress: &mut dyn FnMut(Progress),
) -> Result<ApplyReport, Error> {
    let total = batches.iter().map(|b| b.statements.len()).sum();
    let transactions = batches.iter().filter(|b| b.transactional).count();
    let mut report = ApplyReport::default();
    let mut offset = 0;
    for batch in batches {
        if batch.transactional {
            session.simple("BEGIN", "begin transaction").await?;
            match run_statements(session, batch, offset, total, progress).await {
                Ok(d) => report.durations.extend(d),
                Err(e) => {
                    session.rollback().await;
                    return Err(e);
                }
            }
            if let Err(e) = session.simple("COMMIT", "commit").await {
                session.rollback().await;
                return Err(e);
            }
            report.transactions += 1;
            progress(Progress {
                step: offset + batch.statements.len(),
                total,
                description: format!("transaction {} of {transactions}", report.transactions),
                elapsed: Duration::ZERO,
                phase: Phase::Committed,
            });
        } else {
            report
                .durations
                .extend(run_statements(session, batch, offset, total, progress).await?);
        }
        offset += batch.statements.len();
        report.statements = offset;
    }
    Ok(report)
}

async fn run_statements(
    session: &mut Session<'_>,
    batch: &SqlBatch,
    offset: usize,
    total: usize,
    progress: &mut dyn FnMut(Progress),
) -> Result<Vec<Duration>, Error> {
    let mut durations = Vec::with_capacity(batch.statements.len());
    for (i, stmt) in batch.statements.iter().enumerate() {
        let step = offset + i + 1;
        progress(Progress {
            step,
            total,
            description: stmt.description.clone(),
            elapsed: Duration::ZERO,
            phase: Phase::Started,
        });
        let t = Instant::now();
        session
            .client
            .batch_execute(&stmt.sql)
            .await
            .map_err(|e| Error::Statement {
                index: step,
                total,
                description: stmt.description.clone(),
                sql: stmt.sql.clone(),
                server: ServerMessage::from_pg(&e, &[]),
                rolled_back: batch.transactional,
            })?;
        let elapsed = t.elapsed();
        durations.push(elapsed);
        progress(Progress {
            step,
            total,
            description: stmt.description.clone(),
            elapsed,
            phase: Phase::Finished,
        });
    }
    Ok(durations)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_key_is_stable() {
        assert_eq!(ADVISORY_LOCK_KEY, fnv1a(b"schemadiff"));
        assert_ne!(ADVISORY_LOCK_KEY, 0);
    }
}
