//! Statements as typed values: every statement a plan runs is one of these, and its text is
//! produced only by the `Display` implementations in this module (names through
//! [`quote_ident`]/[`qname`], literals through [`quote_literal`]).
//!
//! Expressions inside a statement (a `USING` cast, a default) are SQL text made by `sqltext`
//! and `cast`; the statement around them is typed here.

use crate::sqltext::{
    default_sql, dollar_tag, ident_list, qname, quote_ident, quote_literal, sql_type,
};
use schemadiff_model::{
    Column, ColumnType, DefaultValue, ForeignKey, Index, IndexMethod, QualifiedName, SortOrder,
};
use std::fmt::{self, Display, Formatter};

/// `CREATE EXTENSION IF NOT EXISTS name [WITH SCHEMA s] [VERSION 'v']`.
pub(crate) struct CreateExtension {
    pub name: String,
    pub schema: Option<String>,
    pub version: Option<String>,
}

impl Display for CreateExtension {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "CREATE EXTENSION IF NOT EXISTS {}",
            quote_ident(&self.name)
        )?;
        if let Some(s) = &self.schema {
            write!(f, " WITH SCHEMA {}", quote_ident(s))?;
        }
        if let Some(v) = &self.version {
            write!(f, " VERSION {}", quote_literal(v))?;
        }
        Ok(())
    }
}

/// What `ALTER EXTENSION` does.
pub(crate) enum ExtensionAction {
    /// `SET SCHEMA s`.
    SetSchema(String),
    /// `UPDATE TO 'v'`.
    UpdateTo(String),
}

/// `ALTER EXTENSION name …`.
pub(crate) struct AlterExtension {
    pub name: String,
    pub action: ExtensionAction,
}

impl Display for AlterExtension {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "ALTER EXTENSION {} ", quote_ident(&self.name))?;
        match &self.action {
            ExtensionAction::SetSchema(s) => write!(f, "SET SCHEMA {}", quote_ident(s)),
            ExtensionAction::UpdateTo(v) => write!(f, "UPDATE TO {}", quote_literal(v)),
        }
    }
}

/// `DROP EXTENSION|TYPE|TABLE|INDEX name` (an extension's name is not schema-qualified).
pub(crate) enum DropObject {
    Extension(String),
    Type(QualifiedName),
    Table(QualifiedName),
    Index(QualifiedName),
}

impl Display for DropObject {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            DropObject::Extension(n) => write!(f, "DROP EXTENSION {}", quote_ident(n)),
            DropObject::Type(n) => write!(f, "DROP TYPE {}", qname(n)),
            DropObject::Table(n) => write!(f, "DROP TABLE {}", qname(n)),
            DropObject::Index(n) => write!(f, "DROP INDEX {}", qname(n)),
        }
    }
}

/// `CREATE SCHEMA IF NOT EXISTS name`.
pub(crate) struct CreateSchema(pub String);

impl Display for CreateSchema {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "CREATE SCHEMA IF NOT EXISTS {}", quote_ident(&self.0))
    }
}

/// `CREATE TYPE name AS ENUM ('a', 'b')`.
pub(crate) struct CreateType {
    pub name: QualifiedName,
    pub values: Vec<String>,
}

impl Display for CreateType {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let vals: Vec<String> = self.values.iter().map(|v| quote_literal(v)).collect();
        write!(
            f,
            "CREATE TYPE {} AS ENUM ({})",
            qname(&self.name),
            vals.join(", ")
        )
    }
}

/// Where `ALTER TYPE … ADD VALUE` puts the new label.
pub(crate) enum ValuePlace {
    /// At the end.
    End,
    /// `BEFORE 'v'`.
    Before(String),
    /// `AFTER 'v'`.
    After(String),
}

impl Display for ValuePlace {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            ValuePlace::End => Ok(()),
            ValuePlace::Before(v) => write!(f, " BEFORE {}", quote_literal(v)),
            ValuePlace::After(v) => write!(f, " AFTER {}", quote_literal(v)),
        }
    }
}

