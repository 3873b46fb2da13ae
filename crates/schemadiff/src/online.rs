//! Online mode: the online plan made from the same sources and mapping file as the offline
//! one, its steps handed to the database crate's resumable runner, and the check that the
//! database matches the target once every phase has run (docs/online.md).

use crate::plan::{read_mapping, target_version};
use crate::source::Loaded;
use schemadiff_plan::online::{OnlineOptions, OnlinePlan, plan_online};
use std::path::Path;

/// Reads the mapping file (if any) and plans `from` → `to` online, for the version
/// [`target_version`] chooses.
pub fn make_online_plan(
    from: &Loaded,
    to: &Loaded,
    map: Option<&Path>,
    pg_version: Option<u32>,
    online: &OnlineOptions,
) -> anyhow::Result<OnlinePlan> {
    let mapping = read_mapping(from, to, map)?;
    let version = target_version(from, to, pg_version)?;
    Ok(plan_online(
        &from.schema,
        &to.schema,
        &mapping,
        &version,
        online,
    )?)
}

/// Where an online apply started, stored with its steps (`"schemadiff"."online_origin"`) so
/// that a re-run plans again from the same point with the mapping file as it is then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnlineOrigin {
    /// The database's schema before the first step.
    pub from: schemadiff_model::Schema,
    /// The target (its default expressions in the database's spelling).
    pub to: schemadiff_model::Schema,
    /// The PostgreSQL version planned for.
    pub pg_version: u32,
    /// The online options of the first run.
    pub online: OnlineOptions,
}

impl OnlineOrigin {
    /// The origin of planning `from` → `to` online (the version as [`make_online_plan`]
    /// chooses it).
    pub fn new(
        from: &Loaded,
        to: &Loaded,
        pg_version: Option<u32>,
        online: &OnlineOptions,
    ) -> anyhow::Result<Self> {
        Ok(OnlineOrigin {
            from: from.schema.clone(),
            to: to.schema.clone(),
            pg_version: target_version(from, to, pg_version)?.pg_version,
            online: *online,
        })
    }

    /// As stored.
    pub fn to_json(&self) -> String {
        serde_json::json!({
            "from": schema_json(&self.from),
            "to": schema_json(&self.to),
            "pg_version": self.pg_version,
            "batch_size": self.online.batch_size,
            "keep_old_columns": self.online.keep_old_columns,
        })
        .to_string()
    }

    /// Read back from [`OnlineOrigin::to_json`].
    pub fn from_json(text: &str) -> anyhow::Result<Self> {
        let unreadable = |e: &dyn std::fmt::Display| {
            anyhow::anyhow!("the stored origin of the online apply is unreadable: {e}")
        };
        let mut v: serde_json::Value = serde_json::from_str(text).map_err(|e| unreadable(&e))?;
        let mut schema = |key: &str| -> anyhow::Result<schemadiff_model::Schema> {
            schema_from_json(take(&mut v, key)).map_err(|e| unreadable(&e))
        };
        let (from, to) = (schema("from")?, schema("to")?);
        let number = |key: &str| -> anyhow::Result<u32> {
            v[key]
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| unreadable(&format!("no {key}")))
        };
        let s = (number("pg_version")?, number("batch_size")?);
        let keep = v["keep_old_columns"]
            .as_bool()
            .ok_or_else(|| unreadable(&"no keep_old_columns"))?;
        Ok(OnlineOrigin {
            from,
            to,
            pg_version: s.0,
            online: OnlineOptions {
                batch_size: s.1,
                keep_old_columns: keep,
            },
        })
    }

    /// The online plan from this origin to `to` (the same target) with the mapping file as it
    /// is now.
    pub fn replan(&self, to: &Loaded, map: Option<&Path>) -> anyhow::Result<OnlinePlan> {
        let from = Loaded {
            label: "the database when the online apply started".into(),
            schema: self.from.clone(),
            names: None,
            notes: Vec::new(),
            server_major: Some(self.pg_version),
        };
        make_online_plan(&from, to, map, None, &self.online)
    }
}

/// A schema as JSON: its enums and tables as lists (JSON keys are strings, the schema's are
/// qualified names; each object holds its own name).
fn schema_json(s: &schemadiff_model::Schema) -> serde_json::Value {
    serde_json::json!({
        "enums": s.enums.values().collect::<Vec<_>>(),
        "tables": s.tables.values().collect::<Vec<_>>(),
        "not_managed": s.not_managed,
        "extensions": s.extensions,
    })
}

/// `v[key]` taken out (`null` when `v` is no object or has no such key: never a panic on a
/// stored text that was changed by hand).
fn take(v: &mut serde_json::Value, key: &str) -> serde_json::Value {
    v.get_mut(key)
        .map(serde_json::Value::take)
        .unwrap_or_default()
}

