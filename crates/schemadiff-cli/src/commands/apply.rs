//! `schemadiff apply --db URL --to SOURCE`: plan from the live database to the target, then
//! 1. pre-flight: report from the data itself what the plan will do to it, and stop on blockers;
//! 2. print the plan and ask for confirmation (`--yes` skips; without a terminal it is required);
//! 3. run it under a session advisory lock with lock and statement timeouts, one transaction per
//!    batch, with progress per step;
//! 4. check that the database now matches the target; otherwise roll back and say why.
//!
//! `--dry-run` stops after the pre-flight and the printed plan.
//!
//! Test hook: with `SCHEMADIFF_TEST_PAUSE_AT` set, the apply stops at that point, says so on
//! stderr and waits for a line (or the end) on stdin; see [`TestPause`]. Unset (always, outside
//! the fault tests), it does nothing.

use crate::cli::ApplyArgs;
use crate::commands::plan as plan_cmd;
use crate::output;
use crate::settings;
use anyhow::{Context, bail};
use schemadiff::{ApplyError, Loaded, same_schema};
use schemadiff_postgres::{ApplyOptions, ConnectOptions};
use schemadiff_render::RenderOptions;
use std::io::{IsTerminal, Write};

/// Runs the command.
pub async fn run(args: &ApplyArgs) -> anyhow::Result<u8> {
    if args.options.online {
        return crate::commands::online::apply(args).await;
    }
    let conn = ConnectOptions::resolve(args.db.as_deref())?;
    let mut client = schemadiff_postgres::connect(&conn).await?;
    let pause = TestPause::from_env(&client).await?;
    let lo = schemadiff::LoadOptions {
        shadow_db: args.options.shadow_db.as_deref(),
        ..output::load_options()
    };
    let to_source = settings::given(args.to.as_deref(), "--to")?;
    let to = schemadiff::load(to_source, &[], lo)
        .await
        .context("cannot read --to")?;
    // Hold the advisory lock from the first read to the last check, so that a concurrent
    // apply cannot change the database between introspection, pre-flight and apply; it is
    // released before the command returns, whatever the way out.
    // Session advisory locks nest: the apply below takes it once more and releases it once.
    schemadiff::with_lock(&mut client, args.wait, async |client| {
        apply_locked(args, &conn, client, &pause, to).await
    })
    .await
}

/// The apply with the advisory lock held: read, pre-flight, print, confirm, apply, verify.
async fn apply_locked(
    args: &ApplyArgs,
    conn: &ConnectOptions,
    client: &mut schemadiff_postgres::Client,
    pause: &TestPause,
    mut to: Loaded,
) -> anyhow::Result<u8> {
    let label = conn.redacted();
    let iopts = schemadiff::introspect_options(conn, &schemadiff::namespaces(&to.schema));
    let plan = match checked_plan(args, client, &label, &iopts, &mut to).await? {
        Ok(plan) => plan,
        Err(code) => return Ok(code),
    };
    let batches = schemadiff::batches(&plan);
    let aopts = ApplyOptions {
        lock_timeout: args.lock_timeout.unwrap_or(settings::DEFAULT_LOCK_TIMEOUT),
        statement_timeout: args.statement_timeout.filter(|t| !t.is_zero()),
        wait_for_lock: args.wait,
    };
    let target = to.schema.clone();
    let verify = |after: &schemadiff_model::Schema| -> Result<(), String> {
        if same_schema(after, &target) {
            pause.at("verified", "");
            Ok(())
        } else {
            Err(describe_drift(after, &target))
        }
    };
    let mut committed = 0;
    // On a terminal: a spinner with the elapsed time, a bar where PostgreSQL reports progress
    // (watched on a second connection; without one, the spinner alone).
    let live = crate::progress::Live::start(if std::io::stderr().is_terminal() {
        watch_connection(conn, client).await
    } else {
        None
    });
    let mut progress = |p: schemadiff_postgres::Progress| match p.phase {
        schemadiff_postgres::Phase::Started => {
            live.println(&format!("[{}/{}] {} …", p.step, p.total, p.description));
            live.statement(&format!("[{}/{}] {}", p.step, p.total, p.description));
        }
        schemadiff_postgres::Phase::Finished => {
            live.println(&format!(
                "[{}/{}] done in {:.1} ms",
                p.step,
                p.total,
                p.elapsed.as_secs_f64() * 1000.0
            ));
            pause.at(&format!("step:{}", p.step), &format!(" of {}", p.total));
        }
        schemadiff_postgres::Phase::Committed => {
            committed += 1;
            live.println(&format!(
                "[{}/{}] committed {}",
                p.step, p.total, p.description
            ));
            pause.at(&format!("commit:{committed}"), "");
        }
    };
    // One batch: one transaction, verified before COMMIT. Several batches exist only where
    // PostgreSQL forbids one transaction (a new enum label must be committed before use): each
    // batch commits on its own, so verification can only report, not roll back what earlier
    // batches did.
    let one = schemadiff::one_transaction(&batches);
    if !one {
        output::warn(
            "this plan needs more than one transaction; a failure rolls back only the failing batch",
        );
    }
    let transactions = batches.iter().filter(|b| b.transactional).count();
    let all_transactional = batches.iter().all(|b| b.transactional);
    // SIGINT / SIGTERM while it runs: a cancel request for the running statement, whose
    // transaction then rolls back; the engine's result says how far it got.
    let token = client.cancel_token();
    let (applied, interrupted) = crate::interrupt::run_cancellable(
        schemadiff::apply_batches(
            client,
            &batches,
            &aopts,
            &iopts,
            &to.schema,
            &mut progress,
            verify,
        ),
        schemadiff_postgres::cancel_running(conn, &token),
    )
    .await;
    live.finish();
    let ran = Ran {
        label: &label,
        to_label: &to.label,
        one,
        committed,
        transactions,
        all_transactional,
    };
    report(applied, interrupted, &ran)
}

