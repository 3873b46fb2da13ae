//! The round-trip runner: plan, apply to a database built from `from` and filled with the
//! rows, then check (a) no drift against `to`, (b) row counts, (c) values (oracle).
#![allow(dead_code)]

use schemadiff::{Resolver, same_schema as same};
use schemadiff_dsl::NameMap;
use schemadiff_model::{QualifiedName, Schema};
use schemadiff_plan::Mapping;
use schemadiff_render::{RenderOptions, render_sql};
use schemadiff_roundtrip::oracle::{self, Cell, Snapshot};
use schemadiff_testkit::{TestDb, workspace_root};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One round trip to run: from a seed or from a fixture directory.
#[derive(Debug, Clone)]
pub struct Input {
    /// `seed 42` or the fixture path.
    pub label: String,
    pub from: String,
    pub to: String,
    pub mapping: String,
    pub rows: String,
    /// Hazard codes allowed; any other hazard that needs allowing is a failure.
    pub allowed: Vec<String>,
    /// The models the generator built (print → load must give them back).
    pub models: Option<(Schema, Schema)>,
    /// The generated changes, for the failure message.
    pub changes: Vec<String>,
    /// Apply with the library's `apply` / `apply_and_verify` (as `schemadiff apply` does)
    /// instead of running the rendered script.
    pub via_library: bool,
}

impl Input {
    pub fn from_seed(seed: u64) -> Input {
        let c = schemadiff_roundtrip::generate(seed);
        Input {
            label: format!("seed {seed}"),
            from: c.from,
            to: c.to,
            mapping: c.mapping,
            rows: c.rows,
            allowed: c.allowed_hazards,
            models: Some((c.from_model, c.to_model)),
            changes: c.changes,
            via_library: seed % 2 == 1,
        }
    }

    pub fn from_dir(dir: &Path) -> Input {
        let read = |n: &str| std::fs::read_to_string(dir.join(n)).unwrap_or_default();
        Input {
            label: dir.display().to_string(),
            from: read("from.prisma"),
            to: read("to.prisma"),
            mapping: read("mapping.toml"),
            rows: read("rows.sql"),
            allowed: read("hazards.txt")
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(str::to_string)
                .collect(),
            models: None,
            changes: Vec::new(),
            via_library: false,
        }
    }

    /// Writes the case as a fixture directory.
    pub fn save(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        std::fs::write(dir.join("from.prisma"), &self.from)?;
        std::fs::write(dir.join("to.prisma"), &self.to)?;
        std::fs::write(dir.join("mapping.toml"), &self.mapping)?;
        std::fs::write(dir.join("rows.sql"), &self.rows)?;
        let mut h = String::from("# hazard codes the round trip allows, one a line\n");
        for a in &self.allowed {
            h.push_str(a);
            h.push('\n');
        }
        std::fs::write(dir.join("hazards.txt"), h)
    }
}

/// What a passing round trip checked.
#[derive(Debug, Default, Clone, Copy)]
pub struct Stats {
    pub steps: usize,
    pub tables: usize,
    pub rows: usize,
    pub cells: usize,
}

/// A failed round trip: the message and the plan SQL (when one was made).
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub sql: String,
}

