//! Statement text of online mode: small functions, one per statement, so the text can follow
//! the plan crate's DDL helpers as they change.

use crate::sqltext::{dollar_tag, qname, quote_ident, quote_literal, sql_type};
use schemadiff_model::{ColumnType, QualifiedName};

/// The namespace of online mode's state (progress, unmapped values, triggers, helper).
pub const STATE_SCHEMA: &str = "schemadiff";

/// The permanent JSON helper that triggers call (a `pg_temp` function does not outlive the
/// session that created it).
pub const ONLINE_JSON_HELPER: &str = "\"schemadiff\".\"text_to_jsonb\"";

/// The state tables: progress of each backfill and the unmapped values met.
pub fn create_state() -> Vec<String> {
    vec![
        format!("CREATE SCHEMA IF NOT EXISTS {}", quote_ident(STATE_SCHEMA)),
        format!(
            "CREATE TABLE IF NOT EXISTS {}.\"online_progress\" (\"table_name\" TEXT PRIMARY KEY, \"last_key\" TEXT, \"rows_done\" BIGINT NOT NULL DEFAULT 0, \"done\" BOOLEAN NOT NULL DEFAULT false)",
            quote_ident(STATE_SCHEMA)
        ),
        format!(
            "CREATE TABLE IF NOT EXISTS {}.\"online_unmapped\" (\"table_name\" TEXT NOT NULL, \"column_name\" TEXT NOT NULL, \"value\" TEXT NOT NULL, PRIMARY KEY (\"table_name\", \"column_name\", \"value\"))",
            quote_ident(STATE_SCHEMA)
        ),
    ]
}

/// `INSERT` of a table's progress row (nothing when it is there already).
pub fn init_progress(table: &QualifiedName) -> String {
    format!(
        "INSERT INTO \"schemadiff\".\"online_progress\" (\"table_name\") VALUES ({}) ON CONFLICT DO NOTHING",
        quote_literal(&table.to_string())
    )
}

/// The helper that parses text as JSON and keeps other text as a JSON string, under a name that
/// outlives the session (the offline helper's body).
pub fn json_helper(offline_helper_sql: &str, offline_name: &str) -> String {
    offline_helper_sql.replacen(offline_name, ONLINE_JSON_HELPER, 1)
}

/// `ALTER TABLE … ADD COLUMN "shadow" TYPE` (nullable, no default: no rewrite).
pub fn add_shadow(table: &QualifiedName, shadow: &str, ty: &ColumnType) -> String {
    format!(
        "ALTER TABLE {} ADD COLUMN IF NOT EXISTS {} {}",
        qname(table),
        quote_ident(shadow),
        sql_type(ty)
    )
}

/// One column the trigger keeps in sync: shadow, source column, conversion over the source
/// column's quoted name, and whether an unmapped value is recorded.
#[derive(Debug, Clone)]
pub struct SyncColumn {
    /// Source column.
    pub column: String,
    /// Shadow column.
    pub shadow: String,
    /// Conversion over `quote_ident(column)`.
    pub conversion: String,
    /// True when a non-NULL source value can convert to NULL (an unmapped value).
    pub can_be_unmapped: bool,
}

/// The trigger function: every insert and update sets each shadow column from its source
/// column with the conversion the backfill uses, and records values that map to nothing
/// (the write itself succeeds; the switch stops on them); and gives each column of `fills`
/// (column, value) its value when the write leaves it NULL.
pub fn sync_function(
    function: &QualifiedName,
    table: &QualifiedName,
    cols: &[SyncColumn],
    fills: &[(String, String)],
) -> String {
    let mut body = String::from("\nBEGIN\n");
    for (column, value) in fills {
        body.push_str(&format!(
            "  IF NEW.{col} IS NULL THEN\n    NEW.{col} := {value};\n  END IF;\n",
            col = quote_ident(column)
        ));
    }
    for c in cols {
        // An update that leaves the column alone keeps a shadow already set (by the backfill's
        // own UPDATE, which set it with the same conversion): no second conversion per row.
        body.push_str(&format!(
            "  IF TG_OP = 'INSERT' OR NEW.{col} IS DISTINCT FROM OLD.{col} OR NEW.{shadow} IS NULL THEN\n    NEW.{shadow} := (SELECT {conv} FROM (SELECT NEW.{col}) AS s({col}));\n  END IF;\n",
            shadow = quote_ident(&c.shadow),
            conv = c.conversion,
            col = quote_ident(&c.column)
        ));
        if c.can_be_unmapped {
            body.push_str(&format!(
                "  IF NEW.{col} IS NOT NULL AND NEW.{shadow} IS NULL THEN\n    INSERT INTO \"schemadiff\".\"online_unmapped\" VALUES ({t}, {c}, NEW.{col}::text) ON CONFLICT DO NOTHING;\n  END IF;\n",
                col = quote_ident(&c.column),
                shadow = quote_ident(&c.shadow),
                t = quote_literal(&table.to_string()),
                c = quote_literal(&c.column)
            ));
        }
    }
    body.push_str("  RETURN NEW;\nEND\n");
    let tag = dollar_tag(&body);
    format!(
        "CREATE OR REPLACE FUNCTION {}() RETURNS trigger LANGUAGE plpgsql AS {tag}{body}{tag}",
        qname(function)
    )
}