/// Reads the database, plans, runs the pre-flight, prints the plan and asks for confirmation:
/// the plan to apply, or the exit code when the command ends here (nothing to do, a refused
/// hazard, a dry run, no confirmation).
async fn checked_plan(
    args: &ApplyArgs,
    client: &schemadiff_postgres::Client,
    label: &str,
    iopts: &schemadiff_postgres::IntrospectOptions,
    to: &mut Loaded,
) -> anyhow::Result<Result<schemadiff_plan::Plan, u8>> {
    // Everything up to the confirmation only reads: one READ ONLY transaction.
    let ro = schemadiff_postgres::ReadOnly::begin(client).await?;
    if schemadiff::online_in_progress(ro.client()).await? {
        ro.finish().await?;
        bail!(
            "{label} holds an unfinished online apply (schema \"schemadiff\"); run apply --online to finish it (docs/online.md)"
        );
    }
    let from: Loaded = schemadiff::read_database(&ro, label, iopts, Some(&mut to.schema)).await?;
    for n in &from.notes {
        output::warn(n);
    }
    if same_schema(&from.schema, &to.schema) {
        ro.finish().await?;
        eprintln!("{label} already matches {}: nothing to do", to.label);
        return Ok(Err(0));
    }
    let mut plan = plan_cmd::make_plan(&from, to, &args.options)?;

    eprintln!("== pre-flight on {label}");
    let (blockers, cleared) = preflight(&ro, &plan).await?;
    let rewritten = crate::progress::rewritten_tables(&plan);
    if !rewritten.is_empty() {
        let sizes = schemadiff_postgres::progress::table_sizes(ro.client(), &rewritten).await?;
        for s in &sizes {
            eprintln!("-- {}", crate::progress::size_line(s));
        }
    }
    ro.finish().await?;
    // A required column with nothing to fill (no rows, no NULLs) cannot fail on the data: its
    // hazard needs no --allow-hazard. The count and the apply share the advisory lock.
    for (message, why) in &cleared {
        plan.clear_hazard(message, why);
    }
    let opts = RenderOptions {
        from_label: label.to_string(),
        to_label: to.label.clone(),
        not_managed: None,
    };
    println!("{}", schemadiff_render::render_sql(&plan, &opts));
    for w in &plan.warnings {
        output::warn(w);
    }
    if blockers > 0 {
        bail!("pre-flight found {blockers} blocker(s); nothing was changed");
    }
    if plan_cmd::refuse(&plan, &args.options.allow_hazard) {
        return Ok(Err(1));
    }
    if args.dry_run {
        eprintln!("dry run: nothing was changed");
        return Ok(Err(0));
    }
    if !args.yes && !confirm(label)? {
        eprintln!("aborted: nothing was changed");
        return Ok(Err(1));
    }

    Ok(Ok(plan))
}

