//! Shared by the planner's fuzz targets: every output of a plan produced and checked. Mapping
//! keys are resolved by the engine's `Resolver`, the one the CLI uses.

use schemadiff_model::Schema;
use schemadiff_plan::{Mapping, Plan};
use schemadiff_render::RenderOptions;

/// Plans `from` → `to`, then renders every format and reads everything `apply` would read.
/// Checks: the plan is deterministic, the JSON is valid, a plan error has a message.
pub fn plan_and_render(from: &Schema, to: &Schema, mapping: &Mapping) -> Option<Plan> {
    let plan = match schemadiff_plan::plan(from, to, mapping) {
        Ok(p) => p,
        Err(e) => {
            assert!(!e.to_string().is_empty(), "a plan error without a message");
            return None;
        }
    };
    let again =
        schemadiff_plan::plan(from, to, mapping).expect("planned once, fails the second time");
    assert_eq!(plan, again, "the plan is not deterministic");
    let opts = RenderOptions {
        from_label: "from".into(),
        to_label: "to".into(),
        not_managed: None,
    };
    let sql = schemadiff_render::render_sql(&plan, &opts);
    assert_eq!(sql, schemadiff_render::render_sql(&again, &opts));
    let json = schemadiff_render::render_json(&plan, &opts);
    if let Err(e) = serde_json::from_str::<serde_json::Value>(&json) {
        panic!("render_json produced invalid JSON ({e}):\n{json}");
    }
    let _ = schemadiff_render::render_markdown(&plan, &opts);
    let _ = plan.batches();
    let _ = plan.refused(&[]);
    for q in plan.preflight_queries() {
        let _ = q.evaluate(&[]);
    }
    Some(plan)
}
