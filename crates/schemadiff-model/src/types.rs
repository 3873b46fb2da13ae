//! PostgreSQL column types and column defaults, as the model holds them.

use crate::QualifiedName;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A PostgreSQL column type, with its modifiers.
///
/// `Display` prints the type the way `format_type()` would, lower-case, without quoting the
/// name of an enum (the SQL renderer quotes identifiers itself).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ColumnType {
    /// `text`
    Text,
    /// `varchar(n)` / `character varying`
    VarChar(Option<u32>),
    /// `char(n)` / `character`
    Char(Option<u32>),
    /// `boolean`
    Boolean,
    /// `smallint`
    SmallInt,
    /// `integer`
    Integer,
    /// `bigint`
    BigInt,
    /// `real`
    Real,
    /// `double precision`
    DoublePrecision,
    /// `numeric(p,s)` / `decimal(p,s)`; `None` is unconstrained `numeric`.
    Decimal(Option<(u32, u32)>),
    /// `money`
    Money,
    /// `timestamp(p)` without time zone; `None` is the default precision (6).
    Timestamp(Option<u32>),
    /// `timestamptz(p)`
    Timestamptz(Option<u32>),
    /// `date`
    Date,
    /// `time(p)`
    Time(Option<u32>),
    /// `timetz(p)`
    Timetz(Option<u32>),
    /// `json`
    Json,
    /// `jsonb`
    Jsonb,
    /// `uuid`
    Uuid,
    /// `bytea`
    Bytea,
    /// `inet`
    Inet,
    /// `xml`
    Xml,
    /// `citext` (extension)
    Citext,
    /// `oid`
    Oid,
    /// `bit(n)`
    Bit(Option<u32>),
    /// `varbit(n)`
    VarBit(Option<u32>),
    /// A user enum type.
    Enum(QualifiedName),
    /// An array of the element type (`text[]`).
    Array(Box<ColumnType>),
    /// Any other type, verbatim as `format_type()` prints it (`Unsupported("…")` in the DSL).
    Other(String),
}

impl ColumnType {
    /// The enum this type refers to (directly or as array element), if any.
    pub fn enum_name(&self) -> Option<&QualifiedName> {
        match self {
            ColumnType::Enum(n) => Some(n),
            ColumnType::Array(inner) => inner.enum_name(),
            _ => None,
        }
    }

    /// True for the text-like types (`text`, `varchar`, `char`, `citext`).
    pub fn is_textual(&self) -> bool {
        matches!(
            self,
            ColumnType::Text | ColumnType::VarChar(_) | ColumnType::Char(_) | ColumnType::Citext
        )
    }

    /// True for the numeric types (integers, floating point, `numeric`, `oid`): their defaults
    /// are numeric literals.
    pub fn is_numeric(&self) -> bool {
        matches!(
            self,
            ColumnType::SmallInt
                | ColumnType::Integer
                | ColumnType::BigInt
                | ColumnType::Real
                | ColumnType::DoublePrecision
                | ColumnType::Decimal(_)
                | ColumnType::Oid
        )
    }

    /// True for `json` and `jsonb`.
    pub fn is_json(&self) -> bool {
        matches!(self, ColumnType::Json | ColumnType::Jsonb)
    }
}

fn with_mod(f: &mut fmt::Formatter<'_>, base: &str, m: &Option<u32>) -> fmt::Result {
    match m {
        Some(n) => write!(f, "{base}({n})"),
        None => f.write_str(base),
    }
}

impl fmt::Display for ColumnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ColumnType::Text => f.write_str("text"),
            ColumnType::VarChar(n) => with_mod(f, "varchar", n),
            ColumnType::Char(n) => with_mod(f, "char", n),
            ColumnType::Boolean => f.write_str("boolean"),
            ColumnType::SmallInt => f.write_str("smallint"),
            ColumnType::Integer => f.write_str("integer"),
            ColumnType::BigInt => f.write_str("bigint"),
            ColumnType::Real => f.write_str("real"),
            ColumnType::DoublePrecision => f.write_str("double precision"),
            ColumnType::Decimal(Some((p, s))) => write!(f, "decimal({p},{s})"),
            ColumnType::Decimal(None) => f.write_str("decimal"),
            ColumnType::Money => f.write_str("money"),
            ColumnType::Timestamp(p) => with_mod(f, "timestamp", p),
            ColumnType::Timestamptz(p) => with_mod(f, "timestamptz", p),
            ColumnType::Date => f.write_str("date"),
            ColumnType::Time(p) => with_mod(f, "time", p),
            ColumnType::Timetz(p) => with_mod(f, "timetz", p),
            ColumnType::Json => f.write_str("json"),
            ColumnType::Jsonb => f.write_str("jsonb"),
            ColumnType::Uuid => f.write_str("uuid"),
            ColumnType::Bytea => f.write_str("bytea"),
            ColumnType::Inet => f.write_str("inet"),
            ColumnType::Xml => f.write_str("xml"),
            ColumnType::Citext => f.write_str("citext"),
            ColumnType::Oid => f.write_str("oid"),
            ColumnType::Bit(n) => with_mod(f, "bit", n),
            ColumnType::VarBit(n) => with_mod(f, "varbit", n),
            ColumnType::Enum(n) => write!(f, "{n}"),
            ColumnType::Array(inner) => write!(f, "{inner}[]"),
            ColumnType::Other(s) => f.write_str(s),
        }
    }
}

/// A database default value of a column.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum DefaultValue {
    /// A string literal (`DEFAULT 'x'`), unescaped.
    String(String),
    /// A numeric literal, as written (`0`, `-1.5`).
    Number(String),
    /// `true` / `false`.
    Boolean(bool),
    /// An enum label (`DEFAULT 'CLIENT'`), database name of the value.
    EnumValue(String),
    /// `now()` in the DSL, `CURRENT_TIMESTAMP` in SQL.
    Now,
    /// `autoincrement()`: an owned sequence (`serial` / `bigserial` / `smallserial`).
    Autoincrement,
    /// Any other SQL expression (`dbgenerated("…")`), verbatim.
    Expression(String),
    /// A list literal for array columns (`@default([])`), each element a default itself.
    List(Vec<DefaultValue>),
    /// `dbgenerated()` without an expression: the database fills the value in a way the schema
    /// does not describe (a default set by hand, a trigger). No default is created for it, and
    /// whatever default the database holds is not a difference.
    Unmanaged,
}
