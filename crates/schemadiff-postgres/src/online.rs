//! Online execution: the steps of an online plan, resumable from the state the database holds.
//!
//! The steps are stored in `"schemadiff"."online_step"` on the first run, each marked done in
//! the transaction that does it, so a re-run after an interruption loads them and continues
//! with the first step not done (the database has changed by then, so planning again would
//! not give the same steps). Backfill progress lives in `"schemadiff"."online_progress"`,
//! written by each batch's own statement. Every transaction runs under a short
//! `lock_timeout` and is retried with exponential backoff and jitter when a lock is not
//! granted in time, so it never queues in front of writers behind a long transaction.

use crate::error::{Error, ServerMessage};
use std::time::{Duration, Instant};
use tokio_postgres::Client;

/// How a stored step runs: the online plan's own step kind.
pub type OnlineStepRun = schemadiff_model::OnlineStepKind;

/// One step as the database stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnlineStepSql {
    /// `expand`, `backfill`, `switch` or `contract`.
    pub phase: String,
    /// How it runs.
    pub run: OnlineStepRun,
    /// What it does.
    pub description: String,
    /// Statements.
    pub statements: Vec<String>,
}

/// How to run.
#[derive(Debug, Clone)]
pub struct OnlineRunOptions {
    /// `lock_timeout` of every transaction.
    pub lock_timeout: Duration,
    /// Attempts of a transaction whose lock is not granted in time before giving up.
    pub max_attempts: u32,
    /// First backoff (doubled after each attempt, up to 5 s, plus up to 100% jitter).
    pub backoff: Duration,
    /// Pause between backfill batches.
    pub throttle: Duration,
    /// Stop after the last step of this phase (a resumable interruption; tests use it).
    pub stop_after_phase: Option<String>,
    /// Stop after this many backfill batches in this run (tests use it).
    pub stop_after_batches: Option<u64>,
    /// Set from outside (a signal handler) to stop before the next transaction, step or
    /// batch: the run returns with `stopped` set to `interrupted`. It does not cancel a
    /// running statement; the caller sends a cancel request for that.
    pub stop: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
    /// What the first run stores next to its steps, in `"schemadiff"."online_origin"` (the
    /// engine's description of where the apply started, read back by [`online_saved`] so a
    /// re-run can plan again from there).
    pub origin: Option<String>,
}

impl OnlineRunOptions {
    fn stopping(&self) -> bool {
        self.stop
            .as_ref()
            .is_some_and(|s| s.load(std::sync::atomic::Ordering::SeqCst))
    }
}

impl Default for OnlineRunOptions {
    fn default() -> Self {
        OnlineRunOptions {
            lock_timeout: Duration::from_millis(50),
            max_attempts: 60,
            backoff: Duration::from_millis(20),
            throttle: Duration::ZERO,
            stop_after_phase: None,
            stop_after_batches: None,
            stop: None,
            origin: None,
        }
    }
}

/// What the runner reports while it works.
#[derive(Debug, Clone)]
pub enum OnlineEvent {
    /// Step `step` (1-based) of `total` starts.
    Step {
        /// 1-based.
        step: usize,
        /// Number of steps.
        total: usize,
        /// Its phase.
        phase: String,
        /// Its description.
        description: String,
    },
    /// A lock was not granted within `lock_timeout`; the transaction is retried after `wait`.
    Retry {
        /// 1-based step.
        step: usize,
        /// The attempt that failed.
        attempt: u32,
        /// The pause before the next attempt.
        wait: Duration,
    },
    /// A backfill batch committed.
    Batch {
        /// The table.
        table: String,
        /// Rows done so far (all runs).
        rows_done: u64,
        /// The planner's row estimate of the table.
        rows_estimate: u64,
    },
}

