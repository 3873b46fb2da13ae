//! Connections against the real server: TLS modes, Prisma URL parameters, and errors that
//! never show the password.

use schemadiff_postgres::{
    ConnectOptions, Error, IntrospectOptions, connect, introspect_with_stats, query_text,
    server_version,
};
use schemadiff_testkit::TestDb;

const SECRET: &str = "hunter2-Secret";

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().unwrap()
}

/// The test database URL with a password, extra parameters, and optionally another port.
fn url_with(db: &TestDb, params: &str) -> String {
    let rest = db.url.split_once("://").unwrap().1;
    let (userhost, path) = rest.split_once('/').unwrap();
    let (user, host) = userhost.split_once('@').unwrap_or(("postgres", userhost));
    let user = user.split(':').next().unwrap();
    let path = path.split('?').next().unwrap();
    format!("postgres://{user}:{SECRET}@{host}/{path}{params}")
}

fn assert_hidden(e: &Error) {
    eprintln!("error text: {e}");
    let shown = format!("{e} {e:?}");
    assert!(!shown.contains(SECRET), "password leaked: {shown}");
    assert!(!shown.contains("hunter2"), "password leaked: {shown}");
}

#[test]
fn unreachable_port_error_hides_password() {
    let url = format!("postgres://someone:{SECRET}@127.0.0.1:1/app?sslmode=disable");
    let opts = ConnectOptions::from_url(&url).unwrap();
    let e = rt().block_on(connect(&opts)).unwrap_err();
    assert_hidden(&e);
    let text = e.to_string();
    assert!(
        text.starts_with("cannot connect to postgres://someone:***@127.0.0.1:1/app"),
        "{text}"
    );
    assert!(text.to_lowercase().contains("refused"), "{text}");
}

#[test]
fn unknown_database_error_hides_password_and_keeps_server_message() {
    let db = TestDb::create("conn_unknown_db");
    let url = url_with(&db, "").replace(&db.name, "no_such_database_schemadiff");
    let e = rt()
        .block_on(connect(&ConnectOptions::from_url(&url).unwrap()))
        .unwrap_err();
    assert_hidden(&e);
    let text = e.to_string();
    assert!(text.contains("does not exist"), "{text}");
    assert!(text.contains("3D000"), "{text}");
}

#[test]
fn bad_password_error_hides_password() {
    // The local server trusts 127.0.0.1, so a wrong password cannot be rejected there. The
    // role below has a password; when the server does check passwords (another
    // SCHEMADIFF_TEST_DATABASE_URL), the connection must fail without showing it.
    let db = TestDb::create("conn_bad_password");
    db.execute("DROP ROLE IF EXISTS schemadiff_pw_test; CREATE ROLE schemadiff_pw_test LOGIN PASSWORD 'right-password'");
    let url = url_with(&db, "");
    let at = url.find('@').unwrap();
    let url = format!("postgres://schemadiff_pw_test:{SECRET}{}", &url[at..]);
    let result = rt().block_on(connect(&ConnectOptions::from_url(&url).unwrap()));
    db.execute("DROP ROLE IF EXISTS schemadiff_pw_test");
    match result {
        Ok(_) => {
            let hba = db.rows("SHOW hba_file");
            eprintln!("server trusts this connection ({hba:?}); auth failure not testable here");
            // Still check the scrubbing: the server echoes the database name, which is the
            // password here.
            let echo = format!("{}/{SECRET}", &url[..url.rfind('/').unwrap()]);
            db.execute("CREATE ROLE schemadiff_pw_test LOGIN PASSWORD 'right-password'");
            let e = rt()
                .block_on(connect(&ConnectOptions::from_url(&echo).unwrap()))
                .unwrap_err();
            db.execute("DROP ROLE IF EXISTS schemadiff_pw_test");
            assert_hidden(&e);
            assert!(
                e.to_string().contains("database \"***\" does not exist"),
                "{e}"
            );
        }
        Err(e) => {
            assert_hidden(&e);
            assert!(
                e.to_string().contains("password authentication failed"),
                "{e}"
            );
        }
    }
}

