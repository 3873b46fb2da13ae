//! No text from a name, a label, a default, a legacy value or a source label can end a `--`
//! comment of the rendered script (issue 9, finding 2): whatever such text holds, the script fed
//! to `psql` leaves the database exactly as the library's `apply` of the same plan does.
//!
//! One regression test per carrier of the finding (a `@@map` table name, a `@map` column name,
//! a `map:` index name, an enum value's `@map`, a default, a mapping-file legacy value, and the
//! label of a source), then a property test over arbitrary strings in all of them at once.
//! Models are built by hand: the DSL refuses control characters in names, but a database or a
//! SQL migration can hold them, and the mapping file and defaults take any text.

mod common;

use common::Resolver;
use proptest::prelude::*;
use schemadiff_model::{
    Column, ColumnType, DefaultValue, Enum, Index, IndexColumn, IndexMethod, PrimaryKey,
    QualifiedName, Schema, SortOrder, Table,
};
use schemadiff_plan::{Mapping, Plan, PlanOptions};
use schemadiff_render::{RenderOptions, render_sql};
use schemadiff_testkit::TestDb;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// What the case puts where.
#[derive(Debug, Clone)]
struct Case {
    table: String,
    column: String,
    enum_name: String,
    labels: Vec<String>,
    default: String,
    index: String,
    legacy: Vec<String>,
    source_label: String,
}

fn plain() -> Case {
    Case {
        table: "Account".into(),
        column: "status".into(),
        enum_name: "Status".into(),
        labels: vec!["ACTIVE".into(), "GONE".into()],
        default: "none".into(),
        index: "Account_note_idx".into(),
        legacy: vec!["active".into(), "gone away".into()],
        source_label: "from.prisma".into(),
    }
}

/// Ends a comment under the old renderer (`\n`, a lone `\r`), then runs a statement that is not
/// in the plan; the separators that editors show as line breaks come along.
const PAYLOAD: &str = "x\nCREATE TABLE pwned_nl ();\rCREATE TABLE pwned_cr ();\u{2028}y";

fn col(name: &str, ty: ColumnType, nullable: bool, default: Option<DefaultValue>) -> Column {
    Column {
        name: name.into(),
        ty,
        nullable,
        default,
    }
}

fn schemas(c: &Case) -> (Schema, Schema) {
    let tn = QualifiedName::public(&c.table);
    let base = |status: ColumnType, note: Column| {
        let mut t = Table::new(tn.clone());
        t.columns.push(col("id", ColumnType::Integer, false, None));
        t.columns.push(col(&c.column, status, true, None));
        t.columns.push(note);
        t.primary_key = Some(PrimaryKey {
            name: "pk".into(),
            columns: vec!["id".into()],
        });
        t
    };
    let mut from = Schema::empty();
    from.add_table(base(
        ColumnType::Text,
        col("note", ColumnType::Text, true, None),
    ));
    let en = QualifiedName::public(&c.enum_name);
    let mut to = Schema::empty();
    to.add_enum(Enum {
        name: en.clone(),
        values: c.labels.clone(),
    });
    // `note` becomes required with a default: NULLs take the default (a comment says so).
    let mut t = base(
        ColumnType::Enum(en),
        col(
            "note",
            ColumnType::Text,
            false,
            Some(DefaultValue::String(c.default.clone())),
        ),
    );
    t.indexes.push(Index {
        name: c.index.clone(),
        columns: vec![IndexColumn {
            name: "note".into(),
            sort: SortOrder::Asc,
            opclass: None,
        }],
        unique: false,
        method: IndexMethod::BTree,
    });
    to.add_table(t);
    (from, to)
}

