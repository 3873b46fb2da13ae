//! String escapes: names and defaults written with escapes load as their values, arbitrary
//! strings (quotes, backslashes, control characters, unicode) survive escape → load and
//! load → print → load, and bad escapes are diagnostics, never panics.

use proptest::prelude::*;
use schemadiff_dsl::ast::{escape, unescape};
use schemadiff_model::{DefaultValue, QualifiedName};

const DS: &str = "datasource db {\n  provider = \"postgresql\"\n  url = env(\"DATABASE_URL\")\n}\n";

/// A model whose table, column, default and index name all come from `s`.
fn schema_with(s: &str) -> String {
    let e = escape(s);
    format!(
        "{DS}model M {{\n  id Int @id\n  c String @default(\"{e}\") @map(\"{e}\")\n  d String @default(dbgenerated(\"{e}\"))\n  @@index([c], map: \"{e}\")\n  @@map(\"{e}\")\n}}\n"
    )
}

#[test]
fn escapes_decode_like_json() {
    assert_eq!(unescape(r#"a\"b\\c\/d"#).as_deref(), Ok("a\"b\\c/d"));
    assert_eq!(unescape(r"\n\r\t\b\f").as_deref(), Ok("\n\r\t\u{8}\u{c}"));
    assert_eq!(
        unescape(r"caf\u00e9 \uD83D\uDE00").as_deref(),
        Ok("café 😀")
    );
    assert_eq!(unescape("plain ü '").as_deref(), Ok("plain ü '"));
    for (bad, offset, len) in [
        (r"a\q", 1, 2),
        (r"\u12", 0, 4),
        (r"\u12x4", 0, 4),
        (r"x\uDE00", 1, 6),
        (r"\uD83Dz", 0, 6),
        ("\\é", 0, 3),
        ("end\\", 3, 1),
    ] {
        let e = unescape(bad).expect_err(bad);
        assert_eq!((e.offset, e.len), (offset, len), "{bad}: {}", e.message);
    }
}

#[test]
fn escaped_names_load_as_their_values() {
    let text = schema_with("q\"b\\s'ü\n\t😀\u{1}");
    let l = schemadiff_dsl::load("t.prisma", &text);
    assert!(l.diagnostics.is_empty(), "{:?}", l.diagnostics);
    let t = l
        .schema
        .table(&QualifiedName::public("q\"b\\s'ü\n\t😀\u{1}"))
        .expect("table named by the unescaped value");
    let c = &t.columns[1];
    assert_eq!(c.name, "q\"b\\s'ü\n\t😀\u{1}");
    assert_eq!(
        c.default,
        Some(DefaultValue::String("q\"b\\s'ü\n\t😀\u{1}".into()))
    );
    assert_eq!(
        t.columns[2].default,
        Some(DefaultValue::Expression("q\"b\\s'ü\n\t😀\u{1}".into()))
    );
    assert_eq!(t.indexes[0].name, "q\"b\\s'ü\n\t😀\u{1}");
}

#[test]
fn bad_escape_is_reported_at_the_backslash() {
    let text = format!("{DS}model M {{\n  id Int @id @map(\"a\\qb\")\n}}\n");
    let l = schemadiff_dsl::load("t.prisma", &text);
    let d: Vec<_> = l.diagnostics.iter().map(|d| (d.code, d.span)).collect();
    let at = text.find("\\q").expect("escape");
    assert_eq!(
        d,
        [("invalid-escape", schemadiff_dsl::Span::new(at, at + 2))]
    );
    assert!(schemadiff_dsl::format(&text).is_err(), "not formatted");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn escape_then_unescape_is_identity(s in "\\PC{0,40}|[\"\\\\'\\x00-\\x1f\u{7f}\u{85}\u{2028}ü😀a-z]{0,40}") {
        prop_assert_eq!(unescape(&escape(&s)), Ok(s));
    }

    #[test]
    fn names_survive_load_print_load(s in "[\"\\\\'\\x01-\\x1f ü😀☃a-z]{1,15}") {
        // `c` is mapped to `s`: the model's other columns `id` and `d` would collide with it.
        prop_assume!(s != "id" && s != "d");
        let text = schema_with(&s);
        let first = schemadiff_dsl::load("t.prisma", &text);
        prop_assert!(first.diagnostics.is_empty(), "{:?}", first.diagnostics);
        let table = first.schema.table(&QualifiedName::public(s.clone()));
        prop_assert!(table.is_some_and(|t| t.columns[1].name == s));
        let printed = schemadiff_dsl::print_schema(&first.schema);
        let second = schemadiff_dsl::load("printed.prisma", &printed);
        prop_assert!(!second.has_errors(), "{:?}\n{}", second.diagnostics, printed);
        prop_assert_eq!(&second.schema, &first.schema, "{}", printed);
    }
}
