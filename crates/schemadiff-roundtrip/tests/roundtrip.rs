//! Random round trips on the real PostgreSQL (see docs/testing.md, "Random round trips").
//!
//! `SCHEMADIFF_ROUNDTRIP_CASES` pairs (default 200) starting at seed `SCHEMADIFF_ROUNDTRIP_SEED`
//! (default 1), split over four shards so that the test runner runs them in parallel; and the
//! harness is shown to fail on a changed value, a lost row and a drifted catalog. The committed
//! cases under `fixtures/roundtrip/` are replayed by `tests/committed.rs`.

mod common;

use common::{Input, report, run, settings};
use schemadiff_testkit::TestDb;

const SHARDS: u64 = 4;

fn shard(k: u64) {
    let (start, total) = settings();
    let db = TestDb::create(&format!("roundtrip_{k}"));
    let mut failures = Vec::new();
    let mut ran = 0;
    let (mut steps, mut rows, mut cells) = (0, 0, 0);
    for i in (0..total).filter(|i| i % SHARDS == k) {
        let seed = start + i;
        let input = Input::from_seed(seed);
        ran += 1;
        match run(&db, &input, None) {
            Ok(s) => {
                steps += s.steps;
                rows += s.rows;
                cells += s.cells;
            }
            Err(f) => failures.push(report(&input, Some(seed), &f)),
        }
    }
    eprintln!(
        "shard {k}: {ran} round trip(s), {steps} plan steps, {rows} rows and {cells} values checked"
    );
    assert!(
        total < SHARDS || ran > 0,
        "shard {k} ran no case out of {total}"
    );
    assert!(
        failures.is_empty(),
        "{} of {ran} round trip(s) failed:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn shard_0() {
    shard(0);
}

#[test]
fn shard_1() {
    shard(1);
}

#[test]
fn shard_2() {
    shard(2);
}

#[test]
fn shard_3() {
    shard(3);
}

/// The same seed gives the same case, byte for byte.
#[test]
fn generation_is_deterministic() {
    for seed in [1, 2, 77, 1_000_003] {
        let a = schemadiff_roundtrip::generate(seed);
        let b = schemadiff_roundtrip::generate(seed);
        assert_eq!(
            (&a.from, &a.to, &a.mapping, &a.rows),
            (&b.from, &b.to, &b.mapping, &b.rows)
        );
    }
}

/// A seed whose case has rows in a table that survives with a column kept as it was.
fn case_with_kept_values() -> (Input, String, String) {
    for seed in 1..500 {
        let input = Input::from_seed(seed);
        let c = schemadiff_roundtrip::generate(seed);
        let kept = c.to_model.tables.values().find_map(|t| {
            let f = c.from_model.tables.get(&t.name)?;
            let col = t.columns.iter().skip(1).find(|col| {
                f.column(&col.name).is_some_and(|fc| fc == *col)
                    && matches!(col.ty, schemadiff_model::ColumnType::Integer)
            })?;
            Some((t.name.name.clone(), col.name.clone()))
        });
        if let Some((t, col)) = kept {
            return (input, t, col);
        }
    }
    panic!("no seed below 500 has a kept integer column");
}

fn expect_failure(after: &str, what: &str) {
    let (input, _, _) = case_with_kept_values();
    let db = TestDb::create("roundtrip_harness");
    run(&db, &input, None).unwrap_or_else(|f| {
        panic!(
            "the unmodified case must pass first:\n{}",
            report(&input, None, &f)
        )
    });
    match run(&db, &input, Some(after)) {
        Ok(_) => panic!("the harness did not notice {what} ({after})"),
        Err(f) => assert!(
            f.message.contains(match what {
                "a changed value" => "first differing row",
                "a lost row" => "rows lost",
                _ => "drift",
            }),
            "the harness noticed {what} with the wrong message: {}",
            f.message
        ),
    }
}

#[test]
fn harness_detects_a_changed_value() {
    let (_, t, col) = case_with_kept_values();
    expect_failure(
        &format!(
            "UPDATE \"public\".\"{t}\" SET \"{col}\" = COALESCE(\"{col}\", 0) + 1 WHERE id = (SELECT min(id) FROM \"public\".\"{t}\")"
        ),
        "a changed value",
    );
}

#[test]
fn harness_detects_a_lost_row() {
    let (_, t, _) = case_with_kept_values();
    expect_failure(
        &format!(
            "SET session_replication_role = replica; DELETE FROM \"public\".\"{t}\" WHERE id = (SELECT max(id) FROM \"public\".\"{t}\")"
        ),
        "a lost row",
    );
}

#[test]
fn harness_detects_drift() {
    let (_, t, _) = case_with_kept_values();
    expect_failure(
        &format!("ALTER TABLE \"public\".\"{t}\" ADD COLUMN \"sneaky\" integer"),
        "drift",
    );
}
