//! `canonicalize_expressions` against the real server: expressions come back in the form
//! PostgreSQL stores them, rejected ones stay as written, and the database is left untouched.

use schemadiff_model::{Column, ColumnType, DefaultValue, QualifiedName, Schema, Table};
use schemadiff_postgres::{ConnectOptions, canonicalize_expressions, connect};
use schemadiff_testkit::TestDb;

fn table_with(defaults: &[(&str, ColumnType, &str)]) -> Schema {
    let mut t = Table::new(QualifiedName::public("T"));
    for (name, ty, expr) in defaults {
        t.columns.push(Column {
            name: name.to_string(),
            ty: ty.clone(),
            nullable: true,
            default: Some(DefaultValue::Expression(expr.to_string())),
        });
    }
    let mut s = Schema::empty();
    s.add_table(t);
    s
}

fn default_of(s: &Schema, col: &str) -> DefaultValue {
    s.tables[&QualifiedName::public("T")]
        .column(col)
        .unwrap()
        .default
        .clone()
        .unwrap()
}

#[test]
fn expressions_take_the_servers_stored_form() {
    let db = TestDb::create("canonical");
    let before = db.schema_dump();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(check(&db.url));
    assert_eq!(db.schema_dump(), before, "nothing was left behind");
}

async fn check(url: &str) {
    let client = connect(&ConnectOptions::from_url(url).unwrap())
        .await
        .unwrap();
    let mut s = table_with(&[
        ("concat", ColumnType::Text, "'x\\y' || 'q\"uote'"),
        ("uuid", ColumnType::Uuid, "gen_random_uuid()"),
        ("bad", ColumnType::Text, "no_such_function()"),
    ]);
    let changed = canonicalize_expressions(&client, &mut s).await.unwrap();
    assert_eq!(changed, 1);
    assert_eq!(
        default_of(&s, "concat"),
        DefaultValue::Expression("('x\\y'::text || 'q\"uote'::text)".into())
    );
    assert_eq!(
        default_of(&s, "uuid"),
        DefaultValue::Expression("gen_random_uuid()".into())
    );
    assert_eq!(
        default_of(&s, "bad"),
        DefaultValue::Expression("no_such_function()".into())
    );
    // No temporary table survives, and no transaction stays open.
    let rows = schemadiff_postgres::query_text(
        &client,
        "SELECT count(*) FROM pg_class WHERE relname = 'schemadiff_canon'",
    )
    .await
    .unwrap();
    assert_eq!(rows, vec![vec![Some("0".to_string())]]);
    let tx = schemadiff_postgres::query_text(&client, "SELECT now() = statement_timestamp()")
        .await
        .unwrap();
    assert_eq!(
        tx,
        vec![vec![Some("t".to_string())]],
        "no transaction must stay open"
    );
}
