//! Splits a SQL script into statements without parsing them.
//!
//! The splitter knows PostgreSQL's lexical rules that matter for finding statement ends:
//! single-quoted strings (with `''` escapes, and backslash escapes in `E'…'`), quoted
//! identifiers, `--` line comments, nested `/* … */` block comments and dollar quoting
//! (`$$ … $$`, `$tag$ … $tag$`). A `;` inside any of these does not end a statement.
//! Lines that start with a backslash at the start of a statement (psql meta-commands such
//! as pg_dump's `\restrict`) are dropped. Statements made only of comments are dropped.

/// One statement of a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawStatement {
    /// The statement text, from its first token up to (not including) the `;`.
    pub text: String,
    /// The 1-based line of the statement's first token.
    pub line: usize,
}

/// Splits `sql` into statements (see the module documentation).
pub fn split_statements(sql: &str) -> Vec<RawStatement> {
    let bytes = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut line = 1;
    // Start of the current statement's first token, and its line.
    let mut start: Option<(usize, usize)> = None;

    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'\n' => {
                line += 1;
                i += 1;
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let mut depth = 0usize;
                while i < bytes.len() {
                    if bytes[i] == b'/' && bytes.get(i + 1) == Some(&b'*') {
                        depth += 1;
                        i += 2;
                    } else if bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/') {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        if bytes[i] == b'\n' {
                            line += 1;
                        }
                        i += 1;
                    }
                }
            }
            b'\\' if start.is_none() => {
                // psql meta-command: skip the rest of the line.
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b';' => {
                if let Some((s, l)) = start.take() {
                    out.push(RawStatement {
                        text: sql[s..i].trim_end().to_string(),
                        line: l,
                    });
                }
                i += 1;
            }
            c if c.is_ascii_whitespace() => i += 1,
            _ => {
                if start.is_none() {
                    start = Some((i, line));
                }
                i = skip_token(bytes, i, &mut line);
            }
        }
    }
    if let Some((s, l)) = start {
        let text = sql[s..].trim_end().to_string();
        if !text.is_empty() {
            out.push(RawStatement { text, line: l });
        }
    }
    out
}

/// Skips one lexical unit starting at `i` (a quoted string or identifier, a dollar-quoted
/// body, or a single other byte) and returns the index after it. Counts newlines.
fn skip_token(bytes: &[u8], i: usize, line: &mut usize) -> usize {
    let c = bytes[i];
    let prev_ident = i > 0 && is_ident_byte(bytes[i - 1]);
    match c {
        b'\'' => {
            let escapes = i > 0 && matches!(bytes[i - 1], b'e' | b'E') && {
                // `E'…'` only when the E is a whole token, not the end of an identifier.
                i < 2 || !is_ident_byte(bytes[i - 2])
            };
            skip_quoted(bytes, i, b'\'', escapes, line)
        }
        b'"' => skip_quoted(bytes, i, b'"', false, line),
        b'$' if !prev_ident => match dollar_tag(bytes, i) {
            Some(tag_len) => {
                let tag = &bytes[i..i + tag_len];
                let mut j = i + tag_len;
                while j < bytes.len() {
                    if bytes[j..].starts_with(tag) {
                        return j + tag_len;
                    }
                    if bytes[j] == b'\n' {
                        *line += 1;
                    }
                    j += 1;
                }
                j
            }
            None => i + 1,
        },
        _ => i + 1,
    }
}

fn skip_quoted(bytes: &[u8], i: usize, quote: u8, escapes: bool, line: &mut usize) -> usize {
    let mut j = i + 1;
    while j < bytes.len() {
        let b = bytes[j];
        if b == b'\n' {
            *line += 1;
        }
        if escapes && b == b'\\' {
            j += 2;
            continue;
        }
        if b == quote {
            if bytes.get(j + 1) == Some(&quote) {
                j += 2;
                continue;
            }
            return j + 1;
        }
        j += 1;
    }
    j
}

