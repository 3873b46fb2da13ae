//! Differential test of the parser's fast path: whenever the hand-written parser accepts a file,
//! its syntax tree and diagnostics are exactly those of the grammar. Runs over every schema
//! file in the repository and over random edits of them.

use proptest::prelude::*;
use schemadiff_dsl::parse::{parse_fast, parse_slow};
use schemadiff_testkit::workspace_root;
use std::path::Path;

fn collect(dir: &Path, out: &mut Vec<String>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<_> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "prisma") {
            out.push(std::fs::read_to_string(p).unwrap_or_default());
        }
    }
}

fn corpus() -> Vec<String> {
    let mut out = Vec::new();
    collect(&workspace_root().join("fixtures"), &mut out);
    collect(&workspace_root().join("schemas"), &mut out);
    out
}

/// Compares both parsers; true when the fast path accepted the text.
fn same(text: &str) -> bool {
    let Some((fast, fast_diags)) = parse_fast(text) else {
        return false;
    };
    let (slow, slow_diags) = parse_slow(text);
    assert_eq!(
        format!("{fast:#?}"),
        format!("{slow:#?}"),
        "fast path tree differs for:\n{text}"
    );
    assert_eq!(
        fast_diags, slow_diags,
        "fast path diagnostics differ for:\n{text}"
    );
    true
}

#[test]
fn fast_path_matches_the_grammar_on_every_schema_file() {
    let corpus = corpus();
    assert!(corpus.len() > 40, "corpus too small: {}", corpus.len());
    let accepted = corpus.iter().filter(|t| same(t)).count();
    // Every valid schema takes the fast path; only files with syntax problems fall back.
    assert!(
        accepted * 10 >= corpus.len() * 7,
        "fast path accepted only {accepted} of {} files",
        corpus.len()
    );
    for ok in std::fs::read_dir(workspace_root().join("fixtures/dsl/ok")).expect("ok dir") {
        let p = ok.expect("entry").path();
        if p.extension().is_some_and(|x| x == "prisma") {
            let text = std::fs::read_to_string(&p).expect("read");
            assert!(same(&text), "fast path rejected {}", p.display());
        }
    }
}

#[test]
fn fast_path_matches_on_layout_variants() {
    for text in [
        "",
        "\n\n",
        "model A{\n}\n",
        "\u{feff}model A {\n  id Int @id\n}",
        "model A { // c\n\n\n  id   Int  @id   @default( autoincrement ( ) ) // x  \n  b String? @db.VarChar (10)\n  c Unsupported ( \"circle\" )[]\n\n  @@index( [ b ( sort : Desc ), c ], map : \"x\" , )\n}\r\n// end\r\n",
        "datasource db {\n  provider = \"postgresql\"\n  url = env(\"X\") // u\n}\n",
        "enum E {\n  A @map(\"a\\\"\\q\")\n  B\n}\n",
        "model A {\n  id Int @id }\n",
        "model A {\n  id Int @id\n} // after\n",
        "model A {\n  /* block */\n}\n",
        "model A {\n  d Float @default(-1.5)\n  e Float @default(1.)\n}\n",
        "model A {\n  id Int @id\n",
        "model A {\r  id Int @id\r}\r",
        "model A {\n  x @@id\n}\n",
        "model A {\n  @@map(\"a\")@@ignore\n}\n",
    ] {
        same(text);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn fast_path_matches_on_mutated_files(which in 0usize..1000, edits in proptest::collection::vec((0usize..100_000, any::<bool>(), prop_oneof![any::<char>(), proptest::sample::select(vec![' ', '\n', '\r', '\t', '"', '\\', '(', ')', '[', ']', '@', ',', ':', '/', '{', '}', '?', '.', '-', '1'])]), 1..4)) {
        let corpus = corpus();
        let mut text: Vec<char> = corpus[which % corpus.len()].chars().collect();
        for (pos, insert, c) in edits {
            if text.is_empty() { break; }
            let p = pos % text.len();
            if insert { text.insert(p, c); } else { text.remove(p); }
        }
        same(&text.into_iter().collect::<String>());
    }

    #[test]
    fn fast_path_matches_on_schema_like_soup(s in "(model A \\{\n|  [a-z]{1,3} [A-Za-z]{1,4}[?\\[\\]]{0,2} |@[a-z.]{1,4}|\\(|\\)|\\[|\\]|\"[a-z\\\\\"]{0,3}\"|, |: |[0-9.-]{1,3}| |\n|\\}\n|// c){0,40}") {
        same(&s);
    }
}
