//! The mapping file: legacy values → enum values, NULL fills, renames, JSON strictness.
//! Keys are written with DSL model and field names and resolved to database names on parsing
//! (see docs/mapping.md for the format).

use schemadiff_diff::Renames;
use schemadiff_model::QualifiedName;
use std::collections::{BTreeMap, BTreeSet};

/// Resolves mapping-file keys (model and field names) to database names.
pub trait NameResolver {
    /// The table of a model.
    fn table(&self, model: &str) -> Option<QualifiedName>;
    /// The column of a model's field.
    fn column(&self, model: &str, field: &str) -> Option<String>;
}

/// Treats keys as database names in schema `public`.
#[derive(Debug, Clone, Copy, Default)]
pub struct DatabaseNames;

impl NameResolver for DatabaseNames {
    fn table(&self, model: &str) -> Option<QualifiedName> {
        Some(QualifiedName::public(model))
    }
    fn column(&self, _model: &str, field: &str) -> Option<String> {
        Some(field.to_string())
    }
}

/// A table and a column, in database names.
pub type ColumnKey = (QualifiedName, String);

/// The parsed mapping file, keys already in database names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mapping {
    /// `[values.Model.field]`: legacy value → enum value, per column.
    pub values: BTreeMap<ColumnKey, BTreeMap<String, String>>,
    /// `[fill.Model] field = "VALUE"`: what NULLs become when the column turns required (or
    /// what existing rows get in a required column added without a default).
    pub fills: BTreeMap<ColumnKey, String>,
    /// The fills written `field = { sql = "lower(email)" }`: their text in [`Mapping::fills`]
    /// is a SQL expression over the row (checked by [`check_fill_expression`]), not a value.
    pub fill_exprs: BTreeSet<ColumnKey>,
    /// `[renames.tables]` and `[renames.columns.Model]`.
    pub renames: Renames,
    /// `[json] strict = true`: every String → Json cast fails on invalid JSON.
    pub json_strict: bool,
    /// `[json] strict_columns = ["Model.field"]`: those casts fail on invalid JSON.
    pub json_strict_columns: BTreeSet<ColumnKey>,
    /// The file's key path of each column entry (`values.Campaign.platform`), for messages.
    pub key_paths: BTreeMap<ColumnKey, String>,
}

/// A mapping file that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("mapping file: {path}: {message}")]
pub struct MappingError {
    /// The key path (`values.Campaign.platform`) or `(file)`.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

fn err(path: impl Into<String>, message: impl Into<String>) -> MappingError {
    MappingError {
        path: path.into(),
        message: message.into(),
    }
}

/// A key as one segment of a key path: bare when TOML allows it bare, else quoted, so that a
/// path is never empty or ambiguous (`""`, `"a.b"`).
fn seg(key: &str) -> String {
    if !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return key.to_string();
    }
    let mut out = String::from("\"");
    for c in key.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn table_of(v: &toml::Value, path: &str) -> Result<toml::Table, MappingError> {
    v.as_table()
        .cloned()
        .ok_or_else(|| err(path, "expected a table"))
}

/// Checks a `[fill]` SQL expression and returns it trimmed: it must be exactly one SQL
/// expression (parsed with sqlparser's PostgreSQL dialect, nothing left over), with no `;`, no
/// comment and no dollar quote, so that wrapped in parentheses it cannot end the statement it
/// is written into. It is never run on its own: only as part of the reviewed plan script.
pub fn check_fill_expression(text: &str) -> Result<String, String> {
    use sqlparser::dialect::PostgreSqlDialect;
    use sqlparser::parser::Parser;
    use sqlparser::tokenizer::{Token, Tokenizer, Whitespace};
    let expr = text.trim();
    if expr.is_empty() {
        return Err("the SQL expression is empty".into());
    }
    let dialect = PostgreSqlDialect {};
    let tokens = Tokenizer::new(&dialect, expr)
        .tokenize()
        .map_err(|e| format!("not a SQL expression: {e}"))?;
    for t in &tokens {
        let bad = match t {
            Token::SemiColon => Some("`;` (one expression, not statements)"),
            Token::Whitespace(Whitespace::SingleLineComment { .. })
            | Token::Whitespace(Whitespace::MultiLineComment(_)) => Some("a comment"),
            Token::DollarQuotedString(_) => Some("a dollar-quoted string"),
            Token::Placeholder(_) => Some("a placeholder"),
            Token::Word(w)
                if w.quote_style.is_none()
                    && matches!(
                        w.keyword,
                        sqlparser::keywords::Keyword::SELECT | sqlparser::keywords::Keyword::WITH
                    ) =>
            {
                Some("a query (a fill is computed from the row)")
            }
            _ => None,
        };
        if let Some(what) = bad {
            return Err(format!("the SQL expression `{expr}` may not hold {what}"));
        }
    }
    let mut parser = Parser::new(&dialect)
        .try_with_sql(expr)
        .map_err(|e| format!("not a SQL expression: {e}"))?;
    let parsed = parser
        .parse_expr()
        .map_err(|e| format!("`{expr}` is not a SQL expression: {e}"))?;
    if parser.peek_token().token != Token::EOF {
        return Err(format!(
            "`{expr}` is not one SQL expression: it goes on after `{parsed}`"
        ));
    }
    Ok(expr.to_string())
}

fn string_of(v: &toml::Value, path: &str) -> Result<String, MappingError> {
    v.as_str()
        .map(str::to_string)
        .ok_or_else(|| err(path, "expected a string"))
}

impl Mapping {
    /// No mapping at all.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Parses the TOML text, resolving model/field keys with `resolve`.
    pub fn parse(toml_text: &str, resolve: &dyn NameResolver) -> Result<Mapping, MappingError> {
        let root: toml::Table =
            toml::from_str(toml_text).map_err(|e| err("(file)", e.to_string()))?;
        let mut m = Mapping::default();
        for (key, value) in &root {
            match key.as_str() {
                "values" => m.parse_values(value, resolve)?,
                "fill" => m.parse_fill(value, resolve)?,
                "renames" => m.parse_renames(value, resolve)?,
                "json" => m.parse_json(value, resolve)?,
                other => {
                    return Err(err(
                        seg(other),
                        "unknown section (expected `values`, `fill`, `renames` or `json`)",
                    ));
                }
            }
        }
        Ok(m)
    }