#[test]
fn tls_modes_and_prisma_parameters() {
    let db = TestDb::create("conn_tls");
    db.execute("CREATE SCHEMA app; CREATE TABLE app.t (id int PRIMARY KEY)");
    let ssl_on = |params: &str| -> Result<String, Error> {
        let opts = ConnectOptions::from_url(&url_with(&db, params))?;
        rt().block_on(async {
            let c = connect(&opts).await?;
            let rows = query_text(
                &c,
                "SELECT ssl::text FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            )
            .await?;
            Ok(rows[0][0].clone().unwrap())
        })
    };
    let server_ssl = db.rows("SHOW ssl")[0][0].clone().unwrap();
    assert_eq!(ssl_on("?sslmode=disable").unwrap(), "false");
    if server_ssl == "on" {
        assert_eq!(ssl_on("?sslmode=require").unwrap(), "true");
        assert_eq!(ssl_on("").unwrap(), "true", "prefer uses TLS when offered");
        // The server's certificate is self-signed: verification must fail, password hidden.
        let e = ssl_on("?sslmode=verify-full").unwrap_err();
        assert_hidden(&e);
        assert!(
            e.to_string().starts_with("cannot connect to postgres://"),
            "{e}"
        );
    } else {
        assert_eq!(
            ssl_on("").unwrap(),
            "false",
            "prefer falls back to plain TCP"
        );
        assert!(ssl_on("?sslmode=require").is_err());
    }
    let e = ssl_on("?sslmode=verify-full&sslrootcert=/nonexistent/root.pem").unwrap_err();
    assert_hidden(&e);
    assert!(e.to_string().contains("sslrootcert"), "{e}");

    // Prisma's parameters are accepted; ?schema= selects what is introspected.
    let opts = ConnectOptions::from_url(&url_with(
        &db,
        "?schema=app&connection_limit=5&pool_timeout=10&sslmode=disable",
    ))
    .unwrap();
    assert_eq!(opts.schemas(), vec!["app"]);
    assert!(!opts.redacted().contains(SECRET));
    let (schema, stats) = rt().block_on(async {
        let c = connect(&opts).await.unwrap();
        assert!(
            server_version(&c)
                .await
                .unwrap()
                .chars()
                .next()
                .unwrap()
                .is_ascii_digit()
        );
        introspect_with_stats(&c, &opts.introspect_options())
            .await
            .unwrap()
    });
    assert_eq!(schema.tables.len(), 1);
    assert!(schema.tables.keys().all(|k| k.schema == "app"));
    assert!(stats.missing_schemas.is_empty());

    // A misspelled schema is reported, not an error.
    let typo = ConnectOptions::from_url(&url_with(&db, "?schema=ap,app&sslmode=disable")).unwrap();
    let (schema, stats) = rt().block_on(async {
        let c = connect(&typo).await.unwrap();
        introspect_with_stats(&c, &IntrospectOptions::for_schemas(typo.schemas()))
            .await
            .unwrap()
    });
    assert_eq!(schema.tables.len(), 1);
    assert_eq!(stats.missing_schemas, vec!["ap".to_string()]);
}

#[test]
fn introspection_cost_does_not_grow_with_tables() {
    let count = |tables: usize| -> (usize, usize) {
        let db = TestDb::create(&format!("cost_{tables}"));
        db.execute("CREATE TYPE e AS ENUM ('a', 'b')");
        for i in 0..tables {
            db.execute(&format!(
                "CREATE TABLE t{i} (id serial PRIMARY KEY, v e NOT NULL DEFAULT 'a', \
                 p int REFERENCES t0 (id) ON DELETE CASCADE, n text UNIQUE); \
                 CREATE INDEX t{i}_v_idx ON t{i} (v, n DESC)"
            ));
        }
        rt().block_on(async {
            let c = connect(&ConnectOptions::from_url(&db.url).unwrap())
                .await
                .unwrap();
            let (schema, stats) = introspect_with_stats(&c, &IntrospectOptions::default())
                .await
                .unwrap();
            (schema.tables.len(), stats.queries)
        })
    };
    let (small_tables, small) = count(3);
    let (big_tables, big) = count(60);
    assert_eq!((small_tables, big_tables), (3, 60));
    assert_eq!(
        small, big,
        "queries must not depend on the number of tables"
    );
    assert!(small <= 8, "introspection used {small} queries");
}