/// What `ALTER TYPE` does.
pub(crate) enum AlterTypeAction {
    /// `ADD VALUE 'v' [BEFORE|AFTER 'w']`.
    AddValue { value: String, place: ValuePlace },
    /// `RENAME TO name`.
    RenameTo(String),
}

/// `ALTER TYPE name …`.
pub(crate) struct AlterType {
    pub name: QualifiedName,
    pub action: AlterTypeAction,
}

impl Display for AlterType {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "ALTER TYPE {} ", qname(&self.name))?;
        match &self.action {
            AlterTypeAction::AddValue { value, place } => {
                write!(f, "ADD VALUE {}{place}", quote_literal(value))
            }
            AlterTypeAction::RenameTo(n) => write!(f, "RENAME TO {}", quote_ident(n)),
        }
    }
}

/// A column definition inside `CREATE TABLE` / `ADD COLUMN`: name, type (a serial type for
/// `autoincrement()`), `NOT NULL`, `DEFAULT`.
pub(crate) struct ColumnDef(pub Column);

impl Display for ColumnDef {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let c = &self.0;
        let serial = matches!(c.default, Some(DefaultValue::Autoincrement));
        let ty = match (&c.ty, serial) {
            (ColumnType::Integer, true) => "SERIAL".to_string(),
            (ColumnType::BigInt, true) => "BIGSERIAL".to_string(),
            (ColumnType::SmallInt, true) => "SMALLSERIAL".to_string(),
            (t, _) => sql_type(t),
        };
        write!(f, "{} {ty}", quote_ident(&c.name))?;
        if !c.nullable {
            f.write_str(" NOT NULL")?;
        }
        if let Some(d) = c.default.as_ref().and_then(|d| default_sql(d, &c.ty)) {
            write!(f, " DEFAULT {d}")?;
        }
        Ok(())
    }
}

/// `CREATE TABLE` with its columns and primary key (indexes and foreign keys come separately).
pub(crate) struct CreateTable {
    pub name: QualifiedName,
    pub columns: Vec<ColumnDef>,
    /// The constraint name and columns of the primary key.
    pub primary_key: Option<(String, Vec<String>)>,
}

impl Display for CreateTable {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = self.columns.iter().map(|c| format!("    {c}")).collect();
        if let Some((name, cols)) = &self.primary_key {
            parts.push(format!(
                "    CONSTRAINT {} PRIMARY KEY ({})",
                quote_ident(name),
                ident_list(cols)
            ));
        }
        write!(
            f,
            "CREATE TABLE {} (\n{}\n)",
            qname(&self.name),
            parts.join(",\n")
        )
    }
}

/// `CREATE [UNIQUE] INDEX name ON table [USING method] (columns)`.
pub(crate) struct CreateIndex {
    pub table: QualifiedName,
    pub index: Index,
}

impl Display for CreateIndex {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let i = &self.index;
        let cols: Vec<String> = i
            .columns
            .iter()
            .map(|c| {
                let mut s = quote_ident(&c.name);
                if let Some(op) = &c.opclass {
                    s.push(' ');
                    s.push_str(op);
                }
                if c.sort == SortOrder::Desc {
                    s.push_str(" DESC");
                }
                s
            })
            .collect();
        write!(
            f,
            "CREATE {}INDEX {} ON {}",
            if i.unique { "UNIQUE " } else { "" },
            quote_ident(&i.name),
            qname(&self.table)
        )?;
        if i.method != IndexMethod::BTree {
            write!(f, " USING {}", i.method.sql_name().to_ascii_uppercase())?;
        }
        write!(f, " ({})", cols.join(", "))
    }
}

/// `ALTER INDEX name RENAME TO new`.
pub(crate) struct RenameIndex {
    pub name: QualifiedName,
    pub to: String,
}

impl Display for RenameIndex {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ALTER INDEX {} RENAME TO {}",
            qname(&self.name),
            quote_ident(&self.to)
        )
    }
}

/// A table constraint added by `ALTER TABLE … ADD CONSTRAINT`.
pub(crate) enum Constraint {
    /// `PRIMARY KEY (columns)`.
    PrimaryKey(Vec<String>),
    /// `FOREIGN KEY (columns) REFERENCES table (columns) ON DELETE … ON UPDATE …`.
    ForeignKey(ForeignKey),
}

