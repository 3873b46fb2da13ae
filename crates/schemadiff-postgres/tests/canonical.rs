//! `canonicalize_expressions` against the real server: a file's expression that the server
//! says is the same as the stored one takes the stored text, other ones stay as written, and
//! nothing in the schema text ever runs (finding 1 of issue 9: a crafted `dbgenerated`
//! expression once committed a `DELETE`).

use schemadiff_model::{Column, ColumnType, DefaultValue, QualifiedName, Schema, Table};
use schemadiff_postgres::{
    ConnectOptions, IntrospectOptions, ReadOnly, canonicalize_expressions, connect, introspect,
};
use schemadiff_testkit::TestDb;

/// The expression from the issue: it closes the statement, commits, deletes, commits.
const CRAFTED: &str = "'x'); COMMIT; DELETE FROM \"Victim\"; COMMIT; BEGIN; SAVEPOINT schemadiff_canon; CREATE TEMP TABLE zz (c text DEFAULT 'y'";

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
fn expressions_take_the_stored_text_when_the_server_says_they_are_the_same() {
    let db = TestDb::create("canonical");
    db.execute(
        "CREATE TABLE \"T\" (\"concat\" text DEFAULT 'x\\y' || 'q\"uote', uuid uuid DEFAULT gen_random_uuid(), \
         other text DEFAULT 'a' || 'b', bad text DEFAULT lower('z'), evil text DEFAULT lower('y'), \
         odd text DEFAULT lower('y')); \
         CREATE TABLE \"Victim\" (id int); INSERT INTO \"Victim\" VALUES (1), (2), (3)",
    );
    let before = db.schema_dump();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(check(&db.url));
    assert_eq!(db.schema_dump(), before, "nothing was left behind");
    assert_eq!(
        db.rows("SELECT count(*)::text FROM \"Victim\"")[0][0].as_deref(),
        Some("3"),
        "the crafted expression must not run"
    );
}

async fn check(url: &str) {
    let client = connect(&ConnectOptions::from_url(url).unwrap())
        .await
        .unwrap();
    let mut s = table_with(&[
        ("concat", ColumnType::Text, "'x\\y' || 'q\"uote'"),
        ("uuid", ColumnType::Uuid, "gen_random_uuid()"),
        ("other", ColumnType::Text, "'a' || 'c'"),
        ("bad", ColumnType::Text, "no_such_function()"),
        ("evil", ColumnType::Text, CRAFTED),
        (
            "odd",
            ColumnType::Other("text DEFAULT 'y'); DELETE FROM \"Victim\"; --".into()),
            "lower('y')",
        ),
    ]);
    let ro = ReadOnly::begin(&client).await.unwrap();
    let live = introspect(ro.client(), &IntrospectOptions::default())
        .await
        .unwrap();
    let changed = canonicalize_expressions(&ro, &mut s, &live).await.unwrap();
    ro.finish().await.unwrap();
    assert_eq!(changed, 1);
    assert_eq!(
        default_of(&s, "concat"),
        DefaultValue::Expression("('x\\y'::text || 'q\"uote'::text)".into())
    );
    assert_eq!(
        default_of(&s, "uuid"),
        DefaultValue::Expression("gen_random_uuid()".into())
    );
    for (col, expr) in [
        ("other", "'a' || 'c'"),
        ("bad", "no_such_function()"),
        ("evil", CRAFTED),
        ("odd", "lower('y')"),
    ] {
        assert_eq!(
            default_of(&s, col),
            DefaultValue::Expression(expr.into()),
            "{col} stays as written"
        );
    }
    // No transaction stays open, and the session is not read-only for later work.
    let tx = client
        .simple_query(
            "SELECT now() = statement_timestamp(), current_setting('transaction_read_only')",
        )
        .await
        .unwrap();
    let row = tx
        .iter()
        .find_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(r) => {
                Some((r.get(0).map(str::to_string), r.get(1).map(str::to_string)))
            }
            _ => None,
        })
        .unwrap();
    assert_eq!(
        row,
        (Some("t".to_string()), Some("off".to_string())),
        "no transaction must stay open"
    );
}

/// Several statements in one string are refused by the server, never run.
#[test]
fn query_text_runs_one_statement_only() {
    let db = TestDb::create("one_statement");
    db.execute("CREATE TABLE \"Victim\" (id int); INSERT INTO \"Victim\" VALUES (1)");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let client = connect(&ConnectOptions::from_url(&db.url).unwrap())
            .await
            .unwrap();
        let e = schemadiff_postgres::query_text(&client, "SELECT 1; DELETE FROM \"Victim\"")
            .await
            .unwrap_err();
        assert!(e.to_string().contains("multiple commands"), "{e}");
        // Inside a read-only transaction a write is refused by the server.
        let ro = ReadOnly::begin(&client).await.unwrap();
        let e = ro
            .query_text("DELETE FROM \"Victim\" RETURNING id")
            .await
            .unwrap_err();
        assert!(e.to_string().contains("read-only transaction"), "{e}");
        ro.finish().await.unwrap();
        // Values come back as the server prints them, whatever their type.
        let rows = schemadiff_postgres::query_text(
            &client,
            "SELECT true, 1::int2, 2::int8, 'x'::name, 1.50::numeric, '{\"a\":1}'::jsonb, NULL::date, '2024-01-02'::date, 'r'::\"char\"",
        )
        .await
        .unwrap();
        let s = |v: &str| Some(v.to_string());
        assert_eq!(
            rows,
            vec![vec![
                s("t"),
                s("1"),
                s("2"),
                s("x"),
                s("1.50"),
                s("{\"a\": 1}"),
                None,
                s("2024-01-02"),
                s("r")
            ]]
        );
    });
    assert_eq!(
        db.rows("SELECT count(*)::text FROM \"Victim\"")[0][0].as_deref(),
        Some("1")
    );
}
