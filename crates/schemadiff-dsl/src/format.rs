//! The formatter: rewrites a file in the canonical layout of the language.
//!
//! Within a block, consecutive lines (up to a blank line) form a group whose field names, types
//! and attributes are aligned in columns; comment lines stay in place and do not break groups.
//! Block attributes move to the end of the block after one blank line. Runs of blank lines
//! collapse to one, a block is followed by a blank line, and attribute arguments get canonical
//! spacing (`@@index([a, b], map: "x")`). Formatting is idempotent. A file with syntax errors
//! is not formatted: its diagnostics are returned instead.

use crate::ast::*;
use crate::diagnostics::Diagnostic;

/// Formats a schema file, or returns its syntax errors.
pub fn format(text: &str) -> Result<String, Vec<Diagnostic>> {
    let (ast, diags) = crate::parse::parse(text);
    if !diags.is_empty() {
        return Err(diags);
    }
    Ok(format_ast(&ast))
}

/// Formats a syntax tree.
pub fn format_ast(ast: &SchemaAst) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut after_block = false;
    for item in &ast.items {
        match item {
            Top::Blank => {
                if out.last().is_some_and(|l| !l.is_empty()) {
                    out.push(String::new());
                }
            }
            Top::Comment(c) => {
                if after_block && out.last().is_some_and(|l| !l.is_empty()) {
                    out.push(String::new());
                }
                out.extend(c.lines().map(|l| l.trim_end_matches('\r').to_string()));
                after_block = false;
            }
            Top::Block(b) => {
                if after_block && out.last().is_some_and(|l| !l.is_empty()) {
                    out.push(String::new());
                }
                out.extend(block(b));
                after_block = true;
            }
            Top::Error(_) => {}
        }
    }
    while out.last().is_some_and(String::is_empty) {
        out.pop();
    }
    let mut s = out.join("\n");
    s.push('\n');
    s
}

/// One line of a block body before alignment.
enum Row {
    /// Columns: name, type, attributes; and a trailing comment.
    Cells(Vec<String>, Option<String>),
    /// `key = value` with a trailing comment.
    Setting(String, String, Option<String>),
    /// A comment line.
    Comment(String),
    /// A blank line (ends an alignment group).
    Blank,
}

fn block(b: &Block) -> Vec<String> {
    let mut header = format!("{} {} {{", b.keyword.name, b.name.name);
    if let Some(c) = &b.header_comment {
        header.push(' ');
        header.push_str(c);
    }
    let mut rows = Vec::new();
    let mut block_attrs = Vec::new();
    for m in &b.members {
        match m {
            Member::Field(f) => {
                let mut cells = vec![f.name.name.clone()];
                if let Some(t) = &f.ty {
                    cells.push(t.text());
                }
                let attrs: Vec<String> = f.attributes.iter().map(|a| a.render("@")).collect();
                if !attrs.is_empty() {
                    cells.push(attrs.join(" "));
                }
                rows.push(Row::Cells(cells, f.comment.clone()));
            }
            Member::KeyValue(kv) => rows.push(Row::Setting(
                kv.key.name.clone(),
                kv.value.render(),
                kv.comment.clone(),
            )),
            Member::BlockAttribute(a, c) => {
                let mut s = a.render("@@");
                if let Some(c) = c {
                    s.push(' ');
                    s.push_str(c);
                }
                block_attrs.push(s);
            }
            Member::Comment(c) => rows.push(Row::Comment(c.clone())),
            Member::Blank => {
                if !matches!(rows.last(), None | Some(Row::Blank)) {
                    rows.push(Row::Blank);
                }
            }
            Member::Error(_) => {}
        }
    }
    while matches!(rows.last(), Some(Row::Blank)) {
        rows.pop();
    }
    let mut lines = vec![header];
    let mut start = 0;
    while start < rows.len() {
        let end = rows[start..]
            .iter()
            .position(|r| matches!(r, Row::Blank))
            .map_or(rows.len(), |p| start + p);
        lines.extend(group(&rows[start..end]));
        if end < rows.len() {
            lines.push(String::new());
        }
        start = end + 1;
    }
    if !block_attrs.is_empty() {
        if rows.iter().any(|r| !matches!(r, Row::Blank)) {
            lines.push(String::new());
        }
        lines.extend(block_attrs.into_iter().map(|a| format!("  {a}")));
    }
    lines.push("}".into());
    lines
}

fn group(rows: &[Row]) -> Vec<String> {
    let mut widths: Vec<usize> = Vec::new();
    let mut key_width = 0;
    for r in rows {
        match r {
            Row::Cells(cells, _) => {
                // Every cell widens its column, even a row's last (unpadded) cell.
                for (i, c) in cells.iter().enumerate() {
                    if widths.len() <= i {
                        widths.push(0);
                    }
                    widths[i] = widths[i].max(c.chars().count());
                }
            }
            Row::Setting(k, _, _) => key_width = key_width.max(k.chars().count()),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for r in rows {
        let line = match r {
            Row::Cells(cells, comment) => {
                let mut s = String::from("  ");
                for (i, c) in cells.iter().enumerate() {
                    if i + 1 < cells.len() {
                        s.push_str(c);
                        let pad = widths[i] - c.chars().count();
                        s.push_str(&" ".repeat(pad + 1));
                    } else {
                        s.push_str(c);
                    }
                }
                let mut s = s.trim_end().to_string();
                if let Some(c) = comment {
                    s.push(' ');
                    s.push_str(c);
                }
                s
            }
            Row::Setting(k, v, comment) => {
                let mut s = format!("  {k}{} = {v}", " ".repeat(key_width - k.chars().count()));
                if let Some(c) = comment {
                    s.push(' ');
                    s.push_str(c);
                }
                s
            }
            Row::Comment(c) => {
                let mut it = c.lines().map(|l| l.trim_end_matches('\r'));
                let mut s = format!("  {}", it.next().unwrap_or(""));
                for l in it {
                    s.push('\n');
                    s.push_str(l);
                }
                s
            }
            Row::Blank => String::new(),
        };
        out.push(line);
    }
    out
}
