//! Names and legacy values holding `'`, `"` and `\` must not break the SQL, whatever
//! `standard_conforming_strings` says: hand-built models (no DSL), applied on PostgreSQL.

mod common;

use common::*;
use schemadiff_model::{Column, ColumnType, Enum, PrimaryKey, QualifiedName, Schema, Table};
use schemadiff_plan::{DatabaseNames, Mapping};
use schemadiff_testkit::TestDb;

const TABLE: &str = r#"we"ird's \ table"#;
const COLUMN: &str = r#"it's a "val" \"#;
const ENUM: &str = r#"Mo"od's \"#;

fn schema(enum_col: bool) -> Schema {
    let mut s = Schema::empty();
    let mut t = Table::new(QualifiedName::public(TABLE));
    t.columns.push(Column {
        name: "id".into(),
        ty: ColumnType::Integer,
        nullable: false,
        default: None,
    });
    let ty = if enum_col {
        ColumnType::Enum(QualifiedName::public(ENUM))
    } else {
        ColumnType::Text
    };
    t.columns.push(Column {
        name: COLUMN.into(),
        ty,
        nullable: true,
        default: None,
    });
    t.primary_key = Some(PrimaryKey {
        name: format!("{TABLE}_pkey"),
        columns: vec!["id".into()],
    });
    s.add_table(t);
    if enum_col {
        s.add_enum(Enum {
            name: QualifiedName::public(ENUM),
            values: vec![r#"HA'P"PY\"#.into(), "SAD".into()],
        });
    }
    s
}

fn run(db: &TestDb, prefix: &str) {
    let from = schema(false);
    let to = schema(true);
    let (_, create) = server_script(&Schema::empty(), &from, &Mapping::empty());
    db.execute(&format!("{prefix}{create}"));
    db.execute(&format!(
        "{prefix}INSERT INTO \"we\"\"ird's \\ table\" VALUES (1, 'it''s'), (2, 'say \"hi\"'), (3, E'back\\\\slash'), (4, 'sad'), (5, NULL)"
    ));
    let q = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
    let happy = r#"HA'P"PY\"#;
    let toml = format!(
        "[values.{}.{}]\n{} = {}\n{} = {}\n{} = \"SAD\"\n",
        q(TABLE),
        q(COLUMN),
        q("it's"),
        q(happy),
        q("say \"hi\""),
        q(happy),
        q("back\\slash")
    );
    let mapping = Mapping::parse(&toml, &DatabaseNames).expect("mapping");
    let (plan, sql) = server_script(&from, &to, &mapping);
    assert_parses(&plan);
    db.execute(&format!("{prefix}{sql}"));
    let rows = db.rows(
        "SELECT id, \"it's a \"\"val\"\" \\\"::text FROM \"we\"\"ird's \\ table\" ORDER BY id",
    );
    let got: Vec<Option<String>> = rows.into_iter().map(|r| r[1].clone()).collect();
    let happy = Some(r#"HA'P"PY\"#.to_string());
    assert_eq!(
        got,
        vec![
            happy.clone(),
            happy,
            Some("SAD".into()),
            Some("SAD".into()),
            None
        ]
    );
    let fresh = TestDb::create("quoting_fresh");
    let (_, create_to) = server_script(&Schema::empty(), &to, &Mapping::empty());
    fresh.execute(&create_to);
    assert_eq!(db.schema_dump(), fresh.schema_dump());
}

#[test]
fn weird_names_and_values_with_standard_conforming_strings_on() {
    run(
        &TestDb::create("quoting_on"),
        "SET standard_conforming_strings = on;\n",
    );
}

#[test]
fn weird_names_and_values_with_standard_conforming_strings_off() {
    run(
        &TestDb::create("quoting_off"),
        "SET standard_conforming_strings = off;\n",
    );
}

#[test]
fn guard_names_an_unmapped_weird_value() {
    let db = TestDb::create("quoting_guard");
    let from = schema(false);
    let (_, create) = server_script(&Schema::empty(), &from, &Mapping::empty());
    db.execute(&create);
    db.execute("INSERT INTO \"we\"\"ird's \\ table\" VALUES (1, E'o''dd\\\\ \"x\" 100%')");
    let (_, sql) = server_script(&from, &schema(true), &Mapping::empty());
    let err = db.try_execute(&sql).expect_err("unmapped value");
    assert!(
        err.contains(r#"'o''dd\ "x" 100%'"#) || err.contains(r#"E'o''dd\\ "x" 100%'"#),
        "{err}"
    );
    assert!(err.contains(TABLE) && err.contains(COLUMN), "{err}");
}
