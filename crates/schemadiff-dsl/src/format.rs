//! The formatter: rewrites a file in the canonical layout.
pub fn format(text: &str) -> Result<String, Vec<crate::Diagnostic>> {
    Ok(text.to_string())
}