/// A TOML basic string.
fn toml_str(s: &str) -> String {
    let mut out = String::from("\"");
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn mapping(c: &Case) -> Mapping {
    let mut text = format!("[values.{}.{}]\n", toml_str(&c.table), toml_str(&c.column));
    for (i, l) in c.legacy.iter().enumerate() {
        let v = &c.labels[i % c.labels.len()];
        text.push_str(&format!("{} = {}\n", toml_str(l), toml_str(v)));
    }
    Mapping::parse(&text, &Resolver { maps: vec![] })
        .unwrap_or_else(|e| panic!("mapping file: {e}\n{text}"))
}

fn quote_ident(s: &str) -> String {
    schemadiff_render::quote_ident(s)
}

/// `from`, created by the plan from empty, with one row per legacy value and a NULL.
fn seed(db: &TestDb, c: &Case, from: &Schema) {
    let plan =
        schemadiff_plan::plan_with(&Schema::empty(), from, &Mapping::empty(), &server_options())
            .expect("plan from empty");
    db.execute(&render_sql(&plan, &RenderOptions::default()));
    let mut values: Vec<String> = c
        .legacy
        .iter()
        .enumerate()
        .map(|(i, l)| format!("({i}, {}, NULL)", schemadiff_render::quote_literal(l)))
        .collect();
    values.push(format!("({}, NULL, 'kept')", c.legacy.len()));
    db.execute(&format!(
        "INSERT INTO {} VALUES {}",
        quote_ident(&c.table),
        values.join(", ")
    ));
}

fn server_options() -> PlanOptions {
    PlanOptions::for_version(schemadiff_testkit::server_major()).expect("supported server")
}

/// `psql` from `SCHEMADIFF_PG_BIN`, `PATH` or `pg_config --bindir`; a test fails without it.
fn psql() -> PathBuf {
    if let Some(dir) = std::env::var_os("SCHEMADIFF_PG_BIN") {
        let p = PathBuf::from(dir).join("psql");
        if p.exists() {
            return p;
        }
    }
    if Command::new("psql")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        return "psql".into();
    }
    let bindir = Command::new("pg_config")
        .arg("--bindir")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    match bindir {
        Some(d) if PathBuf::from(&d).join("psql").exists() => PathBuf::from(d).join("psql"),
        _ => panic!(
            "psql not found: install PostgreSQL's client (psql on PATH, or pg_config on PATH) or set SCHEMADIFF_PG_BIN to its bin directory"
        ),
    }
}

/// Feeds the script to `psql` as a reviewer would run it, stopping on the first error.
fn run_psql(db: &TestDb, script: &str) -> Result<(), String> {
    use std::io::Write;
    let mut child = Command::new(psql())
        .args([
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-d",
            &db.url,
            "-f",
            "-",
        ])
        .env("PGCLIENTENCODING", "UTF8")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run psql: {e}"))?;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(script.as_bytes())
        .map_err(|e| e.to_string())?;
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "psql failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// The same plan through the library, as `schemadiff apply` runs it.
fn run_library(db: &TestDb, plan: &Plan) -> Result<(), String> {
    let batches = plan.batches();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async {
        let o = schemadiff_postgres::ConnectOptions::resolve(Some(&db.url))?;
        let mut client = schemadiff_postgres::connect(&o).await?;
        schemadiff_postgres::apply(
            &mut client,
            &batches,
            &schemadiff_postgres::ApplyOptions::default(),
            &mut |_| {},
        )
        .await
        .map(|_| ())
    })
    .map_err(|e| e.to_string())
}

/// The catalog and every row of the table.
fn state(db: &TestDb, table: &str) -> (String, Vec<Vec<Option<String>>>) {
    (
        db.schema_dump(),
        db.rows(&format!(
            "SELECT row_to_json(t)::text FROM {} AS t ORDER BY 1",
            quote_ident(table)
        )),
    )
}

/// Plans, renders, applies the script with psql and the plan with the library on two copies of
/// the same database, and compares them.
fn check(c: &Case) -> Result<(), String> {
    let (from, to) = schemas(c);
    let mapping = mapping(c);
    let plan = schemadiff_plan::plan_with(&from, &to, &mapping, &server_options())
        .map_err(|e| format!("plan failed: {e}"))?;
    let sql = render_sql(
        &plan,
        &RenderOptions {
            from_label: c.source_label.clone(),
            to_label: c.source_label.clone(),
            not_managed: None,
        },
    );
    let (a, b) = (
        TestDb::create("comment_psql"),
        TestDb::create("comment_lib"),
    );
    seed(&a, c, &from);
    seed(&b, c, &from);
    run_psql(&a, &sql).map_err(|e| format!("{e}\n--- script ---\n{sql}"))?;
    run_library(&b, &plan).map_err(|e| format!("library apply failed: {e}"))?;
    let (sa, sb) = (state(&a, &c.table), state(&b, &c.table));
    if sa != sb {
        return Err(format!(
            "psql and the library left different databases\n--- psql ---\n{}\n{:?}\n--- library ---\n{}\n{:?}\n--- script ---\n{sql}",
            sa.0, sa.1, sb.0, sb.1
        ));
    }
    Ok(())
}

