//! `schemadiff migrate …`: migration folders in Prisma's layout (docs/migrations.md).
//!
//! - `dev`: the migrations folder (read offline, or replayed with `--shadow-db`) → the schema;
//!   writes `<UTC yyyymmddhhmmss>_<name>/migration.sql` (the plan script as `plan` renders it),
//!   `down.sql` (the reverse plan) and the mapping file used, plus `migration_lock.toml`.
//! - `diff`: the same between any two SOURCEs into a folder named as given (`0_init`).
//! - `deploy`: the pending folders in order, each with the pre-flight, the engine's apply and
//!   its verification, recorded in `_prisma_migrations` as Prisma records them.
//! - `status`: pending, applied, failed, modified, missing locally (exit 3 when not clean).
//! - `resolve`: record a migration as applied or rolled back without running it.

use crate::cli::{
    MigrateArgs, MigrateCommand, MigrateDeployArgs, MigrateDevArgs, MigrateDiffArgs,
    MigrateResolveArgs, MigrateStatusArgs, PlanOptions,
};
use crate::commands::plan as plan_cmd;
use crate::output;
use anyhow::{Context, bail};
use schemadiff::migrations::{self, DeployError, Migration};
use schemadiff::{ApplyError, Loaded, same_schema};
use schemadiff_plan::{Comment, Plan};
use schemadiff_postgres::history;
use schemadiff_postgres::{ApplyOptions, ConnectOptions};
use schemadiff_render::RenderOptions;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

/// Exit code of `migrate status` when the database is not up to date with the folders.
pub const NOT_UP_TO_DATE: u8 = 3;

/// Runs the command.
pub async fn run(args: &MigrateArgs) -> anyhow::Result<u8> {
    match &args.command {
        MigrateCommand::Dev(a) => dev(a).await,
        MigrateCommand::Diff(a) => diff(a).await,
        MigrateCommand::Deploy(a) => deploy(a).await,
        MigrateCommand::Status(a) => status(a).await,
        MigrateCommand::Resolve(a) => resolve(a).await,
    }
}

fn load_options(options: &PlanOptions) -> schemadiff::LoadOptions<'_> {
    schemadiff::LoadOptions {
        shadow_db: options.shadow_db.as_deref(),
        ..output::load_options()
    }
}

fn print_notes(from: &Loaded, to: &Loaded) -> Vec<String> {
    let mut notes: Vec<String> = Vec::new();
    for n in from.notes.iter().chain(&to.notes) {
        if !notes.contains(n) {
            notes.push(n.clone());
        }
    }
    for n in &notes {
        output::warn(n);
    }
    notes
}

async fn dev(args: &MigrateDevArgs) -> anyhow::Result<u8> {
    let dir = args.dir.path();
    let existing = migrations::list(dir)?;
    let from_arg = if existing.is_empty() {
        "empty".to_string()
    } else {
        dir.display().to_string()
    };
    let (from, to) = schemadiff::load_pair(
        &from_arg,
        crate::settings::given(args.schema.as_deref(), "--schema")?,
        load_options(&args.options),
    )
    .await
    .context("cannot read the migrations folder or the schema")?;
    let notes = print_notes(&from, &to);
    if same_schema(&from.schema, &to.schema) {
        eprintln!(
            "{} already produces {}: nothing to do, no migration written",
            from.label, to.label
        );
        return Ok(0);
    }
    let plan = plan_cmd::make_plan(&from, &to, &args.options)?;
    if plan_cmd::refuse(&plan, &args.options.allow_hazard) {
        return Ok(1);
    }
    let name = migrations::folder_name(&existing, std::time::SystemTime::now(), &args.name)?;
    let down = down_script(&from, &to, &args.options)?;
    let folder = write_folder(
        dir,
        &name,
        &render(&plan, &from, &to, Some(notes)),
        Some(&down),
        args.options.map.as_deref(),
    )?;
    for w in &plan.warnings {
        output::warn(w);
    }
    eprintln!(
        "wrote {} ({} step(s)), {} and {}",
        folder.join(migrations::SCRIPT).display(),
        plan.steps.len(),
        migrations::DOWN_SCRIPT,
        if args.options.map.is_some() {
            migrations::MAPPING_FILE
        } else {
            "no mapping file"
        }
    );
    Ok(0)
}

