//! Rendering diagnostics the way rustc does: header, `-->` location, the source line, carets
//! under the culprit, a help line, and a summary line at the end.

use crate::diagnostics::{Diagnostic, Severity};

const RESET: &str = "\x1b[0m";
const BOLD: &str = "\x1b[1m";
const RED: &str = "\x1b[1;31m";
const YELLOW: &str = "\x1b[1;33m";
const BLUE: &str = "\x1b[1;34m";
const CYAN: &str = "\x1b[1;36m";

/// Longest source line shown whole; a longer one is shown as a window around the caret.
const MAX_SHOWN: usize = 160;
/// Characters of a long line shown around the caret.
const WINDOW: usize = 120;
/// Marks the text of a long line left out on either side of the window.
const ELLIPSIS: &str = "...";

/// What a diagnostic shows of its source line: the text (tabs as spaces), and the caret's
/// 1-based column and length in it. A line longer than [`MAX_SHOWN`] characters is cut to a
/// [`WINDOW`] around the caret, with [`ELLIPSIS`] where text is left out, so that a file of
/// one huge line gives a short message.
fn shown_line(
    source_line: &str,
    line_chars: usize,
    col: usize,
    carets: usize,
) -> (String, usize, usize) {
    let untab = |c: char| if c == '\t' { ' ' } else { c };
    if line_chars <= MAX_SHOWN {
        return (source_line.chars().map(untab).collect(), col, carets);
    }
    let begin = (col - 1)
        .saturating_sub(WINDOW / 2)
        .min(line_chars.saturating_sub(WINDOW));
    let end = (begin + WINDOW).min(line_chars);
    let mut shown = String::new();
    if begin > 0 {
        shown.push_str(ELLIPSIS);
    }
    let lead = shown.len();
    shown.extend(source_line.chars().skip(begin).take(end - begin).map(untab));
    if end < line_chars {
        shown.push_str(ELLIPSIS);
    }
    let col = (col - 1).clamp(begin, end) - begin + lead + 1;
    let last = lead + (end - begin); // 1-based column of the last character shown
    let carets = carets.min((last + 1).saturating_sub(col)).max(1);
    (shown, col, carets)
}

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
        // Carets: from the column to the end of the span, within this line, at least one.
        let line_chars = source_line.chars().count();
        let span_end_col = if line_col(text, d.span.end).0 == line {
            line_col(text, d.span.end).1
        } else {
            line_chars + 1
        };
        let n = span_end_col.saturating_sub(col).max(1);
        let (shown, col, n) = shown_line(source_line, line_chars, col, n);
        out.push_str(&format!("{pad}{}\n", paint(BLUE, " |")));
        out.push_str(&format!(
            "{}{}",
            paint(BLUE, &format!("{line:>width$} |")),
            if shown.is_empty() { "" } else { " " }
        ));
        out.push_str(&shown);
        out.push('\n');
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

    /// A file of one huge line: the message shows a window of the line around the caret, not
    /// the line (it used to copy the whole line and a caret under every character of the span).
    #[test]
    fn a_long_line_is_shown_as_a_window_around_the_caret() {
        let filler = "x".repeat(5_000_000);
        let text = format!("model U {{ id Int @id {filler} Strin {filler} }}");
        let start = text.find("Strin").unwrap();
        let d = Diagnostic::error(
            "unknown-type",
            Span::new(start, text.len()),
            "type `Strin` is unknown",
        );
        let out = render_diagnostics(&[d], "x.prisma", &text, false);
        assert!(out.len() < 1_000, "{} bytes", out.len());
        let lines: Vec<&str> = out.lines().collect();
        let shown = lines[3].strip_prefix(" 1 | ").expect(lines[3]);
        assert!(
            shown.starts_with("...x") && shown.ends_with("x..."),
            "{shown}"
        );
        assert_eq!(shown.chars().count(), WINDOW + 2 * ELLIPSIS.len());
        // The caret is still under `Strin`, and the carets stop at the window's end.
        let carets = lines[4].strip_prefix("   | ").expect(lines[4]);
        let at = carets.find('^').unwrap();
        assert_eq!(&shown[at..at + 5], "Strin");
        assert_eq!(carets.len(), shown.len() - ELLIPSIS.len());
        // The location still names the real column.
        assert!(
            lines[1].ends_with(&format!("x.prisma:1:{}", start + 1)),
            "{}",
            lines[1]
        );
    }

    #[test]
    fn a_line_up_to_the_limit_is_shown_whole() {
        let text = format!("{}Strin", " ".repeat(MAX_SHOWN - 5));
        let d = Diagnostic::error("unknown-type", Span::new(MAX_SHOWN - 5, MAX_SHOWN), "t");
        let out = render_diagnostics(&[d], "x", &text, false);
        assert!(out.contains(&format!(" 1 | {text}\n")), "{out}");
        // Near the start of a long line: no ellipsis before, the caret where it was.
        let text = format!("Strin{}", "y".repeat(MAX_SHOWN));
        let d = Diagnostic::error("unknown-type", Span::new(0, 5), "t");
        let out = render_diagnostics(&[d], "x", &text, false);
        let expected = format!(" 1 | Strin{}...\n   | ^^^^^\n", "y".repeat(WINDOW - 5));
        assert!(out.contains(&expected), "{out}");
    }
}