    /// `[values.Model.field]`: legacy value → enum value.
    fn parse_values(
        &mut self,
        value: &toml::Value,
        resolve: &dyn NameResolver,
    ) -> Result<(), MappingError> {
        for (model, fields) in table_of(value, "values")? {
            let p = format!("values.{}", seg(&model));
            for (field, entries) in table_of(&fields, &p)? {
                let p = format!("values.{}.{}", seg(&model), seg(&field));
                let k = column_key(resolve, &model, &field, &p)?;
                let mut map = BTreeMap::new();
                for (legacy, v) in table_of(&entries, &p)? {
                    map.insert(legacy.clone(), string_of(&v, &format!("{p}.\"{legacy}\""))?);
                }
                self.key_paths.insert(k.clone(), p);
                self.values.insert(k, map);
            }
        }
        Ok(())
    }

    /// `[fill.Model] field = "VALUE"` or `field = { sql = "EXPRESSION" }`.
    fn parse_fill(
        &mut self,
        value: &toml::Value,
        resolve: &dyn NameResolver,
    ) -> Result<(), MappingError> {
        for (model, fields) in table_of(value, "fill")? {
            let p = format!("fill.{}", seg(&model));
            for (field, v) in table_of(&fields, &p)? {
                let p = format!("fill.{}.{}", seg(&model), seg(&field));
                let k = column_key(resolve, &model, &field, &p)?;
                let expected =
                    "expected a value (\"VALUE\") or a SQL expression ({ sql = \"lower(email)\" })";
                if let Some(t) = v.as_table() {
                    let expr = match (t.len(), t.get("sql")) {
                        (1, Some(e)) => string_of(e, &format!("{p}.sql"))?,
                        _ => return Err(err(&p, expected)),
                    };
                    let checked =
                        check_fill_expression(&expr).map_err(|why| err(format!("{p}.sql"), why))?;
                    self.fill_exprs.insert(k.clone());
                    self.fills.insert(k, checked);
                } else {
                    let value = string_of(&v, &p).map_err(|_| err(&p, expected))?;
                    self.fills.insert(k, value);
                }
            }
        }
        Ok(())
    }