async fn diff(args: &MigrateDiffArgs) -> anyhow::Result<u8> {
    let (from, to) =
        schemadiff::load_pair(&args.from, &args.to, load_options(&args.options)).await?;
    let notes = print_notes(&from, &to);
    let plan = plan_cmd::make_plan(&from, &to, &args.options)?;
    if plan_cmd::refuse(&plan, &args.options.allow_hazard) {
        return Ok(1);
    }
    let name = args.name.trim();
    if name.is_empty()
        || name.starts_with('.')
        || name.contains(['/', '\\'])
        || name.chars().any(char::is_control)
    {
        bail!("--name `{}` is not a folder name", args.name);
    }
    let folder = write_folder(
        args.dir.path(),
        name,
        &render(&plan, &from, &to, Some(notes)),
        None,
        args.options.map.as_deref(),
    )?;
    for w in &plan.warnings {
        output::warn(w);
    }
    eprintln!(
        "wrote {} ({} step(s))",
        folder.join(migrations::SCRIPT).display(),
        plan.steps.len()
    );
    Ok(0)
}

fn render(plan: &Plan, from: &Loaded, to: &Loaded, not_managed: Option<Vec<String>>) -> String {
    schemadiff_render::render_sql(
        plan,
        &RenderOptions {
            from_label: from.label.clone(),
            to_label: to.label.clone(),
            not_managed,
        },
    )
}

/// The reverse plan (`to` → `from`, no mapping file: the forward mapping names legacy values of
/// `from`). When it holds hazards that `--allow-hazard` does not allow, it is still written,
/// but led by loud comment lines and a statement that stops it before anything changes, which
/// the reader removes on purpose (or passes `--allow-hazard` to `migrate dev`).
fn down_script(from: &Loaded, to: &Loaded, options: &PlanOptions) -> anyhow::Result<String> {
    let down = schemadiff::make_plan(to, from, None, options.pg_version)
        .context("cannot plan the reverse migration (down.sql)")?;
    let body = render(&down, to, from, None);
    let refused = down.refused(&options.allow_hazard);
    if refused.is_empty() {
        return Ok(body);
    }
    let mut out = String::new();
    let line = |out: &mut String, text: &str| {
        out.push_str(Comment::new(text).as_str());
        out.push('\n');
    };
    line(
        &mut out,
        "WARNING: THIS DOWN MIGRATION CAN LOSE DATA OR FAIL ON EXISTING DATA.",
    );
    for h in &refused {
        line(
            &mut out,
            &format!(
                "HAZARD {}: {} ({})",
                h.code,
                h.message,
                if h.loses_data {
                    "loses data"
                } else {
                    "can fail or block on existing data"
                }
            ),
        );
    }
    line(
        &mut out,
        "The statement below (repeated first in each transaction) stops this script before anything changes.",
    );
    line(
        &mut out,
        "Delete each copy to run the rollback anyway, or write the migration with `schemadiff migrate dev --allow-hazard CODE`.",
    );
    let mut codes: Vec<&str> = refused.iter().map(|h| h.code).collect();
    codes.sort_unstable();
    codes.dedup();
    // The codes are the planner's fixed kebab-case strings: no quote can occur in them.
    let guard = format!(
        "DO $sd$ BEGIN RAISE EXCEPTION 'schemadiff: this down migration is refused (hazards: {}); nothing was changed' USING HINT = 'read the HAZARD lines at the top of down.sql; delete these statements to run it anyway'; END $sd$;",
        codes.join(", ")
    );
    out.push_str(&guard);
    out.push_str("\n\n");
    // Also first in every transaction: a client that goes on after an error (`psql -f` without
    // ON_ERROR_STOP) then rolls each transaction back instead of running it.
    out.push_str(&body.replace("\nBEGIN;\n", &format!("\nBEGIN;\n{guard}\n")));
    Ok(out)
}