/// What a run did.
#[derive(Debug, Clone, Default)]
pub struct OnlineReport {
    /// True when earlier progress was found and continued.
    pub resumed: bool,
    /// Steps run in this run.
    pub steps_run: usize,
    /// Steps skipped (done by an earlier run).
    pub steps_skipped: usize,
    /// Transactions retried after a lock timeout.
    pub retries: u64,
    /// Backfill batches in this run.
    pub batches: u64,
    /// Rows backfilled in this run.
    pub rows: u64,
    /// Invalid indexes found and rebuilt.
    pub rebuilt_indexes: Vec<String>,
    /// Set when the run stopped early on request (a phase name or `backfill batches`).
    pub stopped: Option<String>,
    /// Wall time.
    pub elapsed: Duration,
}

/// [`OnlineReport::stopped`] when [`OnlineRunOptions::stop`] was set.
const INTERRUPTED: &str = "interrupted";

fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn q(context: &str) -> impl Fn(tokio_postgres::Error) -> Error + '_ {
    move |e| Error::Query {
        context: context.to_string(),
        server: ServerMessage::from_pg(&e, &[]),
    }
}

/// What an unfinished earlier run stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnlineSaved {
    /// Its steps.
    pub steps: Vec<OnlineStepSql>,
    /// Which of them are done.
    pub done: Vec<bool>,
    /// [`OnlineRunOptions::origin`] of the first run (`None` when it stored none).
    pub origin: Option<String>,
}

/// True when the state schema holds `table` (a name of this crate's, never user text).
async fn state_table_exists(client: &Client, table: &str) -> Result<bool, Error> {
    let row = client
        .query_one(
            "SELECT to_regclass(format('%I.%I', 'schemadiff', $1::text)) IS NOT NULL",
            &[&table],
        )
        .await
        .map_err(q("looking for online state"))?;
    Ok(row.get(0))
}

/// The steps a previous run stored, when one did not finish.
pub async fn online_saved_steps(client: &Client) -> Result<Option<Vec<OnlineStepSql>>, Error> {
    Ok(online_saved(client).await?.map(|s| s.steps))
}

/// What a previous run stored (steps, done marks, origin), when one did not finish.
pub async fn online_saved(client: &Client) -> Result<Option<OnlineSaved>, Error> {
    if !state_table_exists(client, "online_step").await? {
        return Ok(None);
    }
    let rows = client
        .query(
            "SELECT phase, kind, description, statements, a, b, c, done FROM \"schemadiff\".\"online_step\" ORDER BY n",
            &[],
        )
        .await
        .map_err(q("reading online state"))?;
    let mut steps = Vec::new();
    let mut done = Vec::new();
    for r in rows {
        let kind: String = r.get(1);
        let a: Option<String> = r.get(4);
        let b: Option<String> = r.get(5);
        let c: Option<String> = r.get(6);
        let run = match kind.as_str() {
            "concurrent-index" => OnlineStepRun::ConcurrentIndex {
                schema: a.unwrap_or_default(),
                name: b.unwrap_or_default(),
            },
            "backfill" => OnlineStepRun::Backfill {
                table: a.unwrap_or_default(),
                schema: b.unwrap_or_default(),
                name: c.unwrap_or_default(),
            },
            _ => OnlineStepRun::Transaction,
        };
        steps.push(OnlineStepSql {
            phase: r.get(0),
            run,
            description: r.get(2),
            statements: r.get(3),
        });
        done.push(r.get(7));
    }
    // A state stored by a version that kept no origin has no such table.
    let origin = if state_table_exists(client, "online_origin").await? {
        client
            .query_opt("SELECT origin FROM \"schemadiff\".\"online_origin\"", &[])
            .await
            .map_err(q("reading the online origin"))?
            .map(|r| r.get(0))
    } else {
        None
    };
    Ok(Some(OnlineSaved {
        steps,
        done,
        origin,
    }))
}

/// How a re-run changes the stored steps when only the conversions changed (a value mapping
/// or a fill edited between runs).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OnlineRevision {
    /// Steps (0-based) whose statements are replaced.
    pub replace: Vec<(usize, Vec<String>)>,
    /// Statements run now (the new trigger functions of a done expand step).
    pub run: Vec<String>,
    /// Done steps marked not done (they run again).
    pub redo: Vec<usize>,
    /// Tables (as stored in `online_progress`) whose backfill starts again from the first key;
    /// the unmapped values recorded for them are forgotten (the new backfill records again
    /// those that still map to nothing).
    pub restart: Vec<String>,
}

