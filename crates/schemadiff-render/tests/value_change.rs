//! Casts that can change or lose a value carry a hazard that refuses the plan unless allowed,
//! and the pre-flight counts, on the real data, the rows the cast would change (issue 9,
//! finding 4). Each case: a table with one column of the old type holding chosen values, the
//! plan to the new type, its hazard, and the pre-flight count run on PostgreSQL.

mod common;

use common::*;
use schemadiff_model::{Column, ColumnType, PrimaryKey, QualifiedName, Schema, Table};
use schemadiff_plan::{Mapping, PreflightKind};

fn schema(ty: ColumnType) -> Schema {
    let mut s = Schema::empty();
    let mut t = Table::new(QualifiedName::public("T"));
    t.columns.push(Column {
        name: "id".into(),
        ty: ColumnType::Integer,
        nullable: false,
        default: None,
    });
    t.columns.push(Column {
        name: "v".into(),
        ty,
        nullable: true,
        default: None,
    });
    t.primary_key = Some(PrimaryKey {
        name: "T_pkey".into(),
        columns: vec!["id".into()],
    });
    s.add_table(t);
    s
}

/// Plans `from` → `to` over `values` (SQL literals, `NULL` allowed) and checks the hazard
/// `code` (refusing until allowed, `loses_data` as given) and the pre-flight count.
#[track_caller]
fn case(
    from: ColumnType,
    to: ColumnType,
    values: &[&str],
    code: &str,
    loses_data: bool,
    changed: u64,
) {
    let (f, t) = (schema(from.clone()), schema(to.clone()));
    let (plan, _) = server_script(&f, &t, &Mapping::empty());
    let h = plan
        .hazards
        .iter()
        .find(|h| h.code == code)
        .unwrap_or_else(|| panic!("{from} → {to}: no {code} hazard in {:?}", plan.hazards));
    assert!(h.requires_allow, "{code} must refuse the plan: {h:?}");
    assert_eq!(h.loses_data, loses_data, "{h:?}");
    assert!(
        plan.refused(&[]).iter().any(|r| r.code == code),
        "{from} → {to}: not refused"
    );
    assert!(
        plan.refused(&[code.to_string()]).is_empty(),
        "{from} → {to}: still refused with --allow-hazard {code}: {:?}",
        plan.refused(&[code.to_string()])
    );
    let db = create_db("value_change", &f);
    let rows: Vec<String> = values
        .iter()
        .enumerate()
        .map(|(i, v)| format!("({i}, {v})"))
        .collect();
    db.execute(&format!(
        "INSERT INTO \"T\" (id, v) VALUES {}",
        rows.join(", ")
    ));
    let q = plan
        .preflight_queries()
        .into_iter()
        .find(|q| q.kind == PreflightKind::ValueChange)
        .unwrap_or_else(|| panic!("{from} → {to}: no value-change pre-flight"));
    let outcome = q.evaluate(&db.rows(&q.sql));
    assert!(!outcome.blocking, "{outcome:?}");
    let expected = if changed == 0 {
        "no row changes".to_string()
    } else {
        format!("{changed} row(s) would change")
    };
    assert!(
        outcome.summary.contains(&expected),
        "{from} → {to}: expected {expected}, got {}\n{}",
        outcome.summary,
        q.sql
    );
}

#[test]
fn bigint_to_double_rounds_above_2_pow_53() {
    case(
        ColumnType::BigInt,
        ColumnType::DoublePrecision,
        &[
            "1",
            "9007199254740993",
            "9007199254740992",
            "-9223372036854775808",
            "9223372036854775807",
            "NULL",
        ],
        "narrowing-cast",
        true,
        2,
    );
}

#[test]
fn integer_to_real_rounds_above_2_pow_24() {
    case(
        ColumnType::Integer,
        ColumnType::Real,
        &["16777217", "16777216", "5", "NULL"],
        "narrowing-cast",
        true,
        1,
    );
}

#[test]
fn timestamptz_to_timestamp_drops_the_offset() {
    case(
        ColumnType::Timestamptz(None),
        ColumnType::Timestamp(None),
        &["'2024-01-01 10:00+02'", "'2024-06-01 00:00Z'", "NULL"],
        "time-zone-cast",
        true,
        2,
    );
}

#[test]
fn timestamp_to_timestamptz_reads_the_session_zone() {
    case(
        ColumnType::Timestamp(Some(3)),
        ColumnType::Timestamptz(Some(3)),
        &["'2024-01-01 10:00'", "NULL"],
        "time-zone-cast",
        false,
        1,
    );
}