/// The trigger name on every online table.
pub const TRIGGER: &str = "_sd_online_sync";

/// `CREATE TRIGGER` (dropped first when a previous run left it).
pub fn create_trigger(table: &QualifiedName, function: &QualifiedName) -> Vec<String> {
    vec![
        format!(
            "DROP TRIGGER IF EXISTS {} ON {}",
            quote_ident(TRIGGER),
            qname(table)
        ),
        format!(
            "CREATE TRIGGER {} BEFORE INSERT OR UPDATE ON {} FOR EACH ROW EXECUTE FUNCTION {}()",
            quote_ident(TRIGGER),
            qname(table),
            qname(function)
        ),
    ]
}

/// `DROP TRIGGER`.
pub fn drop_trigger(table: &QualifiedName) -> String {
    format!(
        "DROP TRIGGER IF EXISTS {} ON {}",
        quote_ident(TRIGGER),
        qname(table)
    )
}

/// The two batch statements of a backfill: the first batch (no lower bound) and the next ones
/// (keys above the last one done). Each sets the columns of `sets` (column, expression) of up
/// to `batch` rows in key order, among the rows the condition `only` holds for when given, and
/// records the last key and the row count in the same statement, so an interrupted backfill
/// resumes after the last committed batch.
///
/// A key of one column is stored as its text; a key of several columns as a text array of
/// their texts (`ARRAY[a::text, b::text]::text`), walked with row-value comparison
/// `(a, b) > (…)` and ordered by the key's columns in order.
pub fn backfill_batches(
    table: &QualifiedName,
    key: &[(String, ColumnType)],
    sets: &[(String, String)],
    only: Option<&str>,
    batch: u32,
) -> [String; 2] {
    let t = qname(table);
    let name = quote_literal(&table.to_string());
    let set: Vec<String> = sets
        .iter()
        .map(|(shadow, conv)| format!("{} = {conv}", quote_ident(shadow)))
        .collect();
    let progress = |what: &str| {
        format!(
            "(SELECT {what} FROM \"schemadiff\".\"online_progress\" WHERE \"table_name\" = {name})"
        )
    };
    let cols: Vec<String> = key.iter().map(|(c, _)| quote_ident(c)).collect();
    // `sel` selects and orders; `cmp` compares (a column, or a row value of several).
    let sel = cols.join(", ");
    let cmp = key_row(key);
    let bound = format!(
        " WHERE {cmp} > {}",
        progress(&stored_key(key, "\"last_key\""))
    );
    let last = match key {
        [_] => format!("(SELECT max({sel})::text FROM u)"),
        _ => {
            let texts: Vec<String> = cols.iter().map(|c| format!("{c}::text")).collect();
            let desc: Vec<String> = cols.iter().map(|c| format!("{c} DESC")).collect();
            format!(
                "(SELECT ARRAY[{}]::text FROM u ORDER BY {} LIMIT 1)",
                texts.join(", "),
                desc.join(", ")
            )
        }
    };
    // Only the rows `only` holds for, when given (after the key bound).
    let make = |bound: &str| {
        let bound = match (only, bound.is_empty()) {
            (None, _) => bound.to_string(),
            (Some(o), true) => format!(" WHERE ({o})"),
            (Some(o), false) => format!("{bound} AND ({o})"),
        };
        format!(
            "WITH b AS (SELECT {sel} FROM {t}{bound} ORDER BY {sel} LIMIT {batch}),\n     u AS (UPDATE {t} SET {set} WHERE {cmp} IN (SELECT {sel} FROM b) RETURNING {sel})\nUPDATE \"schemadiff\".\"online_progress\" SET \"last_key\" = COALESCE({last}, \"last_key\"), \"rows_done\" = \"rows_done\" + (SELECT count(*) FROM u), \"done\" = NOT EXISTS (SELECT 1 FROM u) WHERE \"table_name\" = {name} RETURNING (SELECT count(*) FROM u)",
            set = set.join(", ")
        )
    };
    [make(""), make(&bound)]
}

