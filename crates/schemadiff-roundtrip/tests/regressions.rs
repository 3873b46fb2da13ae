//! Minimized shapes the random round trips found, kept as plain regression tests.

use schemadiff_plan::{DatabaseNames, Mapping};

fn dsl(text: &str) -> schemadiff_model::Schema {
    let l = schemadiff_dsl::load("inline.prisma", text);
    assert!(!l.has_errors(), "{:?}", l.diagnostics);
    l.schema
}

fn plan_error(from: &str, to: &str, mapping: &str) -> String {
    let m = Mapping::parse(mapping, &DatabaseNames).expect("mapping parses");
    match schemadiff_plan::plan(&dsl(from), &dsl(to), &m) {
        Ok(p) => panic!(
            "the plan was made, but a declared rename cannot be applied:\n{}",
            schemadiff_render::render_sql(
                &p,
                &schemadiff_render::RenderOptions::labels("from", "to")
            )
        ),
        Err(e) => e.to_string(),
    }
}

/// Seed 1 (first run): two columns swap names. The renames were silently skipped (the new name
/// was taken), so the plan cast each column into the other's type (`text → inet`, values in
/// the wrong column once allowed). Now an error naming the key.
#[test]
fn swapped_column_names_are_refused_not_ignored() {
    let e = plan_error(
        "model T {\n  id Int @id\n  a  String\n  b  Int\n}\n",
        "model T {\n  id Int @id\n  b  String\n  a  Int\n}\n",
        "[renames.columns.T]\na = \"b\"\nb = \"a\"\n",
    );
    assert!(
        e.contains("renames.columns.T.") && e.contains("already exists in the source"),
        "{e}"
    );
}

/// Seed 1 as well: two tables swap names; the renames were skipped and each table was altered
/// into the other (a required column "added" to a table with rows).
#[test]
fn swapped_table_names_are_refused_not_ignored() {
    let e = plan_error(
        "model A {\n  id Int @id\n  x  String\n}\n\nmodel B {\n  id Int @id\n  y  Int\n}\n",
        "model B {\n  id Int @id\n  x  String\n}\n\nmodel A {\n  id Int @id\n  y  Int\n}\n",
        "[renames.tables]\nA = \"B\"\nB = \"A\"\n",
    );
    assert!(
        e.contains("renames.tables.A") && e.contains("already exists in the source"),
        "{e}"
    );
}

/// A chain (A → B while B → C): whether it worked depended on the names' sort order.
#[test]
fn chained_table_renames_are_refused() {
    let e = plan_error(
        "model A {\n  id Int @id\n}\n\nmodel B {\n  id Int @id\n}\n",
        "model B {\n  id Int @id\n}\n\nmodel C {\n  id Int @id\n}\n",
        "[renames.tables]\nA = \"B\"\nB = \"C\"\n",
    );
    assert!(e.contains("already exists in the source"), "{e}");
}

/// A column rename naming a column that does not exist was ignored without a word, against
/// docs/mapping.md ("every key must be used by the plan").
#[test]
fn renaming_a_missing_column_is_an_error() {
    let e = plan_error(
        "model T {\n  id Int @id\n  a  String\n}\n",
        "model T {\n  id Int @id\n  a  String\n}\n",
        "[renames.columns.T]\nnope = \"a\"\n",
    );
    assert!(
        e.contains("renames.columns.T.nope") && e.contains("not in the source"),
        "{e}"
    );
}

/// The supported shapes still plan: a rename plus a new column under the old name.
#[test]
fn rename_and_reuse_of_the_old_name_plans() {
    let m = Mapping::parse("[renames.columns.T]\na = \"b\"\n", &DatabaseNames).unwrap();
    let p = schemadiff_plan::plan(
        &dsl("model T {\n  id Int @id\n  a  String\n}\n"),
        &dsl("model T {\n  id Int @id\n  b  String\n  a  Int?\n}\n"),
        &m,
    )
    .expect("plan");
    let kinds: Vec<&str> = p.steps.iter().map(|s| s.kind.as_str()).collect();
    assert!(kinds.contains(&"rename-column"), "{kinds:?}");
}

/// Seeds 9093, 9109, 9160, 9180: a unique index on a renamed table or column. Its pre-flight
/// (duplicate keys) ran before the plan but named the new table and columns, so `schemadiff
/// apply` failed with "column does not exist" before doing anything. Now it reads the old names
/// and still finds the duplicates.
#[test]
fn duplicate_key_preflight_reads_the_names_before_the_renames() {
    let from = dsl("model T {\n  id Int @id\n  a  String\n}\n");
    let to = dsl("model U {\n  id Int @id\n  b  String @unique\n}\n");
    let m = Mapping::parse(
        "[renames.tables]\nT = \"U\"\n[renames.columns.U]\na = \"b\"\n",
        &DatabaseNames,
    )
    .unwrap();
    let plan = schemadiff_plan::plan(&from, &to, &m).expect("plan");
    let opts = schemadiff_render::RenderOptions {
        from_label: "from".into(),
        to_label: "to".into(),
        not_managed: None,
    };
    let db = schemadiff_testkit::TestDb::create("regression_preflight");
    let create =
        schemadiff_plan::plan(&schemadiff_model::Schema::empty(), &from, &Mapping::empty())
            .expect("create");
    db.execute(&schemadiff_render::render_sql(&create, &opts));
    db.execute("INSERT INTO \"T\" VALUES (1, 'x'), (2, 'x'), (3, 'y')");
    let queries: Vec<_> = plan
        .preflight_queries()
        .into_iter()
        .filter(|q| q.kind == schemadiff_plan::PreflightKind::Duplicates)
        .collect();
    assert_eq!(queries.len(), 1, "{queries:?}");
    // Panics with the server's message when the query names what does not exist yet.
    let rows = db.rows(&queries[0].sql);
    let outcome = queries[0].evaluate(&rows);
    assert!(outcome.blocking, "{outcome:?}");
    assert!(
        outcome.lines.iter().any(|l| l.contains("'x'")),
        "{outcome:?}"
    );
}