impl OnlineRevision {
    /// True when it changes nothing.
    pub fn is_empty(&self) -> bool {
        self.replace.is_empty() && self.run.is_empty() && self.redo.is_empty()
    }
}

/// Applies `revision` to the stored state in one transaction, under `opts.lock_timeout`
/// (dropping a check takes a table's `ACCESS EXCLUSIVE` lock), retried with backoff and
/// jitter like every transaction of a run.
pub async fn online_revise(
    client: &mut Client,
    revision: &OnlineRevision,
    opts: &OnlineRunOptions,
) -> Result<(), Error> {
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        match revise_once(client, revision, opts).await {
            Err((e, _)) if retryable(&e) && attempt < opts.max_attempts && !opts.stopping() => {
                tokio::time::sleep(backoff(opts, attempt)).await;
            }
            r => return r.map_err(|(e, context)| q(context)(e)),
        }
    }
}

async fn revise_once(
    client: &mut Client,
    revision: &OnlineRevision,
    opts: &OnlineRunOptions,
) -> Result<(), (tokio_postgres::Error, &'static str)> {
    const REVISING: &str = "revising online steps";
    let tx = client.transaction().await.map_err(|e| (e, REVISING))?;
    tx.batch_execute(&format!(
        "SET LOCAL lock_timeout = '{}ms'",
        opts.lock_timeout.as_millis()
    ))
    .await
    .map_err(|e| (e, "setting lock_timeout"))?;
    for (n, statements) in &revision.replace {
        tx.execute(
            "UPDATE \"schemadiff\".\"online_step\" SET statements = $2 WHERE n = $1",
            &[&(*n as i32), statements],
        )
        .await
        .map_err(|e| (e, "replacing an online step"))?;
    }
    for sql in &revision.run {
        tx.batch_execute(sql)
            .await
            .map_err(|e| (e, "running a statement of the revision (a trigger function replaced, a check dropped)"))?;
    }
    for n in &revision.redo {
        tx.execute(
            "UPDATE \"schemadiff\".\"online_step\" SET done = false WHERE n = $1",
            &[&(*n as i32)],
        )
        .await
        .map_err(|e| (e, "marking an online step to run again"))?;
    }
    for t in &revision.restart {
        for sql in [
            "UPDATE \"schemadiff\".\"online_progress\" SET last_key = NULL, rows_done = 0, done = false WHERE table_name = $1",
            "DELETE FROM \"schemadiff\".\"online_unmapped\" WHERE table_name = $1",
        ] {
            tx.execute(sql, &[t])
                .await
                .map_err(|e| (e, "restarting a backfill"))?;
        }
    }
    tx.commit().await.map_err(|e| (e, REVISING))
}