/// What a column of `ALTER TABLE … ALTER COLUMN` does.
pub(crate) enum ColumnAction {
    /// `DROP DEFAULT`.
    DropDefault,
    /// `SET DEFAULT expr`.
    SetDefault(String),
    /// `TYPE ty USING expr`.
    Type { ty: ColumnType, using: String },
    /// `SET NOT NULL`.
    SetNotNull,
    /// `DROP NOT NULL`.
    DropNotNull,
}

/// One clause of `ALTER TABLE`.
pub(crate) enum AlterTableClause {
    /// `RENAME TO name`.
    RenameTo(String),
    /// `RENAME COLUMN a TO b`.
    RenameColumn { from: String, to: String },
    /// `RENAME CONSTRAINT a TO b`.
    RenameConstraint { from: String, to: String },
    /// `ADD CONSTRAINT name …`.
    AddConstraint {
        name: String,
        constraint: Constraint,
    },
    /// `DROP CONSTRAINT name`.
    DropConstraint(String),
    /// `ADD COLUMN def [DEFAULT 'fill']`: a fill default that only lives for the statement
    /// gives existing rows a value.
    AddColumn {
        column: ColumnDef,
        fill: Option<String>,
    },
    /// `DROP COLUMN name`.
    DropColumn(String),
    /// `ALTER COLUMN name …`.
    AlterColumn {
        column: String,
        action: ColumnAction,
    },
}

impl Display for AlterTableClause {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        use AlterTableClause as C;
        match self {
            C::RenameTo(n) => write!(f, "RENAME TO {}", quote_ident(n)),
            C::RenameColumn { from, to } => {
                write!(
                    f,
                    "RENAME COLUMN {} TO {}",
                    quote_ident(from),
                    quote_ident(to)
                )
            }
            C::RenameConstraint { from, to } => write!(
                f,
                "RENAME CONSTRAINT {} TO {}",
                quote_ident(from),
                quote_ident(to)
            ),
            C::AddConstraint { name, constraint } => {
                write!(f, "ADD CONSTRAINT {} ", quote_ident(name))?;
                match constraint {
                    Constraint::PrimaryKey(cols) => write!(f, "PRIMARY KEY ({})", ident_list(cols)),
                    Constraint::ForeignKey(k) => write!(
                        f,
                        "FOREIGN KEY ({}) REFERENCES {} ({}) ON DELETE {} ON UPDATE {}",
                        ident_list(&k.columns),
                        qname(&k.referenced_table),
                        ident_list(&k.referenced_columns),
                        k.on_delete.sql(),
                        k.on_update.sql()
                    ),
                }
            }
            C::DropConstraint(n) => write!(f, "DROP CONSTRAINT {}", quote_ident(n)),
            C::AddColumn { column, fill } => {
                write!(f, "ADD COLUMN {column}")?;
                match fill {
                    Some(v) => write!(f, " DEFAULT {}", quote_literal(v)),
                    None => Ok(()),
                }
            }
            C::DropColumn(n) => write!(f, "DROP COLUMN {}", quote_ident(n)),
            C::AlterColumn { column, action } => {
                write!(f, "ALTER COLUMN {} ", quote_ident(column))?;
                match action {
                    ColumnAction::DropDefault => f.write_str("DROP DEFAULT"),
                    ColumnAction::SetDefault(d) => write!(f, "SET DEFAULT {d}"),
                    ColumnAction::Type { ty, using } => {
                        write!(f, "TYPE {} USING {using}", sql_type(ty))
                    }
                    ColumnAction::SetNotNull => f.write_str("SET NOT NULL"),
                    ColumnAction::DropNotNull => f.write_str("DROP NOT NULL"),
                }
            }
        }
    }
}

/// `ALTER TABLE name clause, …`: one clause on the same line, or (`one_per_line`, the merged
/// column changes of a table) each clause on its own indented line.
pub(crate) struct AlterTable {
    pub table: QualifiedName,
    pub clauses: Vec<AlterTableClause>,
    pub one_per_line: bool,
}

