//! `plan --online` and `apply --online` (docs/online.md): the online plan printed as a script
//! in phases, and applied through the engine with a progress bar for the backfill.

use crate::cli::{ApplyArgs, PlanArgs, PlanFormat, PlanOptions};
use crate::commands::plan as plan_cmd;
use crate::output;
use anyhow::{Context, bail};
use schemadiff::Loaded;
use schemadiff_plan::online::{OnlineOptions, OnlinePlan};
use schemadiff_postgres::{ConnectOptions, OnlineEvent, OnlineRunOptions};
use schemadiff_render::RenderOptions;
use std::io::IsTerminal;

fn online_options(o: &PlanOptions) -> OnlineOptions {
    OnlineOptions {
        batch_size: o.batch_size.unwrap_or(crate::settings::DEFAULT_BATCH_SIZE),
        keep_old_columns: o.keep_old_columns,
    }
}

fn make(from: &Loaded, to: &Loaded, o: &PlanOptions) -> anyhow::Result<OnlinePlan> {
    schemadiff::make_online_plan(from, to, o.map.as_deref(), o.pg_version, &online_options(o))
}

/// `plan --online`.
pub async fn plan(args: &PlanArgs) -> anyhow::Result<u8> {
    if matches!(args.format, PlanFormat::Markdown) {
        bail!("--online prints a SQL script (--format sql) or JSON (--format json), not markdown");
    }
    let (from, to) = plan_cmd::load(args).await?;
    let plan = make(&from, &to, &args.options)?;
    if plan_cmd::refuse(&plan.offline, &args.options.allow_hazard) {
        return Ok(1);
    }
    let opts = RenderOptions {
        from_label: from.label.clone(),
        to_label: to.label.clone(),
        not_managed: None,
    };
    let text = match args.format {
        PlanFormat::Json => serde_json::to_string_pretty(&plan)? + "\n",
        _ => schemadiff_render::render_online_sql(&plan, &opts),
    };
    match &args.out {
        Some(path) => std::fs::write(path, text)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => print!("{text}"),
    }
    for w in &plan.offline.warnings {
        output::warn(w);
    }
    Ok(0)
}

/// What a re-run says when the mapping file changed the conversions since the first run.
fn revision_note(r: &schemadiff_postgres::OnlineRevision) -> String {
    let mut note = String::from(
        "the mapping file changed the conversions since the first run: the stored steps take the new ones",
    );
    if r.run
        .iter()
        .any(|s| s.starts_with("CREATE OR REPLACE FUNCTION "))
    {
        note.push_str(", the sync trigger function(s) are replaced");
    }
    if r.run
        .iter()
        .any(|s| s.contains(" DROP CONSTRAINT IF EXISTS "))
    {
        note.push_str(
            ", the NOT NULL check(s) already added are dropped (added and validated again after the backfill)",
        );
    }
    if !r.restart.is_empty() {
        note.push_str(&format!(
            ", and the backfill of {} starts again from its first row (every row gets the new conversion)",
            r.restart.join(", ")
        ));
    }
    note
}

/// `apply --online`.
pub async fn apply(args: &ApplyArgs) -> anyhow::Result<u8> {
    let conn = ConnectOptions::resolve(args.db.as_deref())?;
    let mut client = schemadiff_postgres::connect(&conn).await?;
    let lo = schemadiff::LoadOptions {
        shadow_db: args.options.shadow_db.as_deref(),
        ..output::load_options()
    };
    let to = schemadiff::load(crate::settings::given(args.to.as_deref(), "--to")?, &[], lo)
        .await
        .context("cannot read --to")?;
    // The advisory lock is released before the command returns, whatever the way out.
    schemadiff::with_lock(&mut client, args.wait, async |client| {
        apply_locked(args, &conn, client, to).await
    })
    .await
}

