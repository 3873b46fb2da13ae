//! Failure injection for `apply`: the seed upgrade fails at each step in turn (a statement that
//! raises is inserted right after step k), and every time the database is left exactly as it
//! was — catalog and rows.

mod common;
use common::{database_from, snapshot};
use schemadiff_postgres::{ApplyOptions, ConnectOptions, SqlBatch, SqlStatement};
use schemadiff_testkit::workspace_root;

fn seed_batches() -> Vec<SqlBatch> {
    let read = |p: &str| std::fs::read_to_string(workspace_root().join(p)).unwrap();
    let from = schemadiff_dsl::load("v1.2.prisma", &read("schemas/v1.2.prisma"));
    let to = schemadiff_dsl::load("v2.0.prisma", &read("schemas/v2.0.prisma"));
    let resolver = schemadiff::Resolver {
        maps: vec![&to.names, &from.names],
    };
    let mapping =
        schemadiff_plan::Mapping::parse(&read("schemas/v1.2-to-v2.0.toml"), &resolver).unwrap();
    let plan = schemadiff_plan::plan(&from.schema, &to.schema, &mapping).unwrap();
    schemadiff::batches(&plan)
}

#[test]
fn a_failure_at_any_step_leaves_the_database_as_it_was() {
    let batches = seed_batches();
    assert_eq!(batches.len(), 1, "the seed upgrade runs in one transaction");
    let total = batches[0].statements.len();
    assert!(
        total > 30,
        "expected the full seed plan, got {total} statements"
    );
    let db = database_from("failure_injection", "schemas/v1.2.prisma");
    db.execute(
        &std::fs::read_to_string(workspace_root().join("fixtures/seed/legacy-rows.sql")).unwrap(),
    );
    let before = snapshot(&db);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let opts = ConnectOptions::from_url(&db.url).unwrap();
    for k in 0..total {
        let mut broken = batches.clone();
        broken[0].statements.insert(
            k + 1,
            SqlStatement {
                description: format!("injected failure after step {}", k + 1),
                sql: "SELECT 1/0".into(),
            },
        );
        let result = rt.block_on(async {
            let mut client = schemadiff_postgres::connect(&opts).await.unwrap();
            let iopts = opts.introspect_options();
            schemadiff_postgres::apply_and_verify(
                &mut client,
                &broken,
                &ApplyOptions::default(),
                &iopts,
                &mut |_| {},
                |_| Ok(()),
            )
            .await
        });
        let err = result.expect_err("the injected statement must fail the apply");
        assert!(
            err.to_string().contains("division by zero"),
            "step {k}: {err}"
        );
        assert_eq!(
            snapshot(&db),
            before,
            "a failure after step {} changed the database",
            k + 1
        );
    }
    // And without the injected failure the same batches apply.
    let ok = rt.block_on(async {
        let mut client = schemadiff_postgres::connect(&opts).await.unwrap();
        schemadiff_postgres::apply(&mut client, &batches, &ApplyOptions::default(), &mut |_| {})
            .await
    });
    assert!(ok.is_ok(), "{ok:?}");
    assert_ne!(snapshot(&db), before);
}
