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

#[cfg(feature = "db")]
pub use db::*;

#[cfg(feature = "db")]
mod db {
    use super::*;
    use schemadiff_model::Schema;
    use schemadiff_postgres::{
        Client, IntrospectOptions, OnlineEvent, OnlineReport, OnlineRunOptions, OnlineStepSql,
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
