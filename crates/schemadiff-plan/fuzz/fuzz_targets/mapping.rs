//! Fuzz target: any mapping file, parsed and then used to plan fixed pairs of schemas (the seed
//! upgrade v1.2 → v2.0 and plan fixtures that use renames, fills, JSON strictness and enum
//! remapping), so that key resolution and every "unused key" / unknown-value check run.
//! Never a panic, a hang or unbounded memory; errors are values with a key path.
//! Run with `just fuzz-target mapping 60` (stable toolchain, no sanitizer).
#![no_main]

#[path = "common.rs"]
mod common;

use common::plan_and_render;
use schemadiff::Resolver;
use libfuzzer_sys::fuzz_target;
use schemadiff_dsl::Lowered;
use schemadiff_plan::Mapping;
use std::sync::LazyLock;

macro_rules! pair {
    ($from:literal, $to:literal) => {
        (
            include_str!(concat!("../../../../", $from)),
            include_str!(concat!("../../../../", $to)),
        )
    };
}

static PAIRS: LazyLock<Vec<(Lowered, Lowered)>> = LazyLock::new(|| {
    let sources = [
        pair!("schemas/v1.2.prisma", "schemas/v2.0.prisma"),
        pair!("schemas/v2.0.prisma", "schemas/v1.2.prisma"),
        pair!(
            "fixtures/diff/rename-column-and-cast/from.prisma",
            "fixtures/diff/rename-column-and-cast/to.prisma"
        ),
        pair!(
            "fixtures/diff/rename-table/from.prisma",
            "fixtures/diff/rename-table/to.prisma"
        ),
        pair!(
            "fixtures/diff/nullable-to-required-fill/from.prisma",
            "fixtures/diff/nullable-to-required-fill/to.prisma"
        ),
        pair!(
            "fixtures/diff/string-to-json-strict/from.prisma",
            "fixtures/diff/string-to-json-strict/to.prisma"
        ),
        pair!(
            "fixtures/diff/enum-remove-value-mapped/from.prisma",
            "fixtures/diff/enum-remove-value-mapped/to.prisma"
        ),
        pair!(
            "fixtures/diff/enum-column-change-enum/from.prisma",
            "fixtures/diff/enum-column-change-enum/to.prisma"
        ),
    ];
    sources
        .iter()
        .map(|(from, to)| {
            let from = schemadiff_dsl::load("from.prisma", from);
            let to = schemadiff_dsl::load("to.prisma", to);
            assert!(
                !from.has_errors() && !to.has_errors(),
                "a fixed schema has errors"
            );
            (from, to)
        })
        .collect()
});

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for (from, to) in PAIRS.iter() {
        let names = Resolver {
            maps: vec![&to.names, &from.names],
        };
        match Mapping::parse(&text, &names) {
            Ok(mapping) => {
                let _ = plan_and_render(&from.schema, &to.schema, &mapping);
            }
            Err(e) => assert!(!e.path.is_empty() && !e.message.is_empty(), "{e:?}"),
        }
    }
});
