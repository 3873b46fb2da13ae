//! Default constraint and index names, the way Prisma names them.
//!
//! `{table}_pkey`, `{table}_{cols}_key`, `{table}_{cols}_idx`, `{table}_{cols}_fkey`.
//! When the result would pass PostgreSQL's 63-byte identifier limit, the part before the
//! suffix is cut (on a UTF-8 character boundary) so that the whole name fits.

/// PostgreSQL's maximum identifier length in bytes (`NAMEDATALEN - 1`).
pub const MAX_IDENTIFIER_LEN: usize = 63;

/// Builds a default name from a table, its columns and a suffix (`pkey`, `key`, `idx`, `fkey`).
///
/// `constraint_name("User", &[], "pkey")` is `User_pkey`;
/// `constraint_name("User", &["tenantId", "isActive"], "idx")` is `User_tenantId_isActive_idx`.
pub fn constraint_name(table: &str, columns: &[&str], suffix: &str) -> String {
    let mut stem = table.to_string();
    for c in columns {
        stem.push('_');
        stem.push_str(c);
    }
    let suffix = format!("_{suffix}");
    let limit = MAX_IDENTIFIER_LEN - suffix.len();
    if stem.len() > limit {
        let mut cut = limit;
        while !stem.is_char_boundary(cut) {
            cut -= 1;
        }
        stem.truncate(cut);
    }
    stem + &suffix
}

/// PostgreSQL's `makeObjectName(name1, name2, label)`: `{name1}_{name2}_{label}`, the two
/// names shortened in turn, the longer one first (on a character boundary), until the whole
/// fits in [`MAX_IDENTIFIER_LEN`] bytes. The default names PostgreSQL gives constraints and
/// indexes it creates itself.
pub fn make_object_name(name1: &str, name2: Option<&str>, label: &str) -> String {
    let overhead = label.len() + 1 + usize::from(name2.is_some());
    let avail = MAX_IDENTIFIER_LEN.saturating_sub(overhead);
    let mut n1 = name1.len();
    let mut n2 = name2.map_or(0, str::len);
    while n1 + n2 > avail {
        if n1 > n2 {
            n1 -= 1;
        } else {
            n2 -= 1;
        }
    }
    let mut out = clip(name1, n1).to_string();
    if let Some(n2s) = name2 {
        out.push('_');
        out.push_str(clip(n2s, n2));
    }
    out.push('_');
    out.push_str(label);
    out
}

fn clip(s: &str, mut n: usize) -> &str {
    while !s.is_char_boundary(n) {
        n -= 1;
    }
    &s[..n]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_are_joined() {
        assert_eq!(constraint_name("User", &[], "pkey"), "User_pkey");
        assert_eq!(
            constraint_name("User", &["tenantId", "isActive"], "idx"),
            "User_tenantId_isActive_idx"
        );
    }

    #[test]
    fn long_names_are_cut_before_the_suffix() {
        let n = constraint_name(
            "kitchens",
            &[
                "aVeryLongFieldNameThatKeepsGoingAndGoingForever",
                "anotherVeryLongFieldNameThatNeverEnds",
            ],
            "key",
        );
        assert_eq!(
            n,
            "kitchens_aVeryLongFieldNameThatKeepsGoingAndGoingForever_an_key"
        );
        assert_eq!(n.len(), 63);
        assert!(n.ends_with("_key"));
        assert!(n.starts_with("kitchens_aVeryLongFieldName"));
    }

    #[test]
    fn cut_respects_char_boundaries() {
        let n = constraint_name(&"é".repeat(40), &[], "pkey");
        assert!(n.len() <= 63);
        assert!(n.ends_with("_pkey"));
    }
}