/// The schema [`schema_json`] wrote.
fn schema_from_json(mut v: serde_json::Value) -> serde_json::Result<schemadiff_model::Schema> {
    let mut s = schemadiff_model::Schema {
        not_managed: serde_json::from_value(take(&mut v, "not_managed"))?,
        extensions: serde_json::from_value(take(&mut v, "extensions"))?,
        ..Default::default()
    };
    let enums: Vec<schemadiff_model::Enum> = serde_json::from_value(take(&mut v, "enums"))?;
    let tables: Vec<schemadiff_model::Table> = serde_json::from_value(take(&mut v, "tables"))?;
    enums.into_iter().for_each(|e| s.add_enum(e));
    tables.into_iter().for_each(|t| s.add_table(t));
    Ok(s)
}

#[cfg(feature = "db")]
pub use db::*;

#[cfg(feature = "db")]
mod db {
    use super::*;
    use schemadiff_model::Schema;
    use schemadiff_postgres::{
        Client, IntrospectOptions, OnlineEvent, OnlineReport, OnlineRevision, OnlineRunOptions,
        OnlineSaved, OnlineStepRun, OnlineStepSql,
    };

    /// The plan's steps as the database crate runs and stores them.
    pub fn online_steps(plan: &OnlinePlan) -> Vec<OnlineStepSql> {
        plan.steps
            .iter()
            .map(|s| OnlineStepSql {
                phase: s.phase.as_str().to_string(),
                // One type on both sides (the model's `OnlineStepKind`).
                run: s.kind.clone(),
                description: s.description.clone(),
                statements: s.statements.clone(),
            })
            .collect()
    }

    /// True when an earlier `apply --online` stopped before its end: its stored steps are
    /// continued (planning again from the half-migrated database would not give them).
    pub async fn online_in_progress(client: &Client) -> anyhow::Result<bool> {
        Ok(schemadiff_postgres::online_saved_steps(client)
            .await?
            .is_some())
    }

    /// What a re-run of an unfinished online apply does with the stored steps, given `--to`
    /// and the mapping file as they are now: `None` when nothing changed (continue them);
    /// a revision when only conversions changed (value mappings, fills); an error, changing
    /// nothing, when the target changed or the change reaches a step already done that cannot
    /// run again. A state stored without its origin (an older version) gives `None`.
    pub async fn online_resume(
        client: &Client,
        to: &mut Loaded,
        map: Option<&Path>,
    ) -> anyhow::Result<Option<OnlineRevision>> {
        let Some(saved) = schemadiff_postgres::online_saved(client).await? else {
            return Ok(None);
        };
        let Some(text) = &saved.origin else {
            return Ok(None);
        };
        let origin = OnlineOrigin::from_json(text)?;
        // The first run compared default expressions through the database as it was then.
        let ro = schemadiff_postgres::ReadOnly::begin(client).await?;
        schemadiff_postgres::canonicalize_expressions(&ro, &mut to.schema, &origin.from).await?;
        ro.finish().await?;
        if !crate::same_schema(&origin.to, &to.schema) {
            anyhow::bail!(
                "{} is not the target the unfinished online apply started with: {}. Nothing was changed. To go on, run apply --online with the --to of the first run (its mapping file may be edited) to finish that apply, then apply {} (or drop the online state by hand as docs/online.md says)",
                to.label,
                crate::change_summaries(&origin.to, &to.schema).join("; "),
                to.label
            );
        }
        let plan = origin.replan(to, map)?;
        let revision = online_revision(&saved, &online_steps(&plan)).map_err(|why| {
            anyhow::anyhow!(
                "the mapping file changes more than the conversions of the unfinished online apply: {why}. Nothing was changed. To go on, run apply --online with the mapping file of the first run (or one that changes only value mappings and fills)"
            )
        })?;
        Ok((!revision.is_empty()).then_some(revision))
    }

    /// How the stored steps become `new` (the same steps with other conversions): steps not
    /// done take the new statements; a done step whose trigger functions change has them
    /// replaced now; a done backfill whose conversion changes starts again from the first key,
    /// with the done checks of its table after it. Anything else is refused (why, as text).
    pub fn online_revision(
        saved: &OnlineSaved,
        new: &[OnlineStepSql],
    ) -> Result<OnlineRevision, String> {
        if saved.steps.len() != new.len() {
            return Err(format!(
                "the online apply would have {} step(s) instead of {}",
                new.len(),
                saved.steps.len()
            ));
        }
        let mut rev = OnlineRevision::default();
        for (n, (old, new)) in saved.steps.iter().zip(new).enumerate() {
            let same_shape = old.phase == new.phase
                && old.run == new.run
                && old.description == new.description
                && old.statements.len() == new.statements.len();
            if !same_shape {
                return Err(format!(
                    "step {} would be \"{}\" instead of \"{}\"",
                    n + 1,
                    new.description,
                    old.description
                ));
            }
            if old.statements == new.statements {
                continue;
            }
            rev.replace.push((n, new.statements.clone()));
            if let OnlineStepRun::Backfill { .. } = &old.run {
                // Batches already run used the old conversion, done or not.
                restart_backfill(saved, n, &mut rev)?;
            } else if saved.done.get(n).copied().unwrap_or(false) {
                revise_done(saved, n, new, &mut rev)?;
            }
        }
        rev.redo.sort_unstable();
        rev.redo.dedup();
        Ok(rev)
    }

