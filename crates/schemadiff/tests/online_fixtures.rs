//! Every case under fixtures/diff/<case>/ applied online on the real PostgreSQL: a database
//! made from `from.prisma` (plus `data.sql`) is planned online to `to.prisma` (with the case's
//! `mapping.toml`) as `apply --online` plans it, run in batches of 2 through every phase, and
//! then:
//! - it matches `to` (the engine's own check after the last phase: drift 0);
//! - nothing of online mode is left (state schema, `_sd_` columns, constraints, indexes,
//!   triggers);
//! - `check.sql`, when present, gives the rows in `check.out`: the offline plan's result,
//!   reviewed and snapshotted by the render crate's fixture test.
//!
//! A case online mode refuses is listed in [`REFUSED`] with the reason it must give; any other
//! refusal fails, and so does a listed case that is not refused. Each case is its own test
//! (`harness = false`, see `schemadiff_testkit::cases`).

mod common;

use common::{runtime, try_dsl};
use schemadiff::{
    LoadOptions, Loaded, apply_online, batches, load_database, make_online_plan, make_plan,
    online_steps,
};
use schemadiff_plan::online::OnlineOptions;
use schemadiff_postgres::{ConnectOptions, OnlineRunOptions};
use schemadiff_testkit::{TestDb, cases, workspace_root};
use std::path::{Path, PathBuf};

/// Cases online mode refuses, with a part of the reason it gives.
const REFUSED: &[(&str, &str)] = &[];

fn loaded(path: &Path) -> Result<Loaded, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    try_dsl(&path.display().to_string(), &text)
}

/// A database made from `from` by the offline plan from empty, plus `data.sql`.
fn from_database(name: &str, dir: &Path, from: &Loaded) -> Result<TestDb, String> {
    let db = TestDb::create(&format!("onl_{name}"));
    let empty = runtime()
        .block_on(schemadiff::load("empty", &[], LoadOptions::default()))
        .map_err(|e| format!("{e:#}"))?;
    let plan = make_plan(&empty, from, None, None).map_err(|e| format!("{e:#}"))?;
    for b in batches(&plan) {
        let sql: Vec<String> = b.statements.iter().map(|s| format!("{};", s.sql)).collect();
        db.try_execute(&sql.join("\n"))?;
    }
    if let Ok(data) = std::fs::read_to_string(dir.join("data.sql")) {
        db.try_execute(&data)
            .map_err(|e| format!("data.sql: {e}"))?;
    }
    Ok(db)
}

fn run_case(name: &str, dir: &Path) -> Result<(), String> {
    let from = loaded(&dir.join("from.prisma"))?;
    let mut to = loaded(&dir.join("to.prisma"))?;
    let map = Some(dir.join("mapping.toml")).filter(|p| p.exists());
    let db = from_database(name, dir, &from)?;
    let refused = REFUSED
        .iter()
        .find(|(c, _)| *c == name)
        .map(|(_, why)| *why);
    let applied = runtime().block_on(async {
        let o = ConnectOptions::resolve(Some(&db.url))?;
        let mut c = schemadiff_postgres::connect(&o).await?;
        // As `apply --online` reads it: the target's schemas, its defaults in the database's
        // spelling.
        let ns = schemadiff::namespaces(&to.schema);
        let from_db = load_database(Some(&db.url), &ns, Some(&mut to.schema)).await?;
        let plan = make_online_plan(
            &from_db,
            &to,
            map.as_deref(),
            None,
            &OnlineOptions {
                batch_size: 2,
                keep_old_columns: false,
            },
        )?;
        let iopts = schemadiff::introspect_options(&o, &ns);
        apply_online(
            &mut c,
            &online_steps(&plan),
            &OnlineRunOptions::default(),
            &iopts,
            &to.schema,
            &mut |_| {},
        )
        .await
    });
    match (applied, refused) {
        (Err(e), Some(why)) => {
            let msg = format!("{e:#}");
            return if msg.contains(why) {
                Ok(())
            } else {
                Err(format!("refused for another reason than \"{why}\": {msg}"))
            };
        }
        (Err(e), None) => return Err(format!("online apply failed: {e:#}")),
        (Ok(_), Some(why)) => {
            return Err(format!(
                "listed in REFUSED (\"{why}\") but applied online: take it out of the list"
            ));
        }
        (Ok(a), None) => {
            if let Some(diff) = a.check {
                return Err(diff);
            }
        }
    }
    let left = db.rows(
        "SELECT 'schema ' || nspname FROM pg_namespace WHERE nspname = 'schemadiff' \
         UNION ALL SELECT 'column ' || attname FROM pg_attribute WHERE attname LIKE '\\_sd\\_%' AND NOT attisdropped \
         UNION ALL SELECT 'constraint ' || conname FROM pg_constraint WHERE conname LIKE '\\_sd\\_%' \
         UNION ALL SELECT 'index ' || relname FROM pg_class WHERE relname LIKE '\\_sd\\_%' \
         UNION ALL SELECT 'trigger ' || tgname FROM pg_trigger WHERE tgname LIKE '\\_sd\\_%'",
    );
    if !left.is_empty() {
        return Err(format!("left behind by online mode: {left:?}"));
    }
    if let Ok(check) = std::fs::read_to_string(dir.join("check.sql")) {
        let rows: Vec<String> = db
            .rows(&check)
            .into_iter()
            .map(|r| {
                r.into_iter()
                    .map(|v| v.unwrap_or_else(|| "NULL".into()))
                    .collect::<Vec<_>>()
                    .join(" | ")
            })
            .collect();
        let got = rows.join("\n") + "\n";
        let want = std::fs::read_to_string(dir.join("check.out"))
            .map_err(|e| format!("check.out: {e}"))?;
        if got != want {
            return Err(format!(
                "check.sql after the online apply differs from the offline result (check.out):\n--- online\n{got}--- offline\n{want}"
            ));
        }
    }
    Ok(())
}

fn main() {
    let root = workspace_root().join("fixtures/diff");
    let dirs: Vec<PathBuf> = cases::entries(&root)
        .into_iter()
        .filter(|p| p.join("from.prisma").exists())
        .collect();
    let mut trials = Vec::new();
    for d in &dirs {
        let name = d.file_name().unwrap().to_string_lossy().into_owned();
        let d = d.clone();
        let n = name.clone();
        trials.push(cases::trial(name, move || run_case(&n, &d)));
    }
    let names: Vec<String> = dirs
        .iter()
        .map(|d| d.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    trials.push(cases::trial("refused_cases_exist", move || {
        match REFUSED.iter().find(|(c, _)| !names.iter().any(|n| n == c)) {
            Some((c, _)) => Err(format!("REFUSED names {c}, which is no case")),
            None => Ok(()),
        }
    }));
    cases::run(trials);
}
