//! schemadiff-dsl: the schema language front end (the Prisma schema dialect, PostgreSQL only).
//!
//! [`load`] parses, validates and lowers one file (a multi-file schema: [`Sources`]) into a [`schemadiff_model::Schema`];
//! [`render_diagnostics`] prints problems the way rustc does; [`format`] rewrites a file
//! in the canonical layout; [`print_schema`] writes a model back as schema text.
//!
//! Pipeline: `grammar.pest` → [`parse`] (syntax tree + syntax errors) → `validate` (names,
//! types, attributes, relations) → `lower` (database names, types, constraint names).
//! Nothing here panics on bad input: every problem becomes a [`Diagnostic`].

pub mod ast;
mod diagnostics;
mod fastparse;
mod format;
mod lower;
pub mod parse;
mod print;
mod render;
mod sources;
pub mod validate;

pub use ast::Span;
pub use diagnostics::{Diagnostic, Severity};
pub use format::format;
pub use lower::{NameMap, join_table_name};
pub use print::print_schema;
pub use render::{line_col, render_diagnostics};
pub use sources::{SourceFile, Sources};

use schemadiff_model::Schema;

/// The result of loading a schema file.
#[derive(Debug, Clone)]
pub struct Lowered {
    /// The model (partial when there are errors).
    pub schema: Schema,
    /// DSL names ↔ database names.
    pub names: NameMap,
    /// Every problem found, errors and warnings, in source order.
    pub diagnostics: Vec<Diagnostic>,
    /// What the file declares but schemadiff does not manage (`view` blocks): read, listed,
    /// never planned.
    pub not_managed: Vec<schemadiff_model::NotManaged>,
}

impl Lowered {
    /// True when at least one diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Parses, validates and lowers one file. Never panics; errors make `diagnostics` non-empty
/// (and the schema may then be partial). `path` is only used for messages by callers.
pub fn load(path: &str, text: &str) -> Lowered {
    let _ = path;
    let (ast, mut diagnostics) = parse::parse(text);
    let db = validate::analyze(&ast, &mut diagnostics);
    // Lowering reads only the checked description: free the syntax tree first, so that the
    // model reuses its memory (keeps the peak footprint and page faults down on large files).
    drop(ast);
    let (schema, names) = lower::lower(&db);
    let not_managed = lower::not_managed(&db);
    drop(db);
    diagnostics.sort_by_key(|d| (d.span.start, d.span.end));
    Lowered {
        schema,
        names,
        diagnostics,
        not_managed,
    }
}