/// The read-back of the batches done between two keys, `$1` (excluded) and `$2` (included),
/// both as the progress row stores them (a key's text, or a text array of a composite key's
/// texts). Run once the batches' commits are on disk, it visits their rows (new versions and
/// the old ones they replaced) while those pages are still in memory: PostgreSQL sets their
/// commit hint bits and prunes the old versions then, on pages the batches already dirtied,
/// instead of in the first scan of the whole table after the backfill (a validation, an index
/// build), which would otherwise dirty every page of the table at once and make the writers'
/// commits queue behind that much disk writing.
pub fn backfill_read_back(table: &QualifiedName, key: &[(String, ColumnType)]) -> String {
    let row = key_row(key);
    let value = |p: &str| match key {
        [_] => stored_key(key, &format!("{p}::text")),
        _ => format!("({})", stored_key(key, &format!("{p}::text"))),
    };
    format!(
        "SELECT count(*) FROM {} WHERE {row} > {} AND {row} <= {}",
        qname(table),
        value("$1"),
        value("$2")
    )
}

/// The key's columns as a backfill compares them: the column, or a row value of several.
fn key_row(key: &[(String, ColumnType)]) -> String {
    let cols: Vec<String> = key.iter().map(|(c, _)| quote_ident(c)).collect();
    match key {
        [_] => cols.join(", "),
        _ => format!("({})", cols.join(", ")),
    }
}

