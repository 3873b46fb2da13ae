//! Enum labels with no ASCII letter or digit (`有効`) have no name-match key; a legacy value
//! spelled exactly like one maps to it, and a plan whose labels are all like that (or an enum
//! with no label at all) still produces valid SQL (issue 9, finding 6). Applied on PostgreSQL.

mod common;

use common::*;
use schemadiff_model::{Column, ColumnType, Enum, PrimaryKey, QualifiedName, Schema, Table};
use schemadiff_plan::{Mapping, PreflightKind};

fn schema(labels: Option<&[&str]>) -> Schema {
    let mut s = Schema::empty();
    let mut t = Table::new(QualifiedName::public("Item"));
    t.columns.push(Column {
        name: "id".into(),
        ty: ColumnType::Integer,
        nullable: false,
        default: None,
    });
    let ty = match labels {
        Some(ls) => {
            let e = QualifiedName::public("State");
            s.add_enum(Enum {
                name: e.clone(),
                values: ls.iter().map(|l| l.to_string()).collect(),
            });
            ColumnType::Enum(e)
        }
        None => ColumnType::Text,
    };
    t.columns.push(Column {
        name: "state".into(),
        ty,
        nullable: true,
        default: None,
    });
    t.primary_key = Some(PrimaryKey {
        name: "Item_pkey".into(),
        columns: vec!["id".into()],
    });
    s.add_table(t);
    s
}

/// Casts `state` text → enum over `rows`, runs the pre-flight and the script, returns the
/// values after (by id), or the server's error.
fn run(labels: &[&str], rows: &[&str]) -> Result<Vec<Option<String>>, String> {
    let (from, to) = (schema(None), schema(Some(labels)));
    let (plan, sql) = server_script(&from, &to, &Mapping::empty());
    assert!(!sql.contains("CASE END"), "{sql}");
    let db = create_db("enum_no_ascii", &from);
    if !rows.is_empty() {
        let values: Vec<String> = rows
            .iter()
            .enumerate()
            .map(|(i, v)| format!("({i}, {v})"))
            .collect();
        db.execute(&format!(
            "INSERT INTO \"Item\" VALUES {}",
            values.join(", ")
        ));
    }
    for q in plan.preflight_queries() {
        let out = q.evaluate(&db.rows(&q.sql));
        if q.kind == PreflightKind::EnumMapping && out.blocking {
            return Err(format!("pre-flight blocks: {}", out.summary));
        }
    }
    db.try_execute(&sql)?;
    Ok(db
        .rows("SELECT state::text FROM \"Item\" ORDER BY id")
        .into_iter()
        .map(|r| r[0].clone())
        .collect())
}

#[test]
fn labels_without_ascii_letters_match_their_exact_spelling() {
    let got = run(&["有効", "無効"], &["'有効'", "'無効'", "NULL", "'有効'"]).expect("applies");
    assert_eq!(
        got,
        vec![
            Some("有効".to_string()),
            Some("無効".to_string()),
            None,
            Some("有効".to_string())
        ]
    );
}

#[test]
fn mixed_labels_keep_the_name_match() {
    let got = run(&["有効", "ACTIVE", "-"], &["'有効'", "'active'", "'-'"]).expect("applies");
    assert_eq!(
        got,
        vec![
            Some("有効".to_string()),
            Some("ACTIVE".to_string()),
            Some("-".to_string())
        ]
    );
}

#[test]
fn other_spellings_of_a_label_without_ascii_are_unmapped() {
    // `有効 ` (trailing space) is not the label and has no name match: the guard stops it.
    let err = run(&["有効", "無効"], &["'有効 '"]).expect_err("must stop");
    assert!(err.contains("'有効 '"), "{err}");
}

#[test]
fn an_enum_without_labels_gives_valid_sql() {
    assert_eq!(
        run(&[], &[]).expect("applies"),
        Vec::<Option<String>>::new()
    );
}