async fn store(
    client: &mut Client,
    steps: &[OnlineStepSql],
    origin: Option<&str>,
) -> Result<(), Error> {
    let tx = client
        .transaction()
        .await
        .map_err(q("storing online steps"))?;
    // The last step drops the schema with everything in it: never one that is not ours.
    let taken: bool = tx
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'schemadiff')",
            &[],
        )
        .await
        .map_err(q("looking for a schema named schemadiff"))?
        .get(0);
    if taken {
        return Err(Error::OnlineState(
            "a schema named \"schemadiff\" exists and holds no online apply: online mode keeps its state in that schema and drops it at the end; rename that schema first".into(),
        ));
    }
    tx.batch_execute("CREATE SCHEMA \"schemadiff\"")
        .await
        .map_err(q("creating the schemadiff schema"))?;
    tx.batch_execute("CREATE TABLE \"schemadiff\".\"online_step\" (n INT PRIMARY KEY, phase TEXT NOT NULL, kind TEXT NOT NULL, description TEXT NOT NULL, statements TEXT[] NOT NULL, a TEXT, b TEXT, c TEXT, done BOOLEAN NOT NULL DEFAULT false)")
        .await
        .map_err(q("creating the online step table"))?;
    tx.batch_execute("CREATE TABLE \"schemadiff\".\"online_origin\" (origin TEXT NOT NULL)")
        .await
        .map_err(q("creating the online origin table"))?;
    if let Some(origin) = origin {
        tx.execute(
            "INSERT INTO \"schemadiff\".\"online_origin\" (origin) VALUES ($1)",
            &[&origin],
        )
        .await
        .map_err(q("storing the online origin"))?;
    }
    for (n, s) in steps.iter().enumerate() {
        let (kind, a, b, c) = match &s.run {
            OnlineStepRun::Transaction => ("transaction", None, None, None),
            OnlineStepRun::ConcurrentIndex { schema, name } => {
                ("concurrent-index", Some(schema), Some(name), None)
            }
            OnlineStepRun::Backfill {
                table,
                schema,
                name,
            } => ("backfill", Some(table), Some(schema), Some(name)),
        };
        tx.execute(
            "INSERT INTO \"schemadiff\".\"online_step\" (n, phase, kind, description, statements, a, b, c) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[&(n as i32), &s.phase, &kind, &s.description, &s.statements, &a, &b, &c],
        )
        .await
        .map_err(q("storing online steps"))?;
    }
    tx.commit().await.map_err(q("storing online steps"))
}

fn statement_error(
    index: usize,
    total: usize,
    description: &str,
    sql: &str,
    e: &tokio_postgres::Error,
    rolled_back: bool,
) -> Error {
    Error::Statement {
        index,
        total,
        description: description.to_string(),
        sql: sql.to_string(),
        server: ServerMessage::from_pg(e, &[]),
        rolled_back,
    }
}

fn retryable(e: &tokio_postgres::Error) -> bool {
    e.code().is_some_and(|c| {
        let c = c.code();
        c == "55P03" || c == "40P01" || c == "40001"
    })
}

fn backoff(opts: &OnlineRunOptions, attempt: u32) -> Duration {
    let base = opts
        .backoff
        .saturating_mul(1u32 << attempt.min(8))
        .min(Duration::from_secs(5));
    let jitter = base.mul_f64(fastrand::f64());
    base + jitter
}

/// What every step of a run shares: the options, the report being filled, the progress
/// callback and the number of steps.
struct Run<'a> {
    opts: &'a OnlineRunOptions,
    report: OnlineReport,
    progress: &'a mut dyn FnMut(OnlineEvent),
    total: usize,
}

