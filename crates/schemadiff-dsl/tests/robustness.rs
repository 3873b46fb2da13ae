//! Robustness: `load` and `format` never panic (or hang) on arbitrary text, byte soup, or
//! random edits of real fixtures. Bounded so it runs in a few seconds.

use proptest::prelude::*;
use schemadiff_testkit::workspace_root;

fn corpus() -> Vec<String> {
    let mut out = Vec::new();
    for dir in ["fixtures/dsl/ok", "fixtures/dsl/err", "schemas"] {
        if let Ok(rd) = std::fs::read_dir(workspace_root().join(dir)) {
            let mut paths: Vec<_> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
            paths.sort();
            for p in paths
                .into_iter()
                .filter(|p| p.extension().is_some_and(|x| x == "prisma"))
            {
                out.push(std::fs::read_to_string(p).unwrap_or_default());
            }
        }
    }
    out
}

fn exercise(text: &str) {
    let lowered = schemadiff_dsl::load("x.prisma", text);
    let _ = schemadiff_dsl::render_diagnostics(&lowered.diagnostics, "x.prisma", text, true);
    if let Ok(formatted) = schemadiff_dsl::format(text) {
        // Formatting never changes meaning and is idempotent.
        assert_eq!(
            schemadiff_dsl::format(&formatted).as_deref(),
            Ok(formatted.as_str())
        );
    }
    if !lowered.has_errors() {
        let _ = schemadiff_dsl::print_schema(&lowered.schema);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_strings(s in "\\PC{0,200}") {
        exercise(&s);
    }

    #[test]
    fn schema_like_soup(s in "[a-zA-Z@(){}\\[\\]\":,?/* \n=.0-9-]{0,300}") {
        exercise(&s);
    }

    #[test]
    fn byte_soup(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        exercise(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn mutated_fixtures(which in 0usize..1000, edits in proptest::collection::vec((0usize..100_000, any::<bool>(), any::<char>()), 1..6)) {
        let corpus = corpus();
        prop_assume!(!corpus.is_empty());
        let mut text: Vec<char> = corpus[which % corpus.len()].chars().collect();
        for (pos, insert, c) in edits {
            if text.is_empty() { break; }
            let p = pos % text.len();
            if insert { text.insert(p, c); } else { text.remove(p); }
        }
        exercise(&text.into_iter().collect::<String>());
    }
}

#[test]
fn deep_nesting_is_rejected_not_overflowed() {
    let deep = format!(
        "model A {{\n  id Int @id @default({}1{})\n}}\n",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    let lowered = schemadiff_dsl::load("x", &deep);
    assert!(lowered.has_errors());
}

/// Found by the fuzz target: `\r\r\n` inside a comment lost one `\r` per formatting pass.
#[test]
fn format_is_idempotent_on_carriage_returns_in_comments() {
    let cases = [
        String::from_utf8_lossy(include_bytes!("data/fuzz-crlf-comment.bin")).into_owned(),
        "model A {\n  id Int @id\n  // note\r\r\n}\n// top\r\r\n".to_string(),
        "/*/\n".to_string(),
        "/*/".to_string(),
    ];
    for text in cases {
        if let Ok(once) = schemadiff_dsl::format(&text) {
            assert_eq!(
                schemadiff_dsl::format(&once).ok().as_deref(),
                Some(once.as_str()),
                "{text:?}"
            );
        }
    }
}

/// A `/*` that is never closed is an error, not a comment that silently eats the rest.
#[test]
fn unterminated_block_comment_is_an_error() {
    let text = "model A {\n  id Int @id\n}\n/* never closed\nmodel B {\n  id Int @id\n}\n";
    let lowered = schemadiff_dsl::load("x.prisma", text);
    assert!(
        lowered
            .diagnostics
            .iter()
            .any(|d| d.code == "unterminated-comment"),
        "{:?}",
        lowered.diagnostics
    );
    assert!(schemadiff_dsl::format(text).is_err());
    let closed = "model A {\n  id Int @id\n}\n/* closed */\nmodel B {\n  id Int @id\n}\n";
    assert!(
        schemadiff_dsl::load("x.prisma", closed)
            .diagnostics
            .is_empty()
    );
}
