//! Loads a schema file and prints its diagnostics and lowered model: `cargo run --example check -- FILE`.
fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: check FILE [--fmt|--print]");
        std::process::exit(2);
    };
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let mode = std::env::args().nth(2).unwrap_or_default();
    let lowered = schemadiff_dsl::load(&path, &text);
    match mode.as_str() {
        "--fmt" => match schemadiff_dsl::format(&text) {
            Ok(s) => print!("{s}"),
            Err(d) => eprint!(
                "{}",
                schemadiff_dsl::render_diagnostics(&d, &path, &text, false)
            ),
        },
        "--print" => print!("{}", schemadiff_dsl::print_schema(&lowered.schema)),
        _ => {
            eprint!(
                "{}",
                schemadiff_dsl::render_diagnostics(&lowered.diagnostics, &path, &text, false)
            );
            println!("{:#?}", lowered.schema);
        }
    }
}