impl AlterTable {
    /// `ALTER TABLE table clause` on one line.
    pub fn one(table: &QualifiedName, clause: AlterTableClause) -> Self {
        AlterTable {
            table: table.clone(),
            clauses: vec![clause],
            one_per_line: false,
        }
    }
}

impl Display for AlterTable {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "ALTER TABLE {}", qname(&self.table))?;
        let sep = if self.one_per_line { "\n    " } else { " " };
        for (i, c) in self.clauses.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{sep}{c}")?;
        }
        Ok(())
    }
}

/// `UPDATE table SET column = 'value' WHERE column IS NULL`: the fill of a column that becomes
/// required.
pub(crate) struct FillNulls {
    pub table: QualifiedName,
    pub column: String,
    pub value: Fill,
    /// Every row (a new column filled by an expression), not only the NULLs.
    pub all_rows: bool,
}

impl Display for FillNulls {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let c = quote_ident(&self.column);
        write!(f, "UPDATE {} SET {c} = {}", qname(&self.table), self.value)?;
        if !self.all_rows {
            write!(f, " WHERE {c} IS NULL")?;
        }
        Ok(())
    }
}

/// A `[fill]` of the mapping file: a value (rendered as a literal) or a SQL expression over the
/// row (`{ sql = "lower(email)" }`, checked by `check_fill_expression` to be exactly one
/// expression, rendered in parentheses).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Fill {
    Value(String),
    Expression(String),
}

impl Display for Fill {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Fill::Value(v) => f.write_str(&quote_literal(v)),
            Fill::Expression(e) => write!(f, "({e})"),
        }
    }
}

/// `DO $tag$ body $tag$`, the tag chosen so that it does not occur in the body.
pub(crate) struct DoBlock(pub String);

impl Display for DoBlock {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let tag = dollar_tag(&self.0);
        write!(f, "DO {tag}{}{tag}", self.0)
    }
}

/// `CREATE OR REPLACE FUNCTION name(t text) RETURNS ty LANGUAGE plpgsql IMMUTABLE AS $sd$…$sd$`:
/// a session-local PL/pgSQL helper of one text argument `t`.
pub(crate) struct CreateFunction {
    pub name: String,
    pub returns: &'static str,
    pub body: String,
}

impl Display for CreateFunction {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let tag = dollar_tag(&self.body);
        write!(
            f,
            "CREATE OR REPLACE FUNCTION {}(t text) RETURNS {} LANGUAGE plpgsql IMMUTABLE AS {tag}{}{tag}",
            self.name, self.returns, self.body
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t() -> QualifiedName {
        QualifiedName::new("public", "T")
    }

    #[test]
    fn alter_table_layouts() {
        let one = AlterTable::one(&t(), AlterTableClause::RenameTo("U".into()));
        assert_eq!(one.to_string(), r#"ALTER TABLE "public"."T" RENAME TO "U""#);
        let many = AlterTable {
            table: t(),
            clauses: vec![
                AlterTableClause::DropColumn("a".into()),
                AlterTableClause::AlterColumn {
                    column: "b".into(),
                    action: ColumnAction::SetNotNull,
                },
            ],
            one_per_line: true,
        };
        assert_eq!(
            many.to_string(),
            "ALTER TABLE \"public\".\"T\"\n    DROP COLUMN \"a\",\n    ALTER COLUMN \"b\" SET NOT NULL"
        );
    }

    #[test]
    fn names_and_values_are_quoted() {
        let s = AlterType {
            name: QualifiedName::new("public", "E\"x"),
            action: AlterTypeAction::AddValue {
                value: "it's".into(),
                place: ValuePlace::After("a\\b".into()),
            },
        };
        assert_eq!(
            s.to_string(),
            r#"ALTER TYPE "public"."E""x" ADD VALUE 'it''s' AFTER E'a\\b'"#
        );
        assert_eq!(
            DoBlock("x $sd$ y".into()).to_string(),
            "DO $sd1$x $sd$ y$sd1$"
        );
    }
}