/// `apply --online` with the advisory lock held.
async fn apply_locked(
    args: &ApplyArgs,
    conn: &ConnectOptions,
    client: &mut schemadiff_postgres::Client,
    mut to: Loaded,
) -> anyhow::Result<u8> {
    let label = conn.redacted();
    let iopts = schemadiff::introspect_options(conn, &schemadiff::namespaces(&to.schema));
    // Everything up to the confirmation only reads: READ ONLY transactions.
    let ro = schemadiff_postgres::ReadOnly::begin(client).await?;
    let in_progress = schemadiff::online_in_progress(ro.client()).await?;
    ro.finish().await?;
    let (mut origin, mut revised) = (None, None);
    let steps = if in_progress {
        eprintln!(
            "{label} holds an unfinished online apply (schema \"schemadiff\"): continuing it where it stopped"
        );
        let revision = schemadiff::online_resume(client, &mut to, args.options.map.as_deref())
            .await
            .with_context(|| format!("cannot continue the online apply to {label}"))?;
        if let Some(r) = &revision {
            eprintln!("{}", revision_note(r));
        }
        if args.dry_run {
            eprintln!("dry run: nothing was changed");
            return Ok(0);
        }
        revised = revision;
        Vec::new()
    } else {
        let ro = schemadiff_postgres::ReadOnly::begin(client).await?;
        let from: Loaded =
            schemadiff::read_database(&ro, &label, &iopts, Some(&mut to.schema)).await?;
        ro.finish().await?;
        for n in &from.notes {
            output::warn(n);
        }
        if schemadiff::same_schema(&from.schema, &to.schema) {
            eprintln!("{label} already matches {}: nothing to do", to.label);
            return Ok(0);
        }
        let plan = make(&from, &to, &args.options)?;
        let opts = RenderOptions {
            from_label: label.clone(),
            to_label: to.label.clone(),
            not_managed: None,
        };
        println!("{}", schemadiff_render::render_online_sql(&plan, &opts));
        for w in &plan.offline.warnings {
            output::warn(w);
        }
        if plan_cmd::refuse(&plan.offline, &args.options.allow_hazard) {
            return Ok(1);
        }
        if args.dry_run {
            eprintln!("dry run: nothing was changed");
            return Ok(0);
        }
        let o = schemadiff::OnlineOrigin::new(
            &from,
            &to,
            args.options.pg_version,
            &online_options(&args.options),
        )?;
        origin = Some(o.to_json());
        schemadiff::online_steps(&plan)
    };
    if !args.yes {
        if !std::io::stdin().is_terminal() {
            bail!(
                "no terminal to confirm on: pass --yes to apply without asking (or --dry-run to only look)"
            );
        }
        eprint!("Apply online to {label}? [y/N] ");
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer)?;
        if !matches!(answer.trim(), "y" | "Y" | "yes" | "YES") {
            eprintln!("aborted: nothing was changed");
            return Ok(1);
        }
    }
    // SIGINT / SIGTERM while it runs: the runner stops before its next transaction and a
    // cancel request ends the running statement, whose transaction rolls back; every step and
    // batch committed before stays, and the stored progress says where the next run continues.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let opts = OnlineRunOptions {
        lock_timeout: args
            .online_lock_timeout
            .unwrap_or(crate::settings::DEFAULT_ONLINE_LOCK_TIMEOUT),
        throttle: args.throttle.unwrap_or_default(),
        stop: Some(stop.clone()),
        origin,
        ..Default::default()
    };
    if let Some(r) = &revised {
        schemadiff_postgres::online_revise(client, r, &opts).await?;
    }
    let terminal = std::io::stderr().is_terminal();
    let bar = if terminal {
        indicatif::ProgressBar::new(0)
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{msg} [{bar:30}] {pos}/{len} rows, {per_sec}, {eta} left",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    let mut last_table = String::new();
    let mut progress = |e: OnlineEvent| {
        match e {
        OnlineEvent::Step {
            step,
            total,
            phase,
            description,
        } => bar.suspend(|| eprintln!("[{step}/{total}] {phase}: {description}")),
        OnlineEvent::Retry {
            step,
            attempt,
            wait,
        } => bar.suspend(|| {
            eprintln!(
                "[{step}] lock not granted within the lock_timeout (attempt {attempt}); retrying in {} ms",
                wait.as_millis()
            )
        }),
        OnlineEvent::Batch {
            table,
            rows_done,
            rows_estimate,
        } => {
            if table != last_table {
                bar.reset();
                bar.set_message(table.clone());
                last_table = table;
            }
            bar.set_length(rows_estimate);
            bar.set_position(rows_done);
        }
    }
    };
    let token = client.cancel_token();
    let (applied, interrupted) = crate::interrupt::run_cancellable(
        schemadiff::apply_online(client, &steps, &opts, &iopts, &to.schema, &mut progress),
        crate::interrupt::stop_and_cancel(&stop, conn, &token),
    )
    .await;
    bar.finish_and_clear();
    if let Some(sig) = interrupted {
        let state = match &applied {
            Ok(a) if a.report.stopped.is_none() && a.check.is_none() => {
                format!("the signal came after the last step: {label} now matches {}", to.label)
            }
            Ok(_) => "the running transaction was rolled back (or none was running); every step and batch committed before stays".to_string(),
            Err(e) => format!(
                "the running transaction was rolled back ({e:#}); every step and batch committed before stays"
            ),
        };
        output::print_error(
            &mut std::io::stderr(),
            &anyhow::anyhow!(
                "online apply to {label} interrupted by {sig}: {state}; run the same command again to continue where it stopped"
            ),
        )
        .ok();
        return Ok(sig.exit_code());
    }
    let applied = applied.with_context(|| {
        format!(
            "online apply to {label} stopped; what is committed stays, and running apply --online again continues from there"
        )
    })?;
    let r = &applied.report;
    if let Some(why) = applied.check {
        bail!("{why}");
    }
    eprintln!(
        "applied online in {:.1} s: {} step(s) run{}, {} row(s) backfilled in {} batch(es), {} lock retry(ies){}; {label} now matches {}",
        r.elapsed.as_secs_f64(),
        r.steps_run,
        if r.resumed {
            format!(" ({} done by an earlier run)", r.steps_skipped)
        } else {
            String::new()
        },
        r.rows,
        r.batches,
        r.retries,
        if r.rebuilt_indexes.is_empty() {
            String::new()
        } else {
            format!(
                ", invalid index(es) rebuilt: {}",
                r.rebuilt_indexes.join(", ")
            )
        },
        to.label
    );
    Ok(0)
}