/// What an apply ran, for [`report`].
#[derive(Clone, Copy)]
struct Ran<'a> {
    label: &'a str,
    to_label: &'a str,
    /// One transaction, verified before its `COMMIT`.
    one: bool,
    /// Transactions committed.
    committed: usize,
    /// Transactions in the plan.
    transactions: usize,
    /// Every batch is a transaction (none ran statements on their own).
    all_transactional: bool,
}

/// Says what the apply did: interrupted (the state it left, exit 130 / 143), failed (the
/// error, with what was committed) or applied.
fn report(
    applied: Result<schemadiff::Applied, ApplyError>,
    interrupted: Option<crate::interrupt::Interrupt>,
    ran: &Ran<'_>,
) -> anyhow::Result<u8> {
    let Ran {
        label,
        to_label,
        one,
        committed,
        transactions,
        all_transactional,
    } = *ran;
    if let Some(sig) = interrupted {
        let state = match &applied {
            Ok(_) if one => format!(
                "the signal came after the COMMIT: the plan is applied and {label} was verified"
            ),
            Err(ApplyError::OneTransaction(e)) => {
                format!("its transaction was rolled back: nothing was changed ({e})")
            }
            Ok(_) | Err(ApplyError::ReadBack(..) | ApplyError::Differs(..)) => format!(
                "every transaction had already been committed ({transactions} of {transactions}); run `schemadiff drift` to check {label}"
            ),
            Err(ApplyError::Batch(e)) if committed == 0 && all_transactional => {
                format!("nothing was changed ({e})")
            }
            Err(ApplyError::Batch(e)) => format!(
                "{committed} of {transactions} transaction(s) committed, the running one was rolled back ({e}); run apply again to finish"
            ),
        };
        output::print_error(
            &mut std::io::stderr(),
            &anyhow::anyhow!("apply to {label} interrupted by {sig}: {state}"),
        )
        .ok();
        return Ok(sig.exit_code());
    }
    let applied = match applied {
        Ok(applied) => applied,
        Err(ApplyError::OneTransaction(e)) => {
            return Err(anyhow::Error::new(e)
                .context(format!("apply to {label} failed; nothing was changed")));
        }
        Err(ApplyError::Batch(e)) => {
            let why = if committed == 0 && all_transactional {
                format!("apply to {label} failed; nothing was changed")
            } else {
                format!(
                    "apply to {label} failed after {committed} of {transactions} transaction(s) \
                     committed: each transaction is all or nothing; run apply again to finish"
                )
            };
            return Err(anyhow::Error::new(e).context(why));
        }
        Err(ApplyError::ReadBack(report, e)) => {
            warn_after_commit(&report);
            return Err(anyhow::Error::new(e).context(format!(
                "every transaction was committed, but {label} could not be read back to check \
                 it; run `schemadiff drift` or apply again"
            )));
        }
        Err(ApplyError::Differs(report, why)) => {
            warn_after_commit(&report);
            bail!("{why}");
        }
    };
    let report = applied.report;
    warn_after_commit(&report);
    if applied.one_transaction {
        eprintln!(
            "applied {} statement(s) in one transaction in {:.1} ms: {label} now matches {}",
            report.statements,
            report.elapsed.as_secs_f64() * 1000.0,
            to_label
        );
    } else {
        eprintln!(
            "applied {} statement(s) in {} transaction(s): {label} now matches {}",
            report.statements, report.transactions, to_label
        );
    }
    Ok(0)
}

/// The changes are committed, but the connection failed afterwards (releasing the lock).
fn warn_after_commit(report: &schemadiff_postgres::ApplyReport) {
    if let Some(e) = &report.after_commit_error {
        output::warn(&format!(
            "the changes are committed; afterwards the connection failed ({e}); \
             the server releases the advisory lock with the session"
        ));
    }
}