    /// `[renames.tables]` and `[renames.columns.Model]`.
    fn parse_renames(
        &mut self,
        value: &toml::Value,
        resolve: &dyn NameResolver,
    ) -> Result<(), MappingError> {
        for (kind, entries) in table_of(value, "renames")? {
            match kind.as_str() {
                "tables" => self.parse_table_renames(&entries, resolve)?,
                "columns" => self.parse_column_renames(&entries, resolve)?,
                other => {
                    return Err(err(
                        format!("renames.{}", seg(other)),
                        "unknown key (expected `tables` or `columns`)",
                    ));
                }
            }
        }
        Ok(())
    }

    fn parse_table_renames(
        &mut self,
        entries: &toml::Value,
        resolve: &dyn NameResolver,
    ) -> Result<(), MappingError> {
        for (old, new) in table_of(entries, "renames.tables")? {
            let p = format!("renames.tables.{}", seg(&old));
            let new = string_of(&new, &p)?;
            let o = resolve
                .table(&old)
                .ok_or_else(|| err(&p, format!("unknown model `{old}`")))?;
            let n = resolve
                .table(&new)
                .ok_or_else(|| err(&p, format!("unknown model `{new}`")))?;
            self.renames.tables.insert(o, n);
        }
        Ok(())
    }

    fn parse_column_renames(
        &mut self,
        entries: &toml::Value,
        resolve: &dyn NameResolver,
    ) -> Result<(), MappingError> {
        for (model, cols) in table_of(entries, "renames.columns")? {
            let p = format!("renames.columns.{}", seg(&model));
            let t = resolve
                .table(&model)
                .ok_or_else(|| err(&p, format!("unknown model `{model}`")))?;
            for (old, new) in table_of(&cols, &p)? {
                let p = format!("{p}.{}", seg(&old));
                let new = string_of(&new, &p)?;
                let o = resolve.column(&model, &old).unwrap_or(old.clone());
                let n = resolve.column(&model, &new).unwrap_or(new.clone());
                self.renames
                    .columns
                    .entry(t.clone())
                    .or_default()
                    .insert(o, n);
            }
        }
        Ok(())
    }

    /// `[json] strict = bool, strict_columns = ["Model.field"]`.
    fn parse_json(
        &mut self,
        value: &toml::Value,
        resolve: &dyn NameResolver,
    ) -> Result<(), MappingError> {
        for (k, v) in table_of(value, "json")? {
            match k.as_str() {
                "strict" => {
                    self.json_strict = v
                        .as_bool()
                        .ok_or_else(|| err("json.strict", "expected true or false"))?
                }
                "strict_columns" => {
                    let arr = v.as_array().ok_or_else(|| {
                        err(
                            "json.strict_columns",
                            "expected an array of \"Model.field\"",
                        )
                    })?;
                    for item in arr {
                        let s = string_of(item, "json.strict_columns")?;
                        let (model, field) = s.split_once('.').ok_or_else(|| {
                            err(
                                "json.strict_columns",
                                format!("`{s}` is not \"Model.field\""),
                            )
                        })?;
                        let k = column_key(resolve, model, field, "json.strict_columns")?;
                        self.json_strict_columns.insert(k);
                    }
                }
                other => {
                    return Err(err(
                        format!("json.{}", seg(other)),
                        "unknown key (expected `strict` or `strict_columns`)",
                    ));
                }
            }
        }
        Ok(())
    }

    /// The key path naming a column in messages (`values.Campaign.platform`), or `T.c`.
    pub fn path_of(&self, key: &ColumnKey) -> String {
        self.key_paths
            .get(key)
            .cloned()
            .unwrap_or_else(|| format!("{}.{}", key.0, key.1))
    }