/// The length of a dollar-quote opening tag (`$$` or `$name$`) at `i`, if there is one.
fn dollar_tag(bytes: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    if bytes.get(j).is_some_and(|b| b.is_ascii_digit()) {
        return None; // `$1` is a parameter
    }
    while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_') {
        j += 1;
    }
    (bytes.get(j) == Some(&b'$')).then_some(j + 1 - i)
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(sql: &str) -> Vec<(String, usize)> {
        split_statements(sql)
            .into_iter()
            .map(|s| (s.text, s.line))
            .collect()
    }

    #[test]
    fn splits_on_semicolons_and_tracks_lines() {
        let got = texts("CREATE TABLE a (x int);\n\nCREATE TABLE b (y int);\nSELECT 1");
        assert_eq!(
            got,
            vec![
                ("CREATE TABLE a (x int)".to_string(), 1),
                ("CREATE TABLE b (y int)".to_string(), 3),
                ("SELECT 1".to_string(), 4),
            ]
        );
    }

    #[test]
    fn semicolons_inside_strings_and_identifiers_do_not_split() {
        let got =
            texts("INSERT INTO t VALUES ('a;b', 'it''s;');\nCREATE TABLE \"x;y\" (\"c;\" int);");
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].0, "INSERT INTO t VALUES ('a;b', 'it''s;')");
        assert_eq!(got[1].0, "CREATE TABLE \"x;y\" (\"c;\" int)");
        assert_eq!(got[1].1, 2);
    }

    #[test]
    fn escape_strings_allow_backslash_quotes() {
        let got = texts("SELECT E'a\\';b';SELECT 2;");
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].0, "SELECT E'a\\';b'");
    }

    #[test]
    fn dollar_quotes_hide_semicolons() {
        let sql = "CREATE FUNCTION f() RETURNS trigger AS $$\nBEGIN\n  x := 1;\n  RETURN NEW;\nEND;\n$$ LANGUAGE plpgsql;\nDO $body$ BEGIN PERFORM 1; END $body$;\nSELECT $1;";
        let got = texts(sql);
        assert_eq!(got.len(), 3, "{got:#?}");
        assert!(got[0].0.ends_with("$$ LANGUAGE plpgsql"));
        assert_eq!(
            got[1],
            ("DO $body$ BEGIN PERFORM 1; END $body$".to_string(), 7)
        );
        assert_eq!(got[2], ("SELECT $1".to_string(), 8));
    }

    #[test]
    fn nested_dollar_tags_only_close_on_the_same_tag() {
        let got = texts("DO $a$ BEGIN EXECUTE $$ x; $$; END $a$; SELECT 1;");
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].0, "DO $a$ BEGIN EXECUTE $$ x; $$; END $a$");
    }

    #[test]
    fn comments_are_skipped_and_comment_only_statements_dropped() {
        let sql = "-- CreateEnum\nCREATE TYPE \"R\" AS ENUM ('A'); -- trailing; comment\n/* block; /* nested; */ still; */\n-- only a comment;\n";
        let got = texts(sql);
        assert_eq!(
            got,
            vec![("CREATE TYPE \"R\" AS ENUM ('A')".to_string(), 2)]
        );
    }

    #[test]
    fn comments_inside_a_statement_keep_it_whole() {
        let got = texts("CREATE TABLE t (\n  a int, -- first; column\n  b int /* ; */\n);");
        assert_eq!(got.len(), 1);
        assert!(got[0].0.contains("b int"));
    }

    #[test]
    fn psql_meta_commands_are_dropped() {
        let got = texts("\\restrict abc\nSET x = 1;\n\\unrestrict abc\n");
        assert_eq!(got, vec![("SET x = 1".to_string(), 2)]);
    }

    #[test]
    fn identifiers_with_dollar_are_not_dollar_quotes() {
        let got = texts("SELECT a$b$ FROM t; SELECT 2;");
        assert_eq!(got.len(), 2);
    }

    #[test]
    fn unterminated_input_does_not_panic() {
        for sql in [
            "SELECT 'abc",
            "SELECT \"x",
            "DO $$ BEGIN",
            "/* open",
            "SELECT E'\\",
        ] {
            let got = split_statements(sql);
            assert!(got.len() <= 1, "{sql}: {got:?}");
        }
    }
}