/// A key as the progress row stores it (`text`, an expression of type text) made values of the
/// key's columns' types: the text cast, or each element of the text array cast, comma-separated.
fn stored_key(key: &[(String, ColumnType)], text: &str) -> String {
    match key {
        [(_, ty)] => format!("{text}::{}", sql_type(ty)),
        _ => key
            .iter()
            .enumerate()
            .map(|(i, (_, ty))| format!("({text}::text[])[{}]::{}", i + 1, sql_type(ty)))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// A `DO` block that stops with the table, the column and every value still present that maps
/// to nothing (recorded by the trigger or the backfill, checked against the table).
pub fn unmapped_check(table: &QualifiedName, column: &str, shadow: &str, target: &str) -> String {
    let msg = format!(
        "schemadiff: column {table}.{column} holds values that map to no value of {target}; nothing was switched: "
    )
    .replace('%', "%%")
        + "%";
    let hint = format!(
        "map them in the mapping file under [values.<Model>.<field>] for {table}.{column}, or update those rows, then run apply --online again"
    );
    let body = format!(
        "\nDECLARE bad text;\nBEGIN\n  SELECT string_agg(quote_literal(u.\"value\"), ', ' ORDER BY u.\"value\") INTO bad\n    FROM \"schemadiff\".\"online_unmapped\" AS u\n   WHERE u.\"table_name\" = {tl} AND u.\"column_name\" = {cl}\n     AND EXISTS (SELECT 1 FROM {t} WHERE {c}::text = u.\"value\" AND {s} IS NULL);\n  IF bad IS NOT NULL THEN\n    RAISE EXCEPTION {m}, bad USING HINT = {h};\n  END IF;\nEND\n",
        tl = quote_literal(&table.to_string()),
        cl = quote_literal(column),
        t = qname(table),
        c = quote_ident(column),
        s = quote_ident(shadow),
        m = quote_literal(&msg),
        h = quote_literal(&hint)
    );
    let tag = dollar_tag(&body);
    format!("DO {tag}{body}{tag}")
}

/// A `DO` block that stops, with the table, the column, how many rows and what to do, when
/// `column` holds NULLs (a scan under `ACCESS SHARE`: reads and writes go on).
pub fn nulls_check(table: &QualifiedName, column: &str) -> String {
    let msg = format!("schemadiff: column {table}.{column} becomes NOT NULL and holds ")
        .replace('%', "%%")
        + "% NULL(s) that nothing fills (it has no default and no [fill] value); nothing of it was changed";
    // The hint is an expression, not a format: no `%` is special in it.
    let hint = format!(
        "give those rows of {table} a value of {column}, then run the same apply --online again: it continues here"
    );
    let body = format!(
        "\nDECLARE n bigint;\nBEGIN\n  SELECT count(*) INTO n FROM {t} WHERE {c} IS NULL;\n  IF n > 0 THEN\n    RAISE EXCEPTION {m}, n USING HINT = {h};\n  END IF;\nEND\n",
        t = qname(table),
        c = quote_ident(column),
        m = quote_literal(&msg),
        h = quote_literal(&hint)
    );
    let tag = dollar_tag(&body);
    format!("DO {tag}{body}{tag}")
}

/// `ADD CONSTRAINT … CHECK (a IS NOT NULL AND b IS NOT NULL …) NOT VALID` (no scan; the lock
/// is brief).
pub fn add_not_null_check(table: &QualifiedName, name: &str, columns: &[&str]) -> String {
    let each: Vec<String> = columns
        .iter()
        .map(|c| format!("{} IS NOT NULL", quote_ident(c)))
        .collect();
    format!(
        "ALTER TABLE {} ADD CONSTRAINT {} CHECK ({}) NOT VALID",
        qname(table),
        quote_ident(name),
        each.join(" AND ")
    )
}

/// `VALIDATE CONSTRAINT` (scans under `SHARE UPDATE EXCLUSIVE`: writes go on).
pub fn validate(table: &QualifiedName, name: &str) -> String {
    format!(
        "ALTER TABLE {} VALIDATE CONSTRAINT {}",
        qname(table),
        quote_ident(name)
    )
}

/// `DROP CONSTRAINT IF EXISTS`.
pub fn drop_constraint(table: &QualifiedName, name: &str) -> String {
    format!(
        "ALTER TABLE {} DROP CONSTRAINT IF EXISTS {}",
        qname(table),
        quote_ident(name)
    )
}

/// `CREATE INDEX` made `CREATE INDEX CONCURRENTLY IF NOT EXISTS` (the plan crate's index
/// text; the runner drops an invalid one of that name first).
pub fn concurrently(create_index: &str) -> String {
    if let Some(rest) = create_index.strip_prefix("CREATE UNIQUE INDEX ") {
        format!("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS {rest}")
    } else if let Some(rest) = create_index.strip_prefix("CREATE INDEX ") {
        format!("CREATE INDEX CONCURRENTLY IF NOT EXISTS {rest}")
    } else {
        create_index.to_string()
    }
}

/// `ALTER INDEX … RENAME TO`.
pub fn rename_index(schema: &str, from: &str, to: &str) -> String {
    format!(
        "ALTER INDEX {}.{} RENAME TO {}",
        quote_ident(schema),
        quote_ident(from),
        quote_ident(to)
    )
}

/// `ALTER TABLE … RENAME COLUMN`.
pub fn rename_column(table: &QualifiedName, from: &str, to: &str) -> String {
    format!(
        "ALTER TABLE {} RENAME COLUMN {} TO {}",
        qname(table),
        quote_ident(from),
        quote_ident(to)
    )
}

/// `ALTER TABLE … ALTER COLUMN …` followed by `action` (`DROP DEFAULT`, `SET NOT NULL`…).
pub fn alter_column(table: &QualifiedName, column: &str, action: &str) -> String {
    format!(
        "ALTER TABLE {} ALTER COLUMN {} {action}",
        qname(table),
        quote_ident(column)
    )
}

/// `LOCK TABLE … IN ACCESS EXCLUSIVE MODE` (first, so the switch waits for the lock once,
/// bounded by `lock_timeout`).
pub fn lock_table(table: &QualifiedName) -> String {
    format!("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE", qname(table))
}

/// `ALTER TABLE … DROP COLUMN IF EXISTS`.
pub fn drop_column(table: &QualifiedName, column: &str) -> String {
    format!(
        "ALTER TABLE {} DROP COLUMN IF EXISTS {}",
        qname(table),
        quote_ident(column)
    )
}

/// `DROP TYPE IF EXISTS` of an enum.
pub fn drop_type(name: &QualifiedName) -> String {
    format!("DROP TYPE IF EXISTS {}", qname(name))
}

/// `DROP SCHEMA "schemadiff" CASCADE`: the state, the trigger functions and the helper.
pub fn drop_state() -> String {
    format!(
        "DROP SCHEMA IF EXISTS {} CASCADE",
        quote_ident(STATE_SCHEMA)
    )
}
