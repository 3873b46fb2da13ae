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