#[test]
fn json_to_jsonb_collapses_duplicate_keys() {
    case(
        ColumnType::Json,
        ColumnType::Jsonb,
        &[
            r#"'{"a":1,"a":2}'"#,
            r#"'{"a": 1}'"#,
            "'[1, 2]'",
            r#"'{"b": 1, "a": 2}'"#,
            "NULL",
        ],
        "json-normalized",
        true,
        2,
    );
}

#[test]
fn float_to_integer_rounds() {
    case(
        ColumnType::DoublePrecision,
        ColumnType::Integer,
        &["1.5", "2", "1e12", "'NaN'", "NULL"],
        "narrowing-cast",
        true,
        3,
    );
}

#[test]
fn double_to_real_rounds_and_overflows() {
    case(
        ColumnType::DoublePrecision,
        ColumnType::Real,
        &["0.1", "0.5", "1e300", "'Infinity'", "NULL"],
        "narrowing-cast",
        true,
        2,
    );
}

#[test]
fn decimal_to_double_rounds_long_values() {
    case(
        ColumnType::Decimal(None),
        ColumnType::DoublePrecision,
        &["0.1", "1.23456789012345678901", "NULL"],
        "narrowing-cast",
        true,
        1,
    );
}

#[test]
fn decimal_scale_and_precision_narrowing() {
    case(
        ColumnType::Decimal(Some((10, 4))),
        ColumnType::Decimal(Some((8, 2))),
        &["1.2345", "1.5", "999999.9999", "NULL"],
        "narrowing-cast",
        true,
        2,
    );
}

#[test]
fn varchar_narrowing_cuts() {
    case(
        ColumnType::VarChar(Some(10)),
        ColumnType::VarChar(Some(3)),
        &["'abcd'", "'abc'", "NULL"],
        "narrowing-cast",
        true,
        1,
    );
}

#[test]
fn text_to_bare_char_is_char_1() {
    case(
        ColumnType::Text,
        ColumnType::Char(None),
        &["'ab'", "'a'"],
        "narrowing-cast",
        true,
        1,
    );
}

#[test]
fn timestamp_precision_narrowing_rounds() {
    case(
        ColumnType::Timestamp(Some(6)),
        ColumnType::Timestamp(Some(3)),
        &["'2024-01-01 00:00:00.123456'", "'2024-01-01 00:00:00.123'"],
        "narrowing-cast",
        true,
        1,
    );
}

#[test]
fn timestamp_to_date_cuts_the_time() {
    case(
        ColumnType::Timestamp(None),
        ColumnType::Date,
        &["'2024-01-01 00:00'", "'2024-01-01 10:00'"],
        "narrowing-cast",
        true,
        1,
    );
}

#[test]
fn exact_casts_carry_no_value_hazard() {
    for (from, to) in [
        (ColumnType::SmallInt, ColumnType::Real),
        (ColumnType::Integer, ColumnType::DoublePrecision),
        (ColumnType::Integer, ColumnType::BigInt),
        (ColumnType::Jsonb, ColumnType::Json),
        (ColumnType::Timestamp(Some(3)), ColumnType::Timestamp(None)),
        (ColumnType::VarChar(Some(3)), ColumnType::Text),
    ] {
        let (plan, _) = script(
            &schema(from.clone()),
            &schema(to.clone()),
            &Mapping::empty(),
        );
        assert!(
            plan.refused(&[]).is_empty(),
            "{from} → {to}: {:?}",
            plan.hazards
        );
        assert!(
            !plan
                .preflight
                .iter()
                .any(|q| q.kind == PreflightKind::ValueChange),
            "{from} → {to}"
        );
    }
}

/// The rendered script, once the hazard is allowed, does what the count said: the values that
/// were counted are the ones that changed.
#[test]
fn the_count_matches_what_the_script_does() {
    let (f, t) = (
        schema(ColumnType::BigInt),
        schema(ColumnType::DoublePrecision),
    );
    let (plan, sql) = server_script(&f, &t, &Mapping::empty());
    let db = create_db("value_change_apply", &f);
    db.execute(
        "INSERT INTO \"T\" VALUES (1, 9007199254740993), (2, 9007199254740992), (3, 7), (4, NULL)",
    );
    let q = plan
        .preflight_queries()
        .into_iter()
        .find(|q| q.kind == PreflightKind::ValueChange)
        .expect("value-change pre-flight");
    assert_eq!(db.rows(&q.sql), vec![vec![Some("1".to_string())]]);
    db.execute("CREATE TABLE before AS SELECT id, v::text AS v FROM \"T\"");
    db.execute(&sql);
    let changed = db.rows(
        "SELECT count(*)::text FROM \"T\" JOIN before USING (id) WHERE \"T\".v::bigint IS DISTINCT FROM before.v::bigint",
    );
    assert_eq!(changed, vec![vec![Some("1".to_string())]]);
}
