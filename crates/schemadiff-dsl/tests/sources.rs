//! Multi-file schemas: the files of a folder load as one schema, and every diagnostic points
//! at the file (and line and column in it) that holds the culprit.

use schemadiff_dsl::{SourceFile, Sources};
use schemadiff_testkit::workspace_root;

fn file(path: &str, text: &str) -> SourceFile {
    SourceFile {
        path: path.into(),
        text: text.into(),
    }
}

fn folder(rel: &str) -> Sources {
    let dir = workspace_root().join(rel);
    let mut paths = Vec::new();
    let mut stack = vec![dir.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "prisma") {
                paths.push(p);
            }
        }
    }
    paths.sort();
    Sources::new(
        paths
            .into_iter()
            .map(|p| {
                file(
                    &p.display().to_string(),
                    &std::fs::read_to_string(&p).unwrap(),
                )
            })
            .collect(),
    )
}

#[test]
fn a_folder_gives_the_model_of_the_same_schema_in_one_file() {
    let sources = folder("fixtures/dsl/folders/shop");
    assert_eq!(sources.files().len(), 3);
    let many = sources.load();
    assert!(many.diagnostics.is_empty(), "{:#?}", many.diagnostics);
    let text =
        std::fs::read_to_string(workspace_root().join("fixtures/dsl/folders/shop.prisma")).unwrap();
    let one = schemadiff_dsl::load("shop.prisma", &text);
    assert!(one.diagnostics.is_empty());
    assert_eq!(many.schema, one.schema);
    assert_eq!(many.schema.tables.len(), 2);
    assert_eq!(many.schema.enums.len(), 2);
}

#[test]
fn diagnostics_are_located_in_their_own_file() {
    let sources = Sources::new(vec![
        file(
            "a.prisma",
            "datasource db {\n  provider = \"postgresql\"\n}",
        ),
        file("b.prisma", "model A {\n  id Int @id\n  b  Strng\n}\n"),
        file("c.prisma", "model C {\n  id Int @id\n}\n"),
    ]);
    let l = sources.load();
    assert_eq!(l.diagnostics.len(), 1, "{:#?}", l.diagnostics);
    let d = &l.diagnostics[0];
    let (i, local) = sources.locate(d.span.start).unwrap();
    assert_eq!(sources.files()[i].path, "b.prisma");
    assert_eq!(
        schemadiff_dsl::line_col(&sources.files()[i].text, local),
        (3, 6)
    );
    let out = sources.render(&l.diagnostics, false);
    assert!(out.contains("--> b.prisma:3:6"), "{out}");
    assert!(out.contains(" 3 |   b  Strng"), "{out}");
    assert!(
        !out.contains("a.prisma") && !out.contains("c.prisma"),
        "{out}"
    );
}

#[test]
fn a_file_without_a_final_newline_does_not_swallow_the_next_one() {
    let sources = Sources::new(vec![
        file("a.prisma", "model A {\n  id Int @id\n}"),
        file("b.prisma", "model B {\n  id Int @id\n  a  Int\n}"),
    ]);
    let l = sources.load();
    assert!(l.diagnostics.is_empty(), "{:#?}", l.diagnostics);
    assert_eq!(l.schema.tables.len(), 2);
    // A block left open at the end of one file is reported there, not in the next file.
    let open = Sources::new(vec![
        file("a.prisma", "model A {\n  id Int @id\n"),
        file("b.prisma", "model B {\n  id Int @id\n}\n"),
    ]);
    let l = open.load();
    let d = l
        .diagnostics
        .iter()
        .find(|d| d.code == "unclosed-block")
        .unwrap_or_else(|| panic!("{:#?}", l.diagnostics));
    assert_eq!(
        open.files()[open.locate(d.span.start).unwrap().0].path,
        "a.prisma"
    );
}

#[test]
fn views_are_read_and_listed_as_not_managed() {
    let text = std::fs::read_to_string(workspace_root().join("fixtures/dsl/ok/view_block.prisma"))
        .unwrap();
    let l = schemadiff_dsl::load("view_block.prisma", &text);
    assert!(l.diagnostics.is_empty(), "{:#?}", l.diagnostics);
    assert_eq!(l.schema.tables.len(), 1, "a view is not a table");
    assert_eq!(l.not_managed.len(), 1);
    assert_eq!(l.not_managed[0].kind, "view");
    assert_eq!(l.not_managed[0].name.name, "order_totals");
}
