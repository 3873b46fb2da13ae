//! Identifier folding and PostgreSQL's default names for constraints and indexes.
//!
//! Unquoted identifiers fold to lower case (ASCII only, as PostgreSQL does for UTF-8);
//! quoted identifiers keep their case. Default names follow PostgreSQL's own algorithm
//! (`makeObjectName`): `{table}_{columns}_{label}`, where the table and column parts are
//! shortened in turn, the longer one first, until the name fits in 63 bytes, and a counter
//! is appended to the label (`_key1`) when the name is already taken.

use schemadiff_model::QualifiedName;
use sqlparser::ast::{Ident, ObjectName, ObjectNamePart};

/// The database name an identifier denotes.
pub fn ident(i: &Ident) -> String {
    if i.quote_style.is_some() {
        i.value.clone()
    } else {
        i.value.to_ascii_lowercase()
    }
}

/// The folded parts of an object name (`db.schema.name` keeps the last two).
pub fn parts(name: &ObjectName) -> Vec<String> {
    name.0
        .iter()
        .map(|p| match p {
            ObjectNamePart::Identifier(i) => ident(i),
            ObjectNamePart::Function(f) => ident(&f.name),
        })
        .collect()
}

/// Resolves an object name against `default_schema` (the first schema of `search_path`).
pub fn qualified(name: &ObjectName, default_schema: &str) -> QualifiedName {
    let p = parts(name);
    match p.as_slice() {
        [] => QualifiedName::new(default_schema, ""),
        [n] => QualifiedName::new(default_schema, n.clone()),
        [.., s, n] => QualifiedName::new(s.clone(), n.clone()),
    }
}

/// True when the object name carries an explicit schema.
pub fn is_qualified(name: &ObjectName) -> bool {
    name.0.len() > 1
}

pub use schemadiff_model::make_object_name;

/// A default name `{table}_{cols}_{label}` that `taken` does not reject; on a clash the
/// label gets a counter (`key1`, `key2`, …) as PostgreSQL does.
pub fn choose_name(
    table: &str,
    columns: &[String],
    label: &str,
    taken: impl Fn(&str) -> bool,
) -> String {
    let joined = (!columns.is_empty()).then(|| columns.join("_"));
    let mut modlabel = label.to_string();
    let mut pass = 0;
    loop {
        let name = make_object_name(table, joined.as_deref(), &modlabel);
        if !taken(&name) {
            return name;
        }
        pass += 1;
        modlabel = format!("{label}{pass}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_match_postgres() {
        assert_eq!(make_object_name("User", None, "pkey"), "User_pkey");
        assert_eq!(
            make_object_name("User", Some("email"), "key"),
            "User_email_key"
        );
        assert_eq!(
            choose_name("t", &["a".into(), "b".into()], "key", |n| n == "t_a_b_key"),
            "t_a_b_key1"
        );
    }

    #[test]
    fn long_names_shorten_the_longer_part_first() {
        // Checked against PostgreSQL 15: CREATE TABLE with a 40-char table name and a
        // 40-char unique column gives a 63-byte name with both parts cut to 29.
        let t = "t".repeat(40);
        let c = "c".repeat(40);
        let n = make_object_name(&t, Some(&c), "key");
        assert_eq!(n.len(), 63);
        assert_eq!(n, format!("{}_{}_key", "t".repeat(29), "c".repeat(29)));
    }
}
