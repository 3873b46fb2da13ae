//! Making a plan: the mapping file read with the sources' DSL names, the PostgreSQL version to
//! plan for, and the same-schema check.

use crate::source::{Loaded, Resolver};
use anyhow::Context;
use schemadiff_model::Schema;
use schemadiff_plan::{Mapping, Plan};
use std::path::Path;

/// Parses mapping-file text, resolving its keys with the DSL names of `to`, then of `from`
/// ([`Resolver`]).
pub fn parse_mapping(
    text: &str,
    from: &Loaded,
    to: &Loaded,
) -> Result<Mapping, schemadiff_plan::MappingError> {
    let resolver = Resolver {
        maps: to.names.iter().chain(from.names.iter()).collect(),
    };
    Mapping::parse(text, &resolver)
}

/// Reads the mapping file (none: the empty mapping), keys resolved as [`parse_mapping`] does.
pub fn read_mapping(from: &Loaded, to: &Loaded, map: Option<&Path>) -> anyhow::Result<Mapping> {
    Ok(match map {
        None => Mapping::empty(),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read mapping file {}", path.display()))?;
            parse_mapping(&text, from, to)
                .with_context(|| format!("invalid mapping file {}", path.display()))?
        }
    })
}

/// Reads the mapping file (if any) and plans `from` → `to` for the version
/// [`target_version`] chooses.
pub fn make_plan(
    from: &Loaded,
    to: &Loaded,
    map: Option<&Path>,
    pg_version: Option<u32>,
) -> anyhow::Result<Plan> {
    let mapping = read_mapping(from, to, map)?;
    let version = target_version(from, to, pg_version)?;
    Ok(schemadiff_plan::plan_with(
        &from.schema,
        &to.schema,
        &mapping,
        &version,
    )?)
}

/// The version to plan for: the database's (the `from` side first: the script runs there),
/// else `requested` (`--pg-version`), else the default. A requested version contradicting a
/// database is an error.
pub fn target_version(
    from: &Loaded,
    to: &Loaded,
    requested: Option<u32>,
) -> anyhow::Result<schemadiff_plan::PlanOptions> {
    let db = from
        .server_major
        .map(|v| (v, &from.label))
        .or(to.server_major.map(|v| (v, &to.label)));
    let version = match (requested, db) {
        (Some(n), Some((v, label))) if n != v => anyhow::bail!(
            "--pg-version {n} does not match {label}, which runs PostgreSQL {v}; leave it out to plan for the database's version"
        ),
        (_, Some((v, _))) => v,
        (Some(n), None) => n,
        (None, None) => schemadiff_plan::PlanOptions::default().pg_version,
    };
    Ok(schemadiff_plan::PlanOptions::for_version(version)?)
}

/// True when the managed parts of two schemas are the same: objects not managed are ignored,
/// and neither column order nor enum label order is compared (`schemadiff_diff::same_schema`).
pub fn same_schema(a: &Schema, b: &Schema) -> bool {
    schemadiff_diff::same_schema(a, b)
}

/// One line per change from `a` to `b`, as the diff names it: what to print when two schemas
/// differ but a plan has no step to show for it (never an empty list after "differs").
pub fn change_summaries(a: &Schema, b: &Schema) -> Vec<String> {
    schemadiff_diff::diff(a, b, &schemadiff_diff::Renames::none())
        .changes
        .iter()
        .map(|c| c.summary())
        .collect()
}