fn assert_safe(c: Case) {
    if let Err(e) = check(&c) {
        panic!("{e}");
    }
}

#[test]
fn table_name_cannot_end_a_comment() {
    assert_safe(Case {
        table: format!("t{PAYLOAD}"),
        ..plain()
    });
}

#[test]
fn column_name_cannot_end_a_comment() {
    assert_safe(Case {
        column: format!("c{PAYLOAD}"),
        ..plain()
    });
}

#[test]
fn index_name_cannot_end_a_comment() {
    assert_safe(Case {
        index: format!("i{PAYLOAD}"),
        ..plain()
    });
}

#[test]
fn enum_label_cannot_end_a_comment() {
    assert_safe(Case {
        labels: vec![format!("L{PAYLOAD}"), "GONE".into()],
        ..plain()
    });
}

#[test]
fn default_cannot_end_a_comment() {
    assert_safe(Case {
        default: PAYLOAD.into(),
        ..plain()
    });
}

#[test]
fn legacy_value_cannot_end_a_comment() {
    assert_safe(Case {
        legacy: vec![PAYLOAD.into(), "gone away".into()],
        ..plain()
    });
}

#[test]
fn source_label_cannot_end_a_comment() {
    assert_safe(Case {
        source_label: format!("dir{PAYLOAD}/from.prisma"),
        ..plain()
    });
}

/// Text that stresses the lexers: line breaks of every kind, quotes, backslashes, comment and
/// statement starts, psql's `\` commands and `:variables`, and any other character (NUL
/// excepted: PostgreSQL cannot store it).
fn text(max: usize) -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        3 => any::<char>().prop_map(|c| c.to_string()),
        1 => Just("\n".to_string()),
        1 => Just("\r".to_string()),
        1 => Just("\r\n".to_string()),
        1 => Just("\u{2028}".to_string()),
        1 => Just("\u{85}".to_string()),
        1 => Just("'".to_string()),
        1 => Just("\"".to_string()),
        1 => Just("\\".to_string()),
        1 => Just("--".to_string()),
        1 => Just("/*".to_string()),
        1 => Just("*/".to_string()),
        1 => Just("$sd$".to_string()),
        1 => Just("\\! echo pwned\n".to_string()),
        1 => Just(":x".to_string()),
        1 => Just("\nCREATE TABLE pwned ();\n".to_string()),
    ];
    prop::collection::vec(piece, 0..8).prop_map(move |parts| {
        let mut s = String::new();
        for ch in parts.concat().chars().filter(|&c| c != '\0') {
            if s.len() + ch.len_utf8() > max {
                break;
            }
            s.push(ch);
        }
        s
    })
}

fn case() -> impl Strategy<Value = Case> {
    (
        (text(50), text(50), text(50), text(50)),
        prop::collection::vec(text(50), 1..4),
        text(80),
        prop::collection::vec(text(60), 1..4),
        text(80),
    )
        .prop_map(
            |((table, column, enum_name, index), labels, default, legacy, source_label)| {
                let mut ls: Vec<String> = Vec::new();
                for l in labels {
                    let l = format!("L{l}");
                    if !ls.contains(&l) {
                        ls.push(l);
                    }
                }
                let mut lg: Vec<String> = Vec::new();
                for l in legacy {
                    if !lg.contains(&l) {
                        lg.push(l);
                    }
                }
                Case {
                    // Prefixes keep the names apart: a table and an enum share the type
                    // namespace, a table and an index the relation namespace.
                    table: format!("t{table}"),
                    column: format!("c{column}"),
                    enum_name: format!("e{enum_name}"),
                    labels: ls,
                    default,
                    index: format!("i{index}"),
                    legacy: lg,
                    source_label,
                }
            },
        )
}

proptest! {
    // Each case creates two databases and runs psql: a handful keeps the test to seconds.
    #![proptest_config(ProptestConfig {
        cases: 6,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn psql_and_apply_agree_whatever_the_text(c in case()) {
        let r = check(&c);
        prop_assert!(r.is_ok(), "{}", r.err().unwrap_or_default());
    }
}