    /// Backfill step `n` starts again from the first key, and the done checks of its table
    /// after it run again, the checks they added dropped meanwhile; refused when a
    /// later step of its table (the switch) is done.
    fn restart_backfill(
        saved: &OnlineSaved,
        n: usize,
        rev: &mut OnlineRevision,
    ) -> Result<(), String> {
        let OnlineStepRun::Backfill {
            table,
            schema,
            name,
        } = &saved.steps[n].run
        else {
            return Ok(());
        };
        let qn = schemadiff_plan::sqltext::qname(&schemadiff_model::QualifiedName::new(
            schema.as_str(),
            name.as_str(),
        ));
        if saved.done[n] {
            rev.redo.push(n);
        }
        rev.restart.push(table.clone());
        for (m, s) in saved.steps.iter().enumerate().skip(n + 1) {
            if !saved.done[m] || !s.statements.iter().any(|x| x.contains(&qn)) {
                continue;
            }
            if s.phase == "backfill" && s.run == OnlineStepRun::Transaction {
                rev.redo.push(m);
                // The table's NOT NULL check, added by a done step, would make a batch of the
                // new backfill fail on a value that now maps to nothing, instead of recording it
                // for the stop that names it: dropped now, added again after.
                let drop = format!("ALTER TABLE {qn} DROP CONSTRAINT IF EXISTS ");
                rev.run.extend(
                    s.statements
                        .iter()
                        .filter(|x| x.starts_with(&drop))
                        .cloned(),
                );
            } else if s.phase != "backfill" {
                return Err(format!(
                    "the conversion of {table} changes but its step {} (\"{}\") is already done",
                    m + 1,
                    s.description
                ));
            }
        }
        Ok(())
    }

    /// A done step other than a backfill whose statements become `new`'s: only the trigger
    /// functions can change (replaced now); anything else is refused.
    fn revise_done(
        saved: &OnlineSaved,
        n: usize,
        new: &OnlineStepSql,
        rev: &mut OnlineRevision,
    ) -> Result<(), String> {
        let old = &saved.steps[n];
        let changed: Vec<&String> = old
            .statements
            .iter()
            .zip(&new.statements)
            .filter(|(a, b)| a != b)
            .map(|(_, b)| b)
            .collect();
        if old.run == OnlineStepRun::Transaction
            && changed
                .iter()
                .all(|s| s.starts_with("CREATE OR REPLACE FUNCTION "))
        {
            rev.run.extend(changed.into_iter().cloned());
            return Ok(());
        }
        Err(format!(
            "step {} (\"{}\") is already done and would change",
            n + 1,
            old.description
        ))
    }

    /// What [`apply_online`] did.
    #[derive(Debug)]
    pub struct OnlineApplied {
        /// The runner's report.
        pub report: OnlineReport,
        /// `None` when every phase ran and the database matches the target; else why not
        /// (stopped on request: the phase; or the differences).
        pub check: Option<String>,
    }

    /// Runs the online steps (the stored ones of an unfinished earlier run first), then, when
    /// every phase has run, reads the database back and compares it with `target`.
    pub async fn apply_online(
        client: &mut Client,
        steps: &[OnlineStepSql],
        opts: &OnlineRunOptions,
        iopts: &IntrospectOptions,
        target: &Schema,
        progress: &mut dyn FnMut(OnlineEvent),
    ) -> anyhow::Result<OnlineApplied> {
        let report = schemadiff_postgres::online_run(client, steps, opts, progress).await?;
        if let Some(phase) = &report.stopped {
            return Ok(OnlineApplied {
                check: Some(format!(
                    "stopped after {phase} as asked; run again to continue"
                )),
                report,
            });
        }
        let ro = schemadiff_postgres::ReadOnly::begin(client).await?;
        let mut after = schemadiff_postgres::introspect(ro.client(), iopts).await?;
        schemadiff_postgres::canonicalize_expressions(&ro, &mut after, target).await?;
        ro.finish().await?;
        let check = if crate::same_schema(&after, target) {
            None
        } else {
            Some(format!(
                "the database differs from the target after the online apply: {}",
                crate::change_summaries(&after, target).join("; ")
            ))
        };
        Ok(OnlineApplied { report, check })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_origin_reads_back_as_stored() {
        let text = std::fs::read_to_string(
            schemadiff_testkit::workspace_root().join("schemas/v2.0.prisma"),
        )
        .expect("v2.0");
        let l = schemadiff_dsl::load("v2.0.prisma", &text);
        assert!(!l.has_errors(), "{:?}", l.diagnostics);
        let mut from = l.schema.clone();
        from.tables.clear();
        let origin = OnlineOrigin {
            from,
            to: l.schema,
            pg_version: 15,
            online: OnlineOptions {
                batch_size: 7,
                keep_old_columns: true,
            },
        };
        assert!(!origin.to.tables.is_empty() && !origin.to.enums.is_empty());
        let back = OnlineOrigin::from_json(&origin.to_json()).expect("readable");
        assert_eq!(back, origin);
        let err = OnlineOrigin::from_json("{\"from\": 1}").expect_err("unreadable");
        assert!(err.to_string().contains("unreadable"), "{err}");
    }
}