/// Runs `statements` in one transaction under `lock_timeout`, marking step `n` done in it
/// (when `n` is given), retrying on lock timeouts; returns the first row's first column of the
/// last statement when it returns one (a backfill batch's row count).
async fn transaction(
    client: &mut Client,
    n: Option<usize>,
    description: &str,
    statements: &[String],
    run: &mut Run<'_>,
) -> Result<Option<i64>, Error> {
    let (opts, total) = (run.opts, run.total);
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        let tx = client.transaction().await.map_err(q("begin"))?;
        // A backfill batch (no step number) does not wait for its commit to reach the disk:
        // its row locks (which a writer updating one of its rows waits for) are released as
        // soon as the commit is written, not after a WAL flush that can queue behind a
        // checkpoint's I/O, and a hundred thousand batches do not add a hundred thousand
        // flushes to the writers' own. A crash can lose only the last batches' commits, each
        // whole: a batch's progress is written by its own statement, so a re-run redoes
        // exactly the batches lost. Both settings go in one round trip.
        tx.batch_execute(&format!(
            "SET LOCAL lock_timeout = '{}ms'{}",
            opts.lock_timeout.as_millis(),
            if n.is_none() {
                "; SET LOCAL synchronous_commit = off"
            } else {
                ""
            }
        ))
        .await
        .map_err(q("setting lock_timeout and synchronous_commit"))?;
        let mut result = Ok(None);
        if let Some(n) = n
            && let Err(e) = tx
                .execute(
                    "UPDATE \"schemadiff\".\"online_step\" SET done = true WHERE n = $1",
                    &[&(n as i32)],
                )
                .await
        {
            result = Err((e, "marking the step done".to_string()));
        }
        if result.is_ok() {
            for sql in statements {
                match tx.simple_query(sql).await {
                    Ok(msgs) => {
                        let first = msgs.iter().find_map(|m| match m {
                            tokio_postgres::SimpleQueryMessage::Row(r) => {
                                r.get(0).and_then(|v| v.parse::<i64>().ok())
                            }
                            _ => None,
                        });
                        result = Ok(first);
                    }
                    Err(e) => {
                        result = Err((e, sql.clone()));
                        break;
                    }
                }
            }
        }
        match result {
            Ok(v) => {
                tx.commit().await.map_err(q("commit"))?;
                return Ok(v);
            }
            Err((e, sql)) => {
                let _ = tx.rollback().await;
                if retryable(&e) && attempt < opts.max_attempts && !opts.stopping() {
                    let wait = backoff(opts, attempt);
                    run.report.retries += 1;
                    (run.progress)(OnlineEvent::Retry {
                        step: n.map(|n| n + 1).unwrap_or(0),
                        attempt,
                        wait,
                    });
                    tokio::time::sleep(wait).await;
                    continue;
                }
                return Err(statement_error(
                    n.map(|n| n + 1).unwrap_or(0),
                    total,
                    description,
                    &sql,
                    &e,
                    true,
                ));
            }
        }
    }
}

/// The backfill's read-back (`statements[2]` of its step): the key ranges of the batches done,
/// each read back once its commit is surely on disk. A batch commits with
/// `synchronous_commit = off`, and PostgreSQL sets no commit hint bit on a row until that
/// commit's WAL is flushed, which the WAL writer does within 3 × `wal_writer_delay`: reading
/// the rows back sooner would leave them as they were. Reading them back then, while their
/// pages are still in shared buffers and dirty from the batch, costs no extra write.
struct ReadBack {
    sql: Option<String>,
    lag: Duration,
    last_key: Option<String>,
    /// (when the batch was seen done, key after the previous batch, its last key).
    pending: std::collections::VecDeque<(Instant, String, String)>,
}

impl ReadBack {
    async fn new(client: &Client, sql: Option<&String>) -> Result<Self, Error> {
        let delay_ms: i64 = client
            .query_one(
                "SELECT setting::bigint FROM pg_settings WHERE name = 'wal_writer_delay'",
                &[],
            )
            .await
            .map_err(q("reading wal_writer_delay"))?
            .get(0);
        Ok(ReadBack {
            sql: sql.cloned(),
            lag: Duration::from_millis(3 * delay_ms.max(1) as u64),
            last_key: None,
            pending: Default::default(),
        })
    }

    /// The progress row says the last key is now `key`: the batches since the previous call
    /// did the keys after the previous one up to it.
    fn batch_done(&mut self, key: Option<String>) {
        if let (Some(before), Some(now)) = (self.last_key.take(), key.as_ref())
            && before != *now
        {
            self.pending
                .push_back((Instant::now(), before, now.clone()));
        }
        self.last_key = key;
    }

    /// Reads back, in one statement, the batches whose commits are on disk by now (`all`: every
    /// batch, after a durable commit).
    async fn due(&mut self, client: &Client, all: bool) -> Result<(), Error> {
        let Some(sql) = &self.sql else {
            self.pending.clear();
            return Ok(());
        };
        let mut range: Option<(String, String)> = None;
        while self
            .pending
            .front()
            .is_some_and(|(at, _, _)| all || at.elapsed() >= self.lag)
        {
            let (_, lo, hi) = self.pending.pop_front().expect("front exists");
            // The ranges follow each other: one range from the first one's start.
            let lo = range.map_or(lo, |(first, _)| first);
            range = Some((lo, hi));
        }
        if let Some((lo, hi)) = range {
            client
                .query_one(sql.as_str(), &[&lo, &hi])
                .await
                .map_err(q("reading back the rows of the batches done"))?;
        }
        Ok(())
    }
}

