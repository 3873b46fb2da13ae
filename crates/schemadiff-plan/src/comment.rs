//! The ONE way to write a `--` comment line of a SQL script.
//!
//! A `--` comment ends at a line break, and PostgreSQL (server and `psql`) takes both `\n` and
//! a lone `\r` as one. Text that reaches a comment (a `@map` name, an enum label, a default, a
//! legacy value of the mapping file, a file path…) may hold either, and whatever followed it
//! would run as SQL when the script is fed to `psql`. [`Comment`] is built only by
//! [`Comment::new`], which escapes every character that could end the line or make the line
//! read differently from what runs:
//!
//! - every control character (`\n`, `\r`, NUL, tab, DEL, C1 controls such as U+0085…): `\n`,
//!   `\r`, `\t` as those two-character spellings, the others as `\uXXXX`;
//! - the Unicode line and paragraph separators (U+2028, U+2029), which editors and review tools
//!   show as line breaks;
//! - the bidirectional formatting characters (U+061C, U+200E, U+200F, U+202A–U+202E,
//!   U+2066–U+2069) and the byte order mark U+FEFF, which reorder or hide text on screen.
//!
//! So a comment is always exactly one line, and it shows the text as it is. The renderer writes
//! comments only through this type.

use std::fmt;

/// One `--` comment line (without the line break), safe for any text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment(String);

impl Comment {
    /// `-- {text}` with every dangerous character escaped (see the module docs).
    pub fn new(text: &str) -> Comment {
        let mut line = String::with_capacity(text.len() + 3);
        line.push_str("-- ");
        escape_into(&mut line, text);
        Comment(line)
    }

    /// A bare `--` line (a separator).
    pub fn empty() -> Comment {
        Comment("--".into())
    }

    /// The line, without a line break.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Comment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// True for a character [`Comment::new`] escapes.
pub fn is_unsafe_in_comment(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}'
                | '\u{2029}'
                | '\u{061c}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
                | '\u{feff}'
        )
}

fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_unsafe_in_comment(c) => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_breaks_never_end_the_comment() {
        let c = Comment::new("a\nDROP TABLE x;\rDROP TABLE y;\r\nz");
        assert_eq!(c.as_str(), "-- a\\nDROP TABLE x;\\rDROP TABLE y;\\r\\nz");
        for t in [
            "\u{0}", "\u{b}", "\u{c}", "\u{7f}", "\u{85}", "\u{2028}", "\u{2029}", "\u{202e}",
            "\u{2066}", "\u{feff}",
        ] {
            let c = Comment::new(&format!("x{t}y"));
            assert!(
                !c.as_str().chars().any(is_unsafe_in_comment),
                "{t:?} kept: {c:?}"
            );
            assert_eq!(c.as_str().lines().count(), 1);
        }
    }

    #[test]
    fn ordinary_text_is_kept() {
        assert_eq!(
            Comment::new("Map 'Google Ads' → GOOGLE_ADS \\ \"q\" 有効").as_str(),
            "-- Map 'Google Ads' → GOOGLE_ADS \\ \"q\" 有効"
        );
    }
}
