//! Rendering diagnostics the way rustc does: header, `-->` location, the source line, carets
//! under the culprit, a help line, and a summary line at the end.

use crate::diagnostics::{Diagnostic, Severity};

const RESET: &str = "\x1b[0m";
const BOLD: &str = "\x1b[1m";
const RED: &str = "\x1b[1;31m";
const YELLOW: &str = "\x1b[1;33m";
const BLUE: &str = "\x1b[1;34m";
const CYAN: &str = "\x1b[1;36m";

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, text[line_start..offset].chars().count() + 1)
}

/// Renders diagnostics exactly as the command line prints them, ending with a summary line.
pub fn render_diagnostics(diags: &[Diagnostic], path: &str, text: &str, color: bool) -> String {
    let paint = |code: &str, s: &str| {
        if color {
            format!("{code}{s}{RESET}")
        } else {
            s.to_string()
        }
    };
    let mut sorted: Vec<&Diagnostic> = diags.iter().collect();
    sorted.sort_by_key(|d| (d.span.start, d.span.end));
    let max_line = sorted
        .iter()
        .map(|d| line_col(text, d.span.start).0)
        .max()
        .unwrap_or(1);
    let width = max_line.to_string().len() + 1;
    let pad = " ".repeat(width);
    let mut out = String::new();
    for d in &sorted {
        let (label, tone) = match d.severity {
            Severity::Error => ("error", RED),
            Severity::Warning => ("warning", YELLOW),
        };
        out.push_str(&paint(tone, &format!("{label}[{}]", d.code)));
        out.push_str(&paint(BOLD, &format!(": {}", d.message)));
        out.push('\n');
        let (line, col) = line_col(text, d.span.start);
        out.push_str(&format!(
            "{}{} {path}:{line}:{col}\n",
            " ".repeat(width),
            paint(BLUE, "-->")
        ));
        let source_line = text
            .split('\n')
            .nth(line - 1)
            .unwrap_or("")
            .trim_end_matches('\r');
        let shown: String = source_line
            .chars()
            .map(|c| if c == '\t' { ' ' } else { c })
            .collect();
        out.push_str(&format!("{pad}{}\n", paint(BLUE, " |")));
        out.push_str(&format!(
            "{}{}",
            paint(BLUE, &format!("{line:>width$} |")),
            if shown.is_empty() { "" } else { " " }
        ));
        out.push_str(&shown);
        out.push('\n');
        // Carets: from the column to the end of the span, within this line, at least one.
        let line_chars = source_line.chars().count();
        let span_end_col = if line_col(text, d.span.end).0 == line {
            line_col(text, d.span.end).1
        } else {
            line_chars + 1
        };
        let n = span_end_col.saturating_sub(col).max(1);
        out.push_str(&format!(
            "{pad}{} {}{}\n",
            paint(BLUE, " |"),
            " ".repeat(col - 1),
            paint(tone, &"^".repeat(n))
        ));
        if let Some(h) = &d.help {
            out.push_str(&format!(
                "{pad}{} {}: {h}\n",
                paint(BLUE, " ="),
                paint(CYAN, "help")
            ));
        }
        out.push('\n');
    }
    let errors = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = diags.len() - errors;
    let plural = |n: usize, w: &str| {
        if n == 1 {
            format!("{n} {w}")
        } else {
            format!("{n} {w}s")
        }
    };
    if errors > 0 {
        let mut s = format!(": could not validate `{path}`: {}", plural(errors, "error"));
        if warnings > 0 {
            s.push_str(&format!(", {}", plural(warnings, "warning")));
        }
        out.push_str(&paint(RED, "error"));
        out.push_str(&paint(BOLD, &s));
        out.push('\n');
    } else if warnings > 0 {
        out.push_str(&paint(YELLOW, "warning"));
        out.push_str(&paint(
            BOLD,
            &format!(": `{path}`: {}", plural(warnings, "warning")),
        ));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::Span;

    #[test]
    fn renders_like_rustc() {
        let text = "model U {\n  id Int @id\n  email    Strin   @unique\n}\n";
        let start = text.find("Strin").unwrap();
        let d = Diagnostic::error(
            "unknown-type",
            Span::new(start, start + 5),
            "type `Strin` is unknown",
        )
        .with_help("did you mean `String`?");
        let out = render_diagnostics(&[d], "x.prisma", text, false);
        assert_eq!(
            out,
            "error[unknown-type]: type `Strin` is unknown\n  --> x.prisma:3:12\n   |\n 3 |   email    Strin   @unique\n   |            ^^^^^\n   = help: did you mean `String`?\n\nerror: could not validate `x.prisma`: 1 error\n"
        );
        let colored = render_diagnostics(&[], "x", text, true);
        assert_eq!(colored, "");
    }
}