/// Writes `dir/name/` (refusing an existing folder), its scripts, the mapping file copy and the
/// lock file. Nothing is left behind on an error.
fn write_folder(
    dir: &Path,
    name: &str,
    script: &str,
    down: Option<&str>,
    map: Option<&Path>,
) -> anyhow::Result<PathBuf> {
    migrations::ensure_lock_file(dir)?;
    let folder = dir.join(name);
    if folder.exists() {
        bail!("{} exists already; choose another name", folder.display());
    }
    std::fs::create_dir_all(&folder)
        .with_context(|| format!("cannot create {}", folder.display()))?;
    let result = (|| -> anyhow::Result<()> {
        let write = |file: &str, text: &str| {
            let p = folder.join(file);
            std::fs::write(&p, text).with_context(|| format!("cannot write {}", p.display()))
        };
        write(migrations::SCRIPT, script)?;
        if let Some(down) = down {
            write(migrations::DOWN_SCRIPT, down)?;
        }
        if let Some(map) = map {
            let target = folder.join(migrations::MAPPING_FILE);
            std::fs::copy(map, &target).with_context(|| {
                format!("cannot copy {} to {}", map.display(), target.display())
            })?;
        }
        Ok(())
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_dir_all(&folder);
        return Err(e);
    }
    Ok(folder)
}

/// The schema `_prisma_migrations` lives in: the connection string's (`?schema=`, else
/// `public`), as for Prisma.
fn history_schema(conn: &ConnectOptions) -> String {
    conn.schemas()
        .into_iter()
        .next()
        .unwrap_or_else(|| "public".into())
}

fn print_status(st: &migrations::Status, local: &[Migration], label: &str) {
    eprintln!(
        "{} migration(s) in the folder; {label}: {} applied, {} pending, {} failed",
        local.len(),
        st.applied.len(),
        st.pending.len(),
        st.failed.len()
    );
    if st.no_table {
        eprintln!("_prisma_migrations does not exist yet in {label}");
    }
    for n in &st.applied {
        println!("applied   {n}");
    }
    for n in &st.pending {
        println!("pending   {n}");
    }
    for (n, logs) in &st.failed {
        println!("failed    {n}");
        if let Some(logs) = logs {
            for l in logs.lines().filter(|l| !l.trim().is_empty()) {
                println!("          | {l}");
            }
        }
    }
    for n in &st.modified {
        println!("modified  {n} (migration.sql changed after it was applied; it is never re-run)");
    }
    for n in &st.missing_locally {
        println!("missing   {n} (applied in the database, no folder here)");
    }
}

async fn status(args: &MigrateStatusArgs) -> anyhow::Result<u8> {
    let local = migrations::list(args.dir.path())?;
    let conn = ConnectOptions::resolve(args.db.as_deref())?;
    let label = conn.redacted();
    let client = schemadiff_postgres::connect(&conn).await?;
    let ro = schemadiff_postgres::ReadOnly::begin(&client).await?;
    let rows = history::read_history(ro.client(), &history_schema(&conn)).await?;
    ro.finish().await?;
    let st = migrations::status(&local, rows.as_deref());
    print_status(&st, &local, &label);
    if st.is_clean() {
        eprintln!("{label} is up to date with {}", args.dir.path().display());
        Ok(0)
    } else {
        if !st.failed.is_empty() {
            eprintln!(
                "a failed migration blocks `migrate deploy`: fix the database, then `schemadiff migrate resolve --rolled-back NAME` (or `--applied NAME` if you finished it by hand)"
            );
        }
        if !st.pending.is_empty() {
            eprintln!("run `schemadiff migrate deploy` to apply the pending migration(s)");
        }
        Ok(NOT_UP_TO_DATE)
    }
}

async fn resolve(args: &MigrateResolveArgs) -> anyhow::Result<u8> {
    let local = migrations::list(args.dir.path())?;
    let conn = ConnectOptions::resolve(args.db.as_deref())?;
    let mut client = schemadiff_postgres::connect(&conn).await?;
    schemadiff::with_lock(&mut client, false, async |client| {
        resolve_locked(args, &conn, client, &local).await
    })
    .await
}

/// `migrate resolve` with the advisory lock held.
async fn resolve_locked(
    args: &MigrateResolveArgs,
    conn: &ConnectOptions,
    client: &schemadiff_postgres::Client,
    local: &[Migration],
) -> anyhow::Result<u8> {
    let label = conn.redacted();
    let hs = history_schema(conn);
    let rows = history::read_history(client, &hs)
        .await?
        .unwrap_or_default();
    if let Some(name) = &args.applied {
        let Some(m) = local.iter().find(|m| &m.name == name) else {
            bail!(
                "no migration folder `{name}` in {}; resolve --applied needs its migration.sql",
                args.dir.path().display()
            );
        };
        if rows
            .iter()
            .any(|r| &r.migration_name == name && r.is_applied())
        {
            bail!("migration `{name}` is already recorded as applied in {label}");
        }
        history::create_table(client, &hs).await?;
        // A failed attempt is closed first, as Prisma does.
        history::mark_rolled_back(client, &hs, name).await?;
        history::insert_migration(client, &hs, name, &m.checksum, history::NewRow::Applied).await?;
        eprintln!("migration {name} is recorded as applied in {label} (it was not run)");
        return Ok(0);
    }
    let name = args.rolled_back.as_deref().unwrap_or_default();
    let open: Vec<_> = rows
        .iter()
        .filter(|r| r.migration_name == name && r.rolled_back_at.is_none())
        .collect();
    if open.is_empty() {
        bail!("migration `{name}` is neither applied nor failed in {label}: nothing to roll back");
    }
    let was = if open.iter().any(|r| r.is_failed()) {
        "failed"
    } else {
        "applied"
    };
    history::mark_rolled_back(client, &hs, name).await?;
    eprintln!(
        "migration {name} ({was}) is recorded as rolled back in {label}; it is pending again (delete its folder if it should never run)"
    );
    Ok(0)
}

async fn deploy(args: &MigrateDeployArgs) -> anyhow::Result<u8> {
    let dir = args.dir.path();
    let local = migrations::list(dir)?;
    let conn = ConnectOptions::resolve(args.db.as_deref())?;
    let mut client = schemadiff_postgres::connect(&conn).await?;
    if local.is_empty() {
        eprintln!("no migration found in {}: nothing to do", dir.display());
        return Ok(0);
    }
    // The lock is held from the first read of the history to the last migration, and released
    // before the command returns, whatever the way out.
    schemadiff::with_lock(&mut client, args.wait, async |client| {
        deploy_locked(args, &conn, client, &local).await
    })
    .await
}

/// `migrate deploy` with the advisory lock held: the history checked, then the pending
/// folders applied in order; SIGINT / SIGTERM stop it cleanly (see [`deploy_pending`]).
async fn deploy_locked(
    args: &MigrateDeployArgs,
    conn: &ConnectOptions,
    client: &mut schemadiff_postgres::Client,
    local: &[Migration],
) -> anyhow::Result<u8> {
    let label = conn.redacted();
    let hs = history_schema(conn);
    let Some(pending) = pending(args, conn, client, local, &hs).await? else {
        return Ok(0);
    };
    let aopts = ApplyOptions {
        lock_timeout: args.lock_timeout,
        statement_timeout: (!args.statement_timeout.is_zero()).then_some(args.statement_timeout),
        wait_for_lock: args.wait,
    };
    let interrupted = AtomicBool::new(false);
    let run = DeployRun {
        conn,
        local,
        history_schema: &hs,
        apply: &aopts,
        interrupted: &interrupted,
    };
    let mut applied = 0;
    let mut running = None;
    // SIGINT / SIGTERM: no next migration starts, and a cancel request ends the running
    // statement, whose transaction rolls back.
    let token = client.cancel_token();
    let (result, signal) = crate::interrupt::run_cancellable(
        deploy_pending(&run, client, &pending, &mut applied, &mut running),
        crate::interrupt::stop_and_cancel(&interrupted, conn, &token),
    )
    .await;
    let total = pending.len();
    if let Some(sig) = signal {
        let state = match (result, running) {
            (Ok(()), _) if applied == total => format!(
                "the signal came after the last migration: {total} of {total} applied, up to date"
            ),
            (Ok(()), _) => format!(
                "{} and the migrations after it were not started; {applied} of {total} migration(s) applied; run `schemadiff migrate deploy` again to finish",
                pending[applied]
            ),
            (Err(e), name) => format!(
                "migration {} was interrupted: {e:#}; {applied} of {total} migration(s) applied; run `schemadiff migrate deploy` again to finish",
                name.unwrap_or_default()
            ),
        };
        output::print_error(
            &mut std::io::stderr(),
            &anyhow::anyhow!("migrate deploy on {label} interrupted by {sig}: {state}"),
        )
        .ok();
        return Ok(sig.exit_code());
    }
    result?;
    eprintln!("{label}: {total} migration(s) applied, up to date");
    Ok(0)
}

/// The names of the pending migrations, once the history is read (and created on an empty
/// database) and checked: `None` when there is nothing to do; an error when a failed
/// migration blocks the deploy or the database needs a baseline.
async fn pending(
    args: &MigrateDeployArgs,
    conn: &ConnectOptions,
    client: &schemadiff_postgres::Client,
    local: &[Migration],
    hs: &str,
) -> anyhow::Result<Option<Vec<String>>> {
    let label = conn.redacted();
    let dir = args.dir.path();
    let rows = history::read_history(client, hs).await?;
    if rows.is_none() {
        // As Prisma: a database with tables but no history must be baselined first.
        let ro = schemadiff_postgres::ReadOnly::begin(client).await?;
        let db = schemadiff::read_database(&ro, &label, &conn.introspect_options(), None).await?;
        ro.finish().await?;
        if !db.schema.tables.is_empty() || !db.schema.enums.is_empty() {
            bail!(
                "{label} is not empty and has no _prisma_migrations table: baseline it first (docs/migrations.md: `schemadiff migrate diff --from empty --to SCHEMA --name 0_init`, then `schemadiff migrate resolve --applied 0_init`)"
            );
        }
        history::create_table(client, hs).await?;
        eprintln!("created _prisma_migrations in {label}");
    }
    let st = migrations::status(local, rows.as_deref());
    for n in &st.modified {
        output::warn(&format!(
            "{n}/migration.sql was modified after it was applied to {label}; it is not run again"
        ));
    }
    for n in &st.missing_locally {
        output::warn(&format!(
            "{n} is applied to {label} but has no folder in {}",
            dir.display()
        ));
    }
    if !st.failed.is_empty() {
        let names: Vec<&str> = st.failed.iter().map(|(n, _)| n.as_str()).collect();
        bail!(
            "{label} has failed migration(s): {}; no new migration is applied until each is resolved: fix the database, then `schemadiff migrate resolve --rolled-back NAME` (or `--applied NAME`); `schemadiff migrate status` shows the logs",
            names.join(", ")
        );
    }
    if st.pending.is_empty() {
        eprintln!("{label} is up to date: no pending migration");
        return Ok(None);
    }
    Ok(Some(st.pending))
}

/// What every migration of one deploy shares.
struct DeployRun<'a> {
    conn: &'a ConnectOptions,
    local: &'a [Migration],
    history_schema: &'a str,
    apply: &'a ApplyOptions,
    /// Set on SIGINT / SIGTERM: no migration starts after it.
    interrupted: &'a AtomicBool,
}

