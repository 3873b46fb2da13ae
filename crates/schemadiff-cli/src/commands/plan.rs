//! `schemadiff plan --from SOURCE --to SOURCE`: the ordered, data-preserving SQL between two
//! schemas. Exit 0 when a plan was made (empty or not), 1 on an error or a refused hazard.

use crate::cli::{PlanArgs, PlanFormat, PlanOptions};
use crate::output;
use crate::settings;
use anyhow::Context;
use schemadiff::Loaded;
use schemadiff_plan::Plan;
use schemadiff_render::RenderOptions;

/// Runs the command.
pub async fn run(args: &PlanArgs) -> anyhow::Result<u8> {
    if args.options.online {
        return crate::commands::online::plan(args).await;
    }
    let (from, to) = load(args).await?;
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
        if args.format == PlanFormat::Github {
            // The refusal as annotations too, so that the run shows where.
            print!(
                "{}",
                github_annotations(&plan, &from, &to, &args.options.allow_hazard)
            );
        }
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
        PlanFormat::Github => github_annotations(&plan, &from, &to, &args.options.allow_hazard),
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

/// Loads `--from` and `--to` (the offline and the online plan share it).
pub async fn load(args: &PlanArgs) -> anyhow::Result<(Loaded, Loaded)> {
    let lo = schemadiff::LoadOptions {
        shadow_db: args.options.shadow_db.as_deref(),
        ..output::load_options()
    };
    let from_source = settings::given(args.from.as_deref(), "--from")?;
    let to_source = settings::given(args.to.as_deref(), "--to")?;
    schemadiff::load_pair(from_source, to_source, lo).await
}

/// The plan as workflow annotations: one per hazard (an error when it is not allowed, else a
/// warning) at the model it touches in the target schema (else the source), then a notice
/// with the number of steps.
pub fn github_annotations(plan: &Plan, from: &Loaded, to: &Loaded, allowed: &[String]) -> String {
    use crate::github::{Annotation, Level, Locator};
    let locator = Locator::new(&[to, from]);
    let refused: Vec<&str> = plan.refused(allowed).iter().map(|h| h.code).collect();
    let mut out = String::new();
    for h in &plan.hazards {
        let step = &plan.steps[h.step];
        let level = if refused.contains(&h.code) {
            Level::Error
        } else {
            Level::Warning
        };
        let mut message = format!("{}\nstep: {}", h.message, step.description);
        if level == Level::Error {
            message.push_str(&format!(
                "\nallow it with `--allow-hazard {}` (docs/hazards.md)",
                h.code
            ));
        }
        let a = locator.at_object(
            level,
            &step.object,
            &format!("schemadiff: {}", h.code),
            message,
        );
        out.push_str(&format!("{a}\n"));
    }
    let summary = Annotation {
        title: Some("schemadiff: plan".into()),
        ..Annotation::new(
            Level::Notice,
            format!(
                "{} → {}: {} step(s), {} hazard(s)",
                from.label,
                to.label,
                plan.steps.len(),
                plan.hazards.len()
            ),
        )
    };
    out.push_str(&format!("{summary}\n"));
    out
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
