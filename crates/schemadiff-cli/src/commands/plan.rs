//! `schemadiff plan --from SOURCE --to SOURCE`: the ordered, data-preserving SQL between two
//! schemas. Exit 0 when a plan was made (empty or not), 1 on an error or a refused hazard.

use crate::cli::{PlanArgs, PlanFormat, PlanOptions};
use crate::output;
use anyhow::Context;
use schemadiff::Loaded;
use schemadiff_plan::Plan;
use schemadiff_render::RenderOptions;

/// Runs the command.
pub async fn run(args: &PlanArgs) -> anyhow::Result<u8> {
    if args.options.online {
        return crate::commands::online::plan(args).await;
    }
    let lo = schemadiff::LoadOptions {
        shadow_db: args.options.shadow_db.as_deref(),
        ..output::load_options()
    };
    let (from, to) = schemadiff::load_pair(&args.from, &args.to, lo).await?;
    let plan = make_plan(&from, &to, &args.options)?;
    let mut notes: Vec<String> = Vec::new();
    for n in from.notes.iter().chain(&to.notes) {
        if !notes.contains(n) {
            notes.push(n.clone());
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
        not_managed: Some(notes),
    };
    let text = match args.format {
        PlanFormat::Sql => schemadiff_render::render_sql(&plan, &opts),
        PlanFormat::Json => schemadiff_render::render_json(&plan, &opts),
        PlanFormat::Markdown => schemadiff_render::render_markdown(&plan, &opts),
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

/// Reads the mapping file (if any) and plans `from` → `to` (see [`schemadiff::make_plan`]).
pub fn make_plan(from: &Loaded, to: &Loaded, options: &PlanOptions) -> anyhow::Result<Plan> {
    schemadiff::make_plan(from, to, options.map.as_deref(), options.pg_version)
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