/// Applies the `pending` migrations in order, counting them in `applied`; `running` names the
/// one under way (when this returns an error: the one that failed). Once `interrupted` is
/// set, no further migration starts.
async fn deploy_pending(
    run: &DeployRun<'_>,
    client: &mut schemadiff_postgres::Client,
    pending: &[String],
    applied: &mut usize,
    running: &mut Option<String>,
) -> anyhow::Result<()> {
    let total = pending.len();
    for (k, name) in pending.iter().enumerate() {
        if run.interrupted.load(Ordering::SeqCst) {
            return Ok(());
        }
        *running = Some(name.clone());
        eprintln!("== [{}/{total}] {name}", k + 1);
        deploy_one(run, client, name).await?;
        *applied += 1;
        *running = None;
    }
    Ok(())
}

/// One pending migration: its pre-flight, then the engine's deploy.
async fn deploy_one(
    run: &DeployRun<'_>,
    client: &mut schemadiff_postgres::Client,
    name: &str,
) -> anyhow::Result<()> {
    let label = run.conn.redacted();
    let local = run.local;
    let i = local
        .iter()
        .position(|m| m.name == name)
        .context("pending migration without a folder")?;
    let m = &local[i];
    let before = migrations::schema_after(local, i)?;
    let target = migrations::schema_after(local, i + 1)?;
    let iopts = schemadiff::introspect_options(run.conn, &schemadiff::namespaces(&target));
    let blockers = deploy_preflight(client, &label, &iopts, &before, &target, m)
        .await
        .with_context(|| format!("pre-flight of {name}; nothing of it was run or recorded"))?;
    if blockers > 0 {
        bail!(
            "pre-flight found {blockers} blocker(s) for {name}; nothing of it was run or recorded"
        );
    }
    let verify = |after: &schemadiff_model::Schema| -> Result<(), String> {
        if same_schema(after, &target) {
            Ok(())
        } else {
            Err(format!(
                "after {name} the database differs from what the migration folders produce: {}",
                schemadiff::change_summaries(after, &target).join("; ")
            ))
        }
    };
    let mut progress = |p: schemadiff_postgres::Progress| {
        if p.phase == schemadiff_postgres::Phase::Started {
            eprintln!("[{}/{}] {}", p.step, p.total, p.description);
        }
    };
    let opts = migrations::DeployOptions {
        history_schema: run.history_schema,
        apply: run.apply,
        introspect: &iopts,
        interrupted: Some(run.interrupted),
    };
    let deployed = migrations::deploy(client, m, &opts, &target, &mut progress, verify).await;
    report_deploy(name, deployed)
}