fn opts() -> RenderOptions {
    RenderOptions {
        from_label: "from".into(),
        to_label: "to".into(),
        not_managed: None,
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

fn load(label: &str, text: &str) -> Result<(Schema, NameMap), String> {
    let l = schemadiff_dsl::load(label, text);
    if l.has_errors() {
        return Err(format!(
            "{label} does not load:\n{}",
            schemadiff_dsl::render_diagnostics(&l.diagnostics, label, text, false)
        ));
    }
    Ok((l.schema, l.names))
}

fn fail(message: String, sql: &str) -> Failure {
    Failure {
        message,
        sql: sql.to_string(),
    }
}

fn snapshot(db: &TestDb, t: &schemadiff_model::Table) -> Snapshot {
    let columns: Vec<String> = t.columns.iter().map(|c| c.name.clone()).collect();
    let rows = db.rows(&oracle::select_sql(t, &columns));
    Snapshot { columns, rows }
}

/// Runs one round trip on `db` (its `public` schema is emptied first). `after_apply` runs
/// after the plan and before the checks (the harness's own tests corrupt the result there).
pub fn run(db: &TestDb, input: &Input, after_apply: Option<&str>) -> Result<Stats, Failure> {
    let (from, from_names) = load("from.prisma", &input.from).map_err(|e| fail(e, ""))?;
    let (to, to_names) = load("to.prisma", &input.to).map_err(|e| fail(e, ""))?;
    if let Some((fm, tm)) = &input.models {
        for (label, built, loaded) in [("from", fm, &from), ("to", tm, &to)] {
            if !same(built, loaded) {
                return Err(fail(
                    format!(
                        "print → load changed the `{label}` model\n--- built\n{built:#?}\n--- loaded\n{loaded:#?}"
                    ),
                    "",
                ));
            }
        }
    }
    let mapping = Mapping::parse(
        &input.mapping,
        &Resolver {
            maps: vec![&to_names, &from_names],
        },
    )
    .map_err(|e| fail(format!("the mapping file is rejected: {e}"), ""))?;
    let plan = schemadiff_plan::plan(&from, &to, &mapping)
        .map_err(|e| fail(format!("plan failed: {e}"), ""))?;
    let sql = render_sql(&plan, &opts());
    let refused: Vec<String> = plan
        .refused(&input.allowed)
        .iter()
        .map(|h| format!("{}: {}", h.code, h.message))
        .collect();
    if !refused.is_empty() {
        return Err(fail(
            format!(
                "the plan needs hazards the generated changes should not raise:\n  {}",
                refused.join("\n  ")
            ),
            &sql,
        ));
    }

    // A database built from `from`, filled with the rows.
    db.try_execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;")
        .map_err(|e| fail(format!("resetting the database: {e}"), &sql))?;
    let create = schemadiff_plan::plan(&Schema::empty(), &from, &Mapping::empty())
        .map_err(|e| fail(format!("plan from empty failed: {e}"), &sql))?;
    db.try_execute(&render_sql(&create, &opts()))
        .map_err(|e| fail(format!("creating `from` failed: {e}"), &sql))?;
    db.try_execute(&input.rows)
        .map_err(|e| fail(format!("inserting the rows failed: {e}"), &sql))?;
    let before: BTreeMap<QualifiedName, Snapshot> = from
        .tables
        .iter()
        .map(|(qn, t)| (qn.clone(), snapshot(db, t)))
        .collect();

    // Pre-flight (what `schemadiff apply` runs first): the generated data is fully mapped, so
    // nothing may block. Then apply, through the library or as the rendered script.
    let rt = runtime();
    let connect = || async {
        let o = schemadiff_postgres::ConnectOptions::resolve(Some(&db.url))?;
        schemadiff_postgres::connect(&o).await
    };
    rt.block_on(async {
        let client = connect().await.map_err(|e| e.to_string())?;
        let ro = schemadiff_postgres::ReadOnly::begin(&client)
            .await
            .map_err(|e| e.to_string())?;
        let mut result = Ok(());
        for q in plan.preflight_queries() {
            let rows = match schemadiff_postgres::preflight_rows(&ro, &q.sql).await {
                Ok(rows) => rows,
                Err(e) => {
                    result = Err(format!("pre-flight query failed ({}): {e}", q.description));
                    break;
                }
            };
            let outcome = q.evaluate(&rows);
            if outcome.blocking {
                result = Err(format!(
                    "pre-flight blocks data the plan handles: {}\n  {}",
                    outcome.summary,
                    outcome.lines.join("\n  ")
                ));
                break;
            }
        }
        // End the read-only transaction now: a dropped client's connection task may never run
        // again on this runtime, and its open snapshot would hold locks the apply waits for.
        ro.finish().await.map_err(|e| e.to_string())?;
        result
    })
    .map_err(|e| fail(e, &sql))?;
    if input.via_library {
        let batches = schemadiff::batches(&plan);
        let iopts = schemadiff_postgres::IntrospectOptions::for_schemas(vec!["public".into()]);
        rt.block_on(async {
            let mut client = connect().await.map_err(|e| e.to_string())?;
            let aopts = schemadiff_postgres::ApplyOptions::default();
            let target = to.clone();
            schemadiff::apply_batches(
                &mut client,
                &batches,
                &aopts,
                &iopts,
                &target,
                &mut |_| {},
                |after| {
                    if same(after, &target) {
                        Ok(())
                    } else {
                        Err("the result differs from `to` (verification)".into())
                    }
                },
            )
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
        })
        .map_err(|e| {
            fail(
                format!("applying the plan (library apply) failed: {e}"),
                &sql,
            )
        })?;
    } else {
        db.try_execute(&sql)
            .map_err(|e| fail(format!("applying the plan failed: {e}"), &sql))?;
    }
    if let Some(extra) = after_apply {
        db.try_execute(extra)
            .map_err(|e| fail(format!("after_apply: {e}"), &sql))?;
    }

    // (a) No drift: the database, introspected, is `to`.
    let (live, canon_to) = rt
        .block_on(async {
            let o = schemadiff_postgres::ConnectOptions::resolve(Some(&db.url))?;
            let client = schemadiff_postgres::connect(&o).await?;
            let ro = schemadiff_postgres::ReadOnly::begin(&client).await?;
            let live = schemadiff_postgres::introspect(
                ro.client(),
                &schemadiff_postgres::IntrospectOptions::for_schemas(vec!["public".into()]),
            )
            .await?;
            let mut t = to.clone();
            schemadiff_postgres::canonicalize_expressions(&ro, &mut t, &live).await?;
            ro.finish().await?;
            Ok::<_, schemadiff_postgres::Error>((live, t))
        })
        .map_err(|e| fail(format!("introspection failed: {e}"), &sql))?;
    if !same(&live, &canon_to) {
        let back = schemadiff_plan::plan(&live, &canon_to, &Mapping::empty())
            .map(|p| render_sql(&p, &opts()))
            .unwrap_or_else(|e| format!("(no plan: {e})"));
        return Err(fail(
            format!(
                "drift after the plan: the database differs from `to`\n--- database\n{}\n--- SQL from the database to `to`\n{back}",
                schemadiff_dsl::print_schema(&live)
            ),
            &sql,
        ));
    }

    // (b) and (c): row counts and values.
    let expected =
        oracle::expect(&from, &to, &input.mapping, &before).map_err(|e| fail(e, &sql))?;
    let mut stats = Stats {
        steps: plan.steps.len(),
        ..Stats::default()
    };
    let mut json_cache: BTreeMap<(String, bool), String> = BTreeMap::new();
    for te in &expected {
        let t = &to.tables[&te.table];
        let names: Vec<String> = te.columns.iter().map(|(c, _)| c.clone()).collect();
        let order = oracle::order_columns(t);
        let after = db.rows(&oracle::select_sql(t, &names));
        stats.tables += 1;
        if after.len() != te.rows {
            return Err(fail(
                format!(
                    "rows lost or gained: {} had {} row(s) before ({}), has {} after",
                    te.table,
                    te.rows,
                    te.from
                        .as_ref()
                        .map_or("new table".to_string(), |f| format!("from {f}")),
                    after.len()
                ),
                &sql,
            ));
        }
        stats.rows += after.len();
        for (ci, (col, cells)) in te.columns.iter().enumerate() {
            for (ri, cell) in cells.iter().enumerate() {
                let found = &after[ri][ci];
                let want = match cell {
                    Cell::Any => continue,
                    Cell::Exact(v) => v.clone(),
                    Cell::Json { text, valid } => {
                        let key = (text.clone(), *valid);
                        if !json_cache.contains_key(&key) {
                            let lit = schemadiff_roundtrip::generate::quote_literal(text);
                            let q = if *valid {
                                format!("SELECT ({lit}::jsonb)::text")
                            } else {
                                format!("SELECT to_jsonb({lit}::text)::text")
                            };
                            let v = db.rows(&q)[0][0].clone().unwrap_or_default();
                            json_cache.insert(key.clone(), v);
                        }
                        Some(json_cache[&key].clone())
                    }
                };
                stats.cells += 1;
                if &want != found {
                    let key: Vec<String> = order
                        .iter()
                        .filter_map(|k| names.iter().position(|n| n == k))
                        .map(|i| after[ri][i].as_deref().unwrap_or("NULL").to_string())
                        .collect();
                    let before_row = te
                        .from
                        .as_ref()
                        .and_then(|f| before.get(f))
                        .and_then(|s| s.rows.get(ri))
                        .map(|r| format!("{r:?}"))
                        .unwrap_or_default();
                    return Err(fail(
                        format!(
                            "first differing row: {}.{col} at row {} (key {}): expected {want:?}, found {found:?}\n  the row before the plan: {before_row}\n  the row after: {:?}",
                            te.table,
                            ri + 1,
                            key.join(", "),
                            after[ri]
                        ),
                        &sql,
                    ));
                }
            }
        }
    }
    // Dropped tables are gone (drift covers it; said here for the message).
    Ok(stats)
}

/// The whole failure report: seed/label, both schemas, the mapping, the rows, the plan SQL and
/// the first problem. Saves the case to a temporary directory (and to
/// `fixtures/roundtrip/<seed>/` when `SCHEMADIFF_ROUNDTRIP_SAVE=1`) and names where.
pub fn report(input: &Input, seed: Option<u64>, f: &Failure) -> String {
    let name = seed.map_or_else(|| "replay".to_string(), |s| s.to_string());
    let tmp = std::env::temp_dir()
        .join("schemadiff-roundtrip")
        .join(&name);
    let mut saved = match input.save(&tmp) {
        Ok(()) => format!("saved to {}", tmp.display()),
        Err(e) => format!("could not save to {}: {e}", tmp.display()),
    };
    if seed.is_some() && std::env::var("SCHEMADIFF_ROUNDTRIP_SAVE").as_deref() == Ok("1") {
        let dir = fixture_root().join(&name);
        match input.save(&dir) {
            Ok(()) => saved.push_str(&format!(" and {}", dir.display())),
            Err(e) => saved.push_str(&format!("; could not save to {}: {e}", dir.display())),
        }
    }
    let reproduce = seed.map_or_else(String::new, |s| {
        format!(
            "reproduce: SCHEMADIFF_ROUNDTRIP_SEED={s} SCHEMADIFF_ROUNDTRIP_CASES=1 cargo nextest run -p schemadiff-roundtrip -E 'test(shard_0)'\n"
        )
    });
    format!(
        "==== round trip {} FAILED ({saved})\n{reproduce}{}\n\
         ---- changes\n{}\n---- from.prisma\n{}\n---- to.prisma\n{}\n---- mapping.toml\n{}\n\
         ---- rows.sql\n{}\n---- allowed hazards: {:?}; applied {}\n---- plan SQL\n{}\n",
        input.label,
        f.message,
        input.changes.join("\n"),
        input.from,
        input.to,
        input.mapping,
        input.rows,
        input.allowed,
        if input.via_library {
            "with the library's apply (odd seed)"
        } else {
            "as the rendered script"
        },
        f.sql,
    )
}

pub fn fixture_root() -> PathBuf {
    workspace_root().join("fixtures/roundtrip")
}

/// `(first seed, number of cases)` from `SCHEMADIFF_ROUNDTRIP_SEED` / `_CASES`.
pub fn settings() -> (u64, u64) {
    let num = |k: &str, d: u64| {
        std::env::var(k)
            .ok()
            .map(|v| {
                v.trim()
                    .parse()
                    .unwrap_or_else(|_| panic!("{k}={v} is not a number"))
            })
            .unwrap_or(d)
    };
    (
        num("SCHEMADIFF_ROUNDTRIP_SEED", 1),
        num("SCHEMADIFF_ROUNDTRIP_CASES", 200),
    )
}
