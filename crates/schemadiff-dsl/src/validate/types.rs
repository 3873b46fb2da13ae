//! Scalar types, native types (`@db.*`) and their PostgreSQL column types.

use schemadiff_model::ColumnType;

/// The scalar types of the language.
pub const SCALARS: [&str; 9] = [
    "String", "Boolean", "Int", "BigInt", "Float", "Decimal", "DateTime", "Json", "Bytes",
];

/// The column type of a scalar without `@db.*`.
pub fn default_type(scalar: &str) -> Option<ColumnType> {
    Some(match scalar {
        "String" => ColumnType::Text,
        "Boolean" => ColumnType::Boolean,
        "Int" => ColumnType::Integer,
        "BigInt" => ColumnType::BigInt,
        "Float" => ColumnType::DoublePrecision,
        "Decimal" => ColumnType::Decimal(Some((65, 30))),
        "DateTime" => ColumnType::Timestamp(Some(3)),
        "Json" => ColumnType::Jsonb,
        "Bytes" => ColumnType::Bytea,
        _ => return None,
    })
}

/// How many arguments a native type takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arity {
    /// None.
    Zero,
    /// An optional length or precision.
    OptionalOne,
    /// An optional `(precision, scale)` pair.
    OptionalTwo,
}

/// Native types: name, the scalar it applies to, its arity.
pub const NATIVE_TYPES: &[(&str, &str, Arity)] = &[
    ("Text", "String", Arity::Zero),
    ("VarChar", "String", Arity::OptionalOne),
    ("Char", "String", Arity::OptionalOne),
    ("Bit", "String", Arity::OptionalOne),
    ("VarBit", "String", Arity::OptionalOne),
    ("Uuid", "String", Arity::Zero),
    ("Xml", "String", Arity::Zero),
    ("Inet", "String", Arity::Zero),
    ("Citext", "String", Arity::Zero),
    ("Boolean", "Boolean", Arity::Zero),
    ("Integer", "Int", Arity::Zero),
    ("SmallInt", "Int", Arity::Zero),
    ("Oid", "Int", Arity::Zero),
    ("BigInt", "BigInt", Arity::Zero),
    ("DoublePrecision", "Float", Arity::Zero),
    ("Real", "Float", Arity::Zero),
    ("Decimal", "Decimal", Arity::OptionalTwo),
    ("Money", "Decimal", Arity::Zero),
    ("Timestamp", "DateTime", Arity::OptionalOne),
    ("Timestamptz", "DateTime", Arity::OptionalOne),
    ("Date", "DateTime", Arity::Zero),
    ("Time", "DateTime", Arity::OptionalOne),
    ("Timetz", "DateTime", Arity::OptionalOne),
    ("Json", "Json", Arity::Zero),
    ("JsonB", "Json", Arity::Zero),
    ("ByteA", "Bytes", Arity::Zero),
];

/// The entry of a native type by name.
pub fn native(name: &str) -> Option<(&'static str, &'static str, Arity)> {
    NATIVE_TYPES.iter().copied().find(|(n, _, _)| *n == name)
}

/// The column type of a native type with its (already checked) arguments.
/// A missing length or precision stays `None`, as PostgreSQL gets no modifier then.
pub fn native_column_type(name: &str, args: &[u32]) -> Option<ColumnType> {
    let one = args.first().copied();
    Some(match name {
        "Text" => ColumnType::Text,
        "VarChar" => ColumnType::VarChar(one),
        "Char" => ColumnType::Char(one),
        "Bit" => ColumnType::Bit(one),
        "VarBit" => ColumnType::VarBit(one),
        "Uuid" => ColumnType::Uuid,
        "Xml" => ColumnType::Xml,
        "Inet" => ColumnType::Inet,
        "Citext" => ColumnType::Citext,
        "Boolean" => ColumnType::Boolean,
        "Integer" => ColumnType::Integer,
        "SmallInt" => ColumnType::SmallInt,
        "Oid" => ColumnType::Oid,
        "BigInt" => ColumnType::BigInt,
        "DoublePrecision" => ColumnType::DoublePrecision,
        "Real" => ColumnType::Real,
        "Decimal" => match args {
            [p, s] => ColumnType::Decimal(Some((*p, *s))),
            _ => ColumnType::Decimal(None),
        },
        "Money" => ColumnType::Money,
        "Timestamp" => ColumnType::Timestamp(one),
        "Timestamptz" => ColumnType::Timestamptz(one),
        "Date" => ColumnType::Date,
        "Time" => ColumnType::Time(one),
        "Timetz" => ColumnType::Timetz(one),
        "Json" => ColumnType::Json,
        "JsonB" => ColumnType::Jsonb,
        "ByteA" => ColumnType::Bytea,
        _ => return None,
    })
}

