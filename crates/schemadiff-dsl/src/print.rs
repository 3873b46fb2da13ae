//! The printer: writes a model as schema text.
pub fn print_schema(_s: &schemadiff_model::Schema) -> String {
    String::new()
}