    /// True when a String → Json cast of this column must fail on invalid JSON.
    pub fn json_is_strict(&self, key: &ColumnKey) -> bool {
        self.json_strict || self.json_strict_columns.contains(key)
    }
}

/// The database names of `model.field`, or an error at `path` naming what is unknown.
fn column_key(
    resolve: &dyn NameResolver,
    model: &str,
    field: &str,
    path: &str,
) -> Result<ColumnKey, MappingError> {
    let t = resolve
        .table(model)
        .ok_or_else(|| err(path, format!("unknown model `{model}`")))?;
    let c = resolve
        .column(model, field)
        .ok_or_else(|| err(path, format!("unknown field `{model}.{field}`")))?;
    Ok((t, c))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the `mapping` fuzz target: a top-level key `""` gave an error with an empty
    /// key path (`mapping file: : unknown section`).
    #[test]
    fn key_paths_are_never_empty_or_ambiguous() {
        let e = Mapping::parse("\"\" = \"Z\"\n", &DatabaseNames).unwrap_err();
        assert_eq!(e.path, r#""""#);
        assert!(e.message.starts_with("unknown section"), "{e}");
        assert_eq!(
            e.to_string(),
            r#"mapping file: "": unknown section (expected `values`, `fill`, `renames` or `json`)"#
        );
        let e = Mapping::parse("[json]\n\"a.b\" = 1\n", &DatabaseNames).unwrap_err();
        assert_eq!(e.path, r#"json."a.b""#);
        let e = Mapping::parse("[renames.\"x\\\"y\"]\n", &DatabaseNames).unwrap_err();
        assert_eq!(e.path, r#"renames."x\"y""#);
        let m = Mapping::parse(
            "[values.\"My Model\".\"a.b\"]\n\"x\" = \"Y\"\n",
            &DatabaseNames,
        )
        .unwrap();
        let k = (QualifiedName::public("My Model"), "a.b".to_string());
        assert_eq!(m.path_of(&k), r#"values."My Model"."a.b""#);
        assert_eq!(seg("Campaign"), "Campaign");
    }

    #[test]
    fn parses_every_section() {
        let m = Mapping::parse(
            r#"
[values.Campaign.platform]
"google_ads" = "GOOGLE_ADS"
[fill.User]
role = "CLIENT"
[renames.tables]
Old = "New"
[renames.columns.New]
a = "b"
[json]
strict_columns = ["Tenant.settings"]
"#,
            &DatabaseNames,
        )
        .expect("valid");
        let k = (QualifiedName::public("Campaign"), "platform".to_string());
        assert_eq!(m.values[&k]["google_ads"], "GOOGLE_ADS");
        assert_eq!(m.path_of(&k), "values.Campaign.platform");
        assert_eq!(m.fills.len(), 1);
        assert_eq!(m.renames.tables.len(), 1);
        assert!(m.json_is_strict(&(QualifiedName::public("Tenant"), "settings".into())));
    }

    #[test]
    fn fill_expressions_are_single_checked_expressions() {
        let m = Mapping::parse(
            "[fill.User]\nrole = \"CLIENT\"\nhandle = { sql = \" lower(email) || '-' || id::text \" }\n",
            &DatabaseNames,
        )
        .unwrap();
        let k = (QualifiedName::public("User"), "handle".to_string());
        assert_eq!(m.fills[&k], "lower(email) || '-' || id::text");
        assert!(m.fill_exprs.contains(&k));
        assert_eq!(m.fill_exprs.len(), 1);
        for good in [
            "lower(email)",
            "coalesce(name, 'x')",
            "CASE WHEN a > 0 THEN 'p' ELSE 'n' END",
            "now()",
            "'a;b'",
            "lower(selected)",
        ] {
            assert!(check_fill_expression(good).is_ok(), "{good}");
        }
        for (bad, why) in [
            ("lower(email); DROP TABLE users", "`;`"),
            ("1 -- comment", "a comment"),
            ("1 /* c */", "a comment"),
            ("$$x$$", "dollar-quoted"),
            ("1) , (2", "not"),
            ("email, name", "not one SQL expression"),
            ("(SELECT max(id) FROM other)", "query"),
            ("EXISTS (SELECT 1)", "query"),
            ("DROP TABLE x", "not"),
            ("", "empty"),
            ("'unterminated", "not a SQL expression"),
        ] {
            let e = check_fill_expression(bad).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
        for (text, path) in [
            ("[fill.User]\nx = { sql = \"1;\" }\n", "fill.User.x.sql"),
            ("[fill.User]\nx = { expr = \"1\" }\n", "fill.User.x"),
            ("[fill.User]\nx = 3\n", "fill.User.x"),
        ] {
            let e = Mapping::parse(text, &DatabaseNames).unwrap_err();
            assert_eq!(e.path, path, "{e}");
        }
    }

    #[test]
    fn errors_name_the_key_path() {
        let e = Mapping::parse("[values.Campaign.platform]\nx = 1\n", &DatabaseNames).unwrap_err();
        assert!(
            e.to_string().contains("values.Campaign.platform.\"x\""),
            "{e}"
        );
        let e = Mapping::parse("[oops]\n", &DatabaseNames).unwrap_err();
        assert!(e.to_string().contains("oops"), "{e}");
    }
}