/// The scalar and `@db.*` attribute (if needed) that produce a column type; used by the printer.
pub fn scalar_for(ty: &ColumnType) -> Option<(&'static str, Option<String>)> {
    let n = |base: &str, m: &Option<u32>| match m {
        Some(v) => format!("{base}({v})"),
        None => base.to_string(),
    };
    Some(match ty {
        ColumnType::Text => ("String", None),
        ColumnType::VarChar(m) => ("String", Some(n("VarChar", m))),
        ColumnType::Char(m) => ("String", Some(n("Char", m))),
        ColumnType::Bit(m) => ("String", Some(n("Bit", m))),
        ColumnType::VarBit(m) => ("String", Some(n("VarBit", m))),
        ColumnType::Uuid => ("String", Some("Uuid".into())),
        ColumnType::Xml => ("String", Some("Xml".into())),
        ColumnType::Inet => ("String", Some("Inet".into())),
        ColumnType::Citext => ("String", Some("Citext".into())),
        ColumnType::Boolean => ("Boolean", None),
        ColumnType::Integer => ("Int", None),
        ColumnType::SmallInt => ("Int", Some("SmallInt".into())),
        ColumnType::Oid => ("Int", Some("Oid".into())),
        ColumnType::BigInt => ("BigInt", None),
        ColumnType::DoublePrecision => ("Float", None),
        ColumnType::Real => ("Float", Some("Real".into())),
        ColumnType::Decimal(Some((65, 30))) => ("Decimal", None),
        ColumnType::Decimal(Some((p, s))) => ("Decimal", Some(format!("Decimal({p}, {s})"))),
        ColumnType::Decimal(None) => ("Decimal", Some("Decimal".into())),
        ColumnType::Money => ("Decimal", Some("Money".into())),
        ColumnType::Timestamp(Some(3)) => ("DateTime", None),
        ColumnType::Timestamp(m) => ("DateTime", Some(n("Timestamp", m))),
        ColumnType::Timestamptz(m) => ("DateTime", Some(n("Timestamptz", m))),
        ColumnType::Date => ("DateTime", Some("Date".into())),
        ColumnType::Time(m) => ("DateTime", Some(n("Time", m))),
        ColumnType::Timetz(m) => ("DateTime", Some(n("Timetz", m))),
        ColumnType::Json => ("Json", Some("Json".into())),
        ColumnType::Jsonb => ("Json", None),
        ColumnType::Bytea => ("Bytes", None),
        ColumnType::Enum(_) | ColumnType::Array(_) | ColumnType::Other(_) => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_native_type_maps_and_round_trips() {
        for (name, scalar, arity) in NATIVE_TYPES {
            let args: Vec<u32> = match arity {
                Arity::Zero => vec![],
                Arity::OptionalOne => vec![7],
                Arity::OptionalTwo => vec![10, 2],
            };
            let ty = native_column_type(name, &args).expect("mapped");
            let (back, _) = scalar_for(&ty).expect("printable");
            assert_eq!(&back, scalar, "{name}");
        }
    }

    #[test]
    fn defaults_follow_prisma() {
        assert_eq!(
            default_type("DateTime"),
            Some(ColumnType::Timestamp(Some(3)))
        );
        assert_eq!(
            default_type("Decimal"),
            Some(ColumnType::Decimal(Some((65, 30))))
        );
        assert_eq!(default_type("Float"), Some(ColumnType::DoublePrecision));
        assert_eq!(default_type("Json"), Some(ColumnType::Jsonb));
        assert_eq!(
            native_column_type("Timestamptz", &[]),
            Some(ColumnType::Timestamptz(None))
        );
        assert_eq!(scalar_for(&ColumnType::Jsonb), Some(("Json", None)));
    }
}