/// Pre-flight, read only: the database against the folders before this one (a difference is
/// a warning), and the pre-flight queries of the step with its mapping file. Returns the
/// number of blockers.
async fn deploy_preflight(
    client: &schemadiff_postgres::Client,
    label: &str,
    iopts: &schemadiff_postgres::IntrospectOptions,
    before: &schemadiff_model::Schema,
    target: &schemadiff_model::Schema,
    m: &Migration,
) -> anyhow::Result<usize> {
    let ro = schemadiff_postgres::ReadOnly::begin(client).await?;
    let db = schemadiff::read_database(&ro, label, iopts, None).await?;
    if !same_schema(&db.schema, before) {
        output::warn(&format!(
            "{label} differs from what the migrations before {} produce: {}",
            m.name,
            schemadiff::change_summaries(before, &db.schema).join("; ")
        ));
    }
    let blockers = match preflight_plan(&db, before, target, m) {
        // Hazards were reviewed at `migrate dev`; only the blockers matter here.
        Ok(plan) => crate::commands::apply::preflight(&ro, &plan).await?.0,
        Err(e) => {
            output::warn(&format!("no pre-flight for {}: {e:#}", m.name));
            0
        }
    };
    ro.finish().await?;
    Ok(blockers)
}

/// Prints what the engine's deploy of `name` did, or turns its failure into the error that
/// says what state the database and the history are in.
fn report_deploy(
    name: &str,
    deployed: Result<schemadiff::Applied, DeployError>,
) -> anyhow::Result<()> {
    match deployed {
        Ok(applied) => {
            eprintln!(
                "applied {name}: {} statement(s){}",
                applied.report.statements,
                if applied.one_transaction {
                    " in one transaction, verified before COMMIT"
                } else {
                    ", checked after"
                }
            );
            Ok(())
        }
        Err(DeployError::History(e)) => Err(anyhow::Error::new(e).context(format!(
            "cannot record {name} in _prisma_migrations; nothing was run"
        ))),
        Err(DeployError::Interrupted { error, removed }) => {
            let row = match removed {
                Ok(()) => "it is not recorded as failed: it is pending again".to_string(),
                Err(e) => format!(
                    "its row in _prisma_migrations could not be removed ({e}) and reads as failed: run `schemadiff migrate resolve --rolled-back {name}`"
                ),
            };
            Err(anyhow::Error::new(error).context(format!(
                "its transaction was rolled back and nothing of it was applied; {row}"
            )))
        }
        Err(DeployError::Failed { error, recorded }) => {
            let state = match &error {
                ApplyError::OneTransaction(_) => {
                    "its transaction was rolled back: the database is as before it"
                }
                ApplyError::Batch(_) => {
                    "the batch that failed was rolled back; earlier batches of it are committed"
                }
                ApplyError::ReadBack(..) | ApplyError::Differs(..) => {
                    "its statements are committed"
                }
            };
            if let Err(e) = recorded {
                output::warn(&format!(
                    "the failure could not be written to _prisma_migrations.logs: {e}"
                ));
            }
            Err(anyhow::Error::new(error).context(format!(
                "migration {name} failed ({state}); it is recorded as failed in _prisma_migrations and blocks deploy until `schemadiff migrate resolve --rolled-back {name}` (or `--applied {name}`)"
            )))
        }
        Err(e @ DeployError::Finish(..)) => {
            Err(anyhow::Error::new(e).context(format!("migration {name}")))
        }
    }
}

/// The plan whose pre-flight queries stand for the folder's script: the folders before it to
/// the folders up to it, with the folder's mapping file, for the database's version.
fn preflight_plan(
    db: &Loaded,
    before: &schemadiff_model::Schema,
    target: &schemadiff_model::Schema,
    m: &Migration,
) -> anyhow::Result<Plan> {
    let side = |schema: &schemadiff_model::Schema, label: &str| Loaded {
        label: label.to_string(),
        schema: schema.clone(),
        names: None,
        notes: Vec::new(),
        server_major: db.server_major,
    };
    let from = side(before, "before");
    let to = side(target, &m.name);
    let map = m.mapping_file();
    schemadiff::make_plan(&from, &to, map.as_deref(), None)
}
