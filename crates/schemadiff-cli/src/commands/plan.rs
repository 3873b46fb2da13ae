//! `schemadiff plan --from SOURCE --to SOURCE`: the ordered, data-preserving SQL between two
//! schemas. Exit 0 when a plan was made (empty or not), 1 on an error or a refused hazard.

use crate::cli::{PlanArgs, PlanFormat, PlanOptions};
use crate::output;
use crate::source::{self, Loaded, Resolver};
use anyhow::Context;
use schemadiff_plan::{Mapping, Plan};
use schemadiff_sql::RenderOptions;

/// Runs the command.
pub async fn run(args: &PlanArgs) -> anyhow::Result<u8> {
    source::set_shadow_db(args.options.shadow_db.clone());
    let (from, to) = source::load_pair(&args.from, &args.to).await?;
    let plan = make_plan(&from, &to, &args.options)?;
    let mut notes: Vec<&String> = Vec::new();
    for n in from.notes.iter().chain(&to.notes) {
        if !notes.contains(&n) {
            notes.push(n);
        }
    }
    for note in &notes {
        output::warn(note);
    }
    if refuse(&plan, &args.options.allow_hazard) {
        return Ok(1);
    }
    let opts = RenderOptions {
        from_label: from.label.clone(),
        to_label: to.label.clone(),
    };
    let text = match args.format {
        PlanFormat::Sql => with_notes_sql(schemadiff_sql::render_sql(&plan, &opts), &notes),
        PlanFormat::Json => with_notes_json(schemadiff_sql::render_json(&plan, &opts), &notes)?,
        PlanFormat::Markdown => {
            with_notes_markdown(schemadiff_sql::render_markdown(&plan, &opts), &notes)
        }
    };
    match &args.out {
        Some(path) => std::fs::write(path, text)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => print!("{text}"),
    }
    for w in &plan.warnings {
        output::warn(w);
    }
    Ok(0)
}

/// Reads the mapping file (if any) and plans `from` → `to`.
pub fn make_plan(from: &Loaded, to: &Loaded, options: &PlanOptions) -> anyhow::Result<Plan> {
    let mapping = match &options.map {
        None => Mapping::empty(),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read mapping file {}", path.display()))?;
            let resolver = Resolver {
                maps: to.names.iter().chain(from.names.iter()).collect(),
            };
            Mapping::parse(&text, &resolver)
                .with_context(|| format!("invalid mapping file {}", path.display()))?
        }
    };
    let version = target_version(from, to, options.pg_version)?;
    Ok(schemadiff_plan::plan_with(
        &from.schema,
        &to.schema,
        &mapping,
        &version,
    )?)
}

/// The version to plan for: the database's (the `from` side first: the script runs there),
/// else `--pg-version`, else the default. `--pg-version` contradicting a database is an error.
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

/// Prints every hazard the user did not allow and returns true when the plan must be refused.
pub fn refuse(plan: &Plan, allowed: &[String]) -> bool {
    let refused = plan.refused(allowed);
    if refused.is_empty() {
        return false;
    }
    for h in &refused {
        eprintln!("error[{}]: {}", h.code, h.message);
        let why = if h.loses_data {
            "this step can lose data"
        } else {
            "this step can fail or block on existing data"
        };
        eprintln!(
            "  = help: {why}; allow it with `--allow-hazard {}` (or `--allow-hazard all`); see docs/hazards.md",
            h.code
        );
    }
    output::print_error(
        &mut std::io::stderr(),
        &anyhow::anyhow!(
            "plan refused: {} hazardous step(s) not allowed; nothing was written",
            refused.len()
        ),
    )
    .ok();
    true
}

/// Puts the objects the plan leaves alone at the top of the SQL script, as comments.
fn with_notes_sql(sql: String, notes: &[&String]) -> String {
    if notes.is_empty() {
        return sql;
    }
    // Through the renderer's comment function: a note names database objects, and no name
    // may end its comment line.
    let mut lines = vec!["Objects schemadiff does not manage (left untouched):".to_string()];
    lines.extend(notes.iter().map(|n| format!("  {n}")));
    lines.push(String::new());
    schemadiff_sql::comment_block(&lines) + &sql
}

/// Adds a `not_managed` array (always present, possibly empty) as the last field of the JSON
/// plan, keeping the renderer's field order and layout.
fn with_notes_json(json: String, notes: &[&String]) -> anyhow::Result<String> {
    let parsed: serde_json::Value =
        serde_json::from_str(&json).context("the JSON renderer produced invalid JSON")?;
    anyhow::ensure!(
        parsed.as_object().is_some_and(|o| !o.is_empty()),
        "the JSON plan is not an object"
    );
    let body = json
        .trim_end()
        .strip_suffix('}')
        .context("the JSON plan does not end with `}`")?
        .trim_end();
    let list = serde_json::to_string(notes)?;
    let out = format!("{body},\n  \"not_managed\": {list}\n}}\n");
    serde_json::from_str::<serde_json::Value>(&out)
        .context("could not add not_managed to the JSON plan")?;
    Ok(out)
}

/// Appends a section listing the objects the plan leaves alone to the Markdown summary.
fn with_notes_markdown(md: String, notes: &[&String]) -> String {
    if notes.is_empty() {
        return md;
    }
    let mut out = md;
    out.push_str("\n**Not managed by schemadiff (left untouched):**\n\n");
    for n in notes {
        out.push_str(&format!("- {n}\n"));
    }
    out
}