async fn mark_done(client: &Client, n: usize) -> Result<(), Error> {
    client
        .execute(
            "UPDATE \"schemadiff\".\"online_step\" SET done = true WHERE n = $1",
            &[&(n as i32)],
        )
        .await
        .map(|_| ())
        .map_err(q("marking the step done"))
}

async fn concurrent_index(
    client: &mut Client,
    n: usize,
    step: &OnlineStepSql,
    (schema, name): (&str, &str),
    run: &mut Run<'_>,
) -> Result<(), Error> {
    let (opts, total) = (run.opts, run.total);
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        let valid: Option<bool> = client
            .query_opt(
                "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = $1 AND c.relname = $2",
                &[&schema, &name],
            )
            .await
            .map_err(q("checking the index"))?
            .map(|r| r.get(0));
        match valid {
            Some(true) => return mark_done(client, n).await,
            Some(false) => {
                let drop = format!(
                    "DROP INDEX CONCURRENTLY IF EXISTS {}.{}",
                    quote_ident(schema),
                    quote_ident(name)
                );
                client.batch_execute(&drop).await.map_err(|e| {
                    statement_error(n + 1, total, &step.description, &drop, &e, false)
                })?;
                run.report.rebuilt_indexes.push(format!("{schema}.{name}"));
            }
            None => {}
        }
        client
            .batch_execute(&format!(
                "SET lock_timeout = '{}ms'",
                opts.lock_timeout.as_millis()
            ))
            .await
            .map_err(q("setting lock_timeout"))?;
        let r = client.batch_execute(&step.statements[0]).await;
        client
            .batch_execute("RESET lock_timeout")
            .await
            .map_err(q("resetting lock_timeout"))?;
        match r {
            Ok(()) => return mark_done(client, n).await,
            Err(e) if retryable(&e) && attempt < opts.max_attempts && !opts.stopping() => {
                let wait = backoff(opts, attempt);
                run.report.retries += 1;
                (run.progress)(OnlineEvent::Retry {
                    step: n + 1,
                    attempt,
                    wait,
                });
                tokio::time::sleep(wait).await;
            }
            Err(e) => {
                return Err(statement_error(
                    n + 1,
                    total,
                    &step.description,
                    &step.statements[0],
                    &e,
                    false,
                ));
            }
        }
    }
}

