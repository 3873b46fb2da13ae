//! Fuzz target: the whole file path of `schemadiff plan` on fuzzed input for BOTH sides:
//! load → (mapping) → plan → render SQL, JSON and Markdown.
//!
//! An input is `FROM`, a line `%%`, `TO`, and optionally another line `%%` and a mapping file.
//! Checks besides "no panic, no hang": planning is deterministic and the JSON is valid; a
//! schema planned against itself gives an empty plan.
//! Run with `just fuzz-target pipeline 60` (stable toolchain, no sanitizer).
#![no_main]

#[path = "common.rs"]
mod common;

use common::plan_and_render;
use schemadiff::Resolver;
use libfuzzer_sys::fuzz_target;
use schemadiff_plan::Mapping;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(3, "\n%%\n");
    let (Some(from), Some(to)) = (parts.next(), parts.next()) else {
        return;
    };
    let mapping = parts.next();
    let from = schemadiff_dsl::load("from.prisma", from);
    let to = schemadiff_dsl::load("to.prisma", to);
    // The CLI refuses to plan a file with errors; that path is the DSL target's.
    if from.has_errors() || to.has_errors() {
        return;
    }
    for side in [&from, &to] {
        match plan_and_render(&side.schema, &side.schema, &Mapping::empty()) {
            Some(p) => assert!(
                p.is_empty(),
                "a schema planned against itself: {:#?}",
                p.steps
            ),
            None => panic!("a schema cannot be planned against itself"),
        }
    }
    let mapping = match mapping {
        None => Mapping::empty(),
        Some(m) => match Mapping::parse(m, &Resolver {
            maps: vec![&to.names, &from.names],
        }) {
            Ok(m) => m,
            Err(_) => return,
        },
    };
    let _ = plan_and_render(&from.schema, &to.schema, &mapping);
});