/// Test hook for the fault tests (`crates/schemadiff-cli/tests/faults.rs`, docs/testing.md):
/// `SCHEMADIFF_TEST_PAUSE_AT=POINT` stops the apply at POINT, one of
/// - `step:N`: statement N has run (inside its transaction, when it has one);
/// - `verified`: the result has been checked against the target (one transaction: before its
///   `COMMIT`; several: after the last one);
/// - `commit:N`: transaction N has been committed (the last one: before the final check or the
///   release of the lock).
///
/// There it prints `schemadiff test hook: paused at POINT … (backend pid PID)` on stderr and
/// waits until a line or the end of input arrives on stdin, so that a test can kill this
/// process or terminate the server backend `PID` at exactly that point. The variable is not
/// meant for users; without it (or when it names no point reached) nothing happens.
struct TestPause {
    point: Option<(String, i32)>,
}

impl TestPause {
    const VAR: &str = "SCHEMADIFF_TEST_PAUSE_AT";

    async fn from_env(client: &schemadiff_postgres::Client) -> anyhow::Result<TestPause> {
        let Ok(point) = std::env::var(Self::VAR) else {
            return Ok(TestPause { point: None });
        };
        let rows = schemadiff_postgres::query_text(client, "SELECT pg_backend_pid()").await?;
        let pid = rows
            .first()
            .and_then(|r| r.first().cloned().flatten())
            .and_then(|p| p.parse().ok())
            .context("SELECT pg_backend_pid() returned nothing")?;
        Ok(TestPause {
            point: Some((point, pid)),
        })
    }

    fn at(&self, point: &str, detail: &str) {
        let Some((wanted, pid)) = &self.point else {
            return;
        };
        if wanted != point {
            return;
        }
        eprintln!("schemadiff test hook: paused at {point}{detail} (backend pid {pid})");
        std::io::stderr().flush().ok();
        let mut line = String::new();
        let _ = std::io::stdin().read_line(&mut line);
    }
}

fn describe_drift(after: &schemadiff_model::Schema, target: &schemadiff_model::Schema) -> String {
    match schemadiff_plan::plan(after, target, &schemadiff_plan::Mapping::empty()) {
        Ok(p) => {
            let mut items: Vec<String> = p.steps.iter().map(|s| s.description.clone()).collect();
            if items.is_empty() {
                // Never an empty list after the colon: name the changes themselves.
                items = schemadiff::change_summaries(after, target);
            }
            format!(
                "after the plan the database still differs from the target: {}",
                items.join("; ")
            )
        }
        Err(e) => format!("after the plan the database still differs from the target ({e})"),
    }
}

/// Runs the plan's pre-flight queries: the number of blockers, and the hazards (message, why)
/// that an answer cleared.
pub(crate) async fn preflight(
    ro: &schemadiff_postgres::ReadOnly<'_>,
    plan: &schemadiff_plan::Plan,
) -> anyhow::Result<(usize, Vec<(String, String)>)> {
    let mut blockers = 0;
    let mut cleared = Vec::new();
    for q in plan.preflight_queries() {
        let rows = schemadiff_postgres::preflight_rows(ro, &q.sql)
            .await
            .with_context(|| format!("pre-flight: {}", q.description))?;
        let outcome = q.evaluate(&rows);
        if outcome.clears
            && let Some(message) = &q.clears
        {
            cleared.push((message.clone(), outcome.summary.clone()));
        }
        eprintln!("-- {}", q.description);
        for line in &outcome.lines {
            eprintln!("   {line}");
        }
        if outcome.blocking {
            blockers += 1;
            output::print_error(
                &mut std::io::stderr(),
                &anyhow::anyhow!("{}", outcome.summary),
            )
            .ok();
        } else {
            eprintln!("   => {}", outcome.summary);
        }
    }
    Ok((blockers, cleared))
}

/// A second connection to watch the apply session's progress, and that session's pid; `None`
/// when either cannot be had (the display then shows the spinner alone).
async fn watch_connection(
    conn: &ConnectOptions,
    client: &schemadiff_postgres::Client,
) -> Option<(schemadiff_postgres::Client, i32)> {
    let pid = schemadiff_postgres::progress::backend_pid(client)
        .await
        .ok()?;
    let watcher = schemadiff_postgres::connect(conn).await.ok()?;
    Some((watcher, pid))
}

fn confirm(label: &str) -> anyhow::Result<bool> {
    if !std::io::stdin().is_terminal() {
        bail!(
            "no terminal to confirm on: pass --yes to apply without asking (or --dry-run to only look)"
        );
    }
    eprint!("Apply this plan to {label}? [y/N] ");
    std::io::stderr().flush().ok();
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "YES"))
}