/// Runs the online steps: the stored ones when a previous run did not finish (`steps` is then
/// ignored), else `steps`, stored first. Returns early, resumably, when an option asks.
pub async fn online_run(
    client: &mut Client,
    steps: &[OnlineStepSql],
    opts: &OnlineRunOptions,
    progress: &mut dyn FnMut(OnlineEvent),
) -> Result<OnlineReport, Error> {
    let started = Instant::now();
    let mut resumed = false;
    // Validations, concurrent index builds and batches block no writer: a role's default
    // statement_timeout must not cut them (the script says the same).
    client
        .batch_execute("SET statement_timeout = 0")
        .await
        .map_err(q("setting statement_timeout"))?;
    let steps = match online_saved_steps(client).await? {
        Some(saved) => {
            resumed = true;
            saved
        }
        None if steps.is_empty() => {
            return Ok(OnlineReport {
                elapsed: started.elapsed(),
                ..Default::default()
            });
        }
        None => {
            store(client, steps, opts.origin.as_deref()).await?;
            steps.to_vec()
        }
    };
    let done: Vec<bool> = client
        .query(
            "SELECT done FROM \"schemadiff\".\"online_step\" ORDER BY n",
            &[],
        )
        .await
        .map_err(q("reading online state"))?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let total = steps.len();
    let mut run = Run {
        opts,
        report: OnlineReport {
            resumed,
            ..Default::default()
        },
        progress,
        total,
    };
    for (n, step) in steps.iter().enumerate() {
        if done.get(n).copied().unwrap_or(false) {
            run.report.steps_skipped += 1;
        } else {
            if opts.stopping() {
                run.report.stopped = Some(INTERRUPTED.into());
                run.report.elapsed = started.elapsed();
                return Ok(run.report);
            }
            (run.progress)(OnlineEvent::Step {
                step: n + 1,
                total,
                phase: step.phase.clone(),
                description: step.description.clone(),
            });
            match &step.run {
                OnlineStepRun::Transaction => {
                    transaction(
                        client,
                        Some(n),
                        &step.description,
                        &step.statements,
                        &mut run,
                    )
                    .await?;
                }
                OnlineStepRun::ConcurrentIndex { schema, name } => {
                    concurrent_index(client, n, step, (schema, name), &mut run).await?;
                }
                OnlineStepRun::Backfill {
                    table,
                    schema,
                    name,
                } => {
                    let estimate: i64 = client
                        .query_opt(
                            "SELECT greatest(c.reltuples, 0)::bigint FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = $1 AND c.relname = $2",
                            &[&schema, &name],
                        )
                        .await
                        .map_err(q("estimating rows"))?
                        .map(|r| r.get(0))
                        .unwrap_or(0);
                    let mut read_back = ReadBack::new(client, step.statements.get(2)).await?;
                    loop {
                        let row = client
                            .query_one(
                                "SELECT last_key, done, rows_done FROM \"schemadiff\".\"online_progress\" WHERE table_name = $1",
                                &[&table],
                            )
                            .await
                            .map_err(q("reading backfill progress"))?;
                        let last_key: Option<String> = row.get(0);
                        let (first, finished): (bool, bool) = (last_key.is_none(), row.get(1));
                        let rows_done: i64 = row.get(2);
                        read_back.batch_done(last_key);
                        if finished {
                            break;
                        }
                        // A read-back cancelled by an interruption stops the run just below.
                        if let Err(e) = read_back.due(client, false).await
                            && !opts.stopping()
                        {
                            return Err(e);
                        }
                        if opts.stopping() {
                            run.report.stopped = Some(INTERRUPTED.into());
                            run.report.elapsed = started.elapsed();
                            return Ok(run.report);
                        }
                        if opts
                            .stop_after_batches
                            .is_some_and(|max| run.report.batches >= max)
                        {
                            run.report.stopped = Some("backfill batches".into());
                            run.report.elapsed = started.elapsed();
                            return Ok(run.report);
                        }
                        let sql = if first {
                            &step.statements[0]
                        } else {
                            &step.statements[1]
                        };
                        let count = transaction(
                            client,
                            None,
                            &step.description,
                            std::slice::from_ref(sql),
                            &mut run,
                        )
                        .await?
                        .unwrap_or(0);
                        if count > 0 {
                            run.report.batches += 1;
                            run.report.rows += count as u64;
                        }
                        (run.progress)(OnlineEvent::Batch {
                            table: table.clone(),
                            rows_done: (rows_done + count) as u64,
                            rows_estimate: estimate.max(rows_done + count) as u64,
                        });
                        if count > 0 && !opts.throttle.is_zero() {
                            tokio::time::sleep(opts.throttle).await;
                        }
                    }
                    mark_done(client, n).await?;
                    // Its durable commit flushed the WAL of every batch before it.
                    read_back.due(client, true).await?;
                }
            }
            run.report.steps_run += 1;
        }
        let last_of_phase = steps.get(n + 1).is_none_or(|s| s.phase != step.phase);
        if last_of_phase
            && n + 1 < total
            && opts.stop_after_phase.as_deref() == Some(step.phase.as_str())
        {
            run.report.stopped = Some(step.phase.clone());
            run.report.elapsed = started.elapsed();
            return Ok(run.report);
        }
    }
    run.report.elapsed = started.elapsed();
    Ok(run.report)
}
