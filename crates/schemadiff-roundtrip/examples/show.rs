//! Prints the round-trip case of a seed, or writes it as a fixture directory:
//! `cargo run -p schemadiff-roundtrip --example show -- 42 [fixtures/roundtrip/42]`.

fn main() {
    let mut args = std::env::args().skip(1);
    let seed: u64 = args
        .next()
        .and_then(|s| s.parse().ok())
        .expect("usage: show SEED [DIR]");
    let c = schemadiff_roundtrip::generate(seed);
    if let Some(dir) = args.next() {
        let dir = std::path::Path::new(&dir);
        std::fs::create_dir_all(dir).expect("create the directory");
        let mut hazards = String::from("# hazard codes the round trip allows, one a line\n");
        for h in &c.allowed_hazards {
            hazards.push_str(h);
            hazards.push('\n');
        }
        for (name, text) in [
            ("from.prisma", &c.from),
            ("to.prisma", &c.to),
            ("mapping.toml", &c.mapping),
            ("rows.sql", &c.rows),
            ("hazards.txt", &hazards),
        ] {
            std::fs::write(dir.join(name), text).expect("write the case");
        }
        println!("wrote seed {seed} to {}", dir.display());
        return;
    }
    println!("// seed {seed}\n// changes:");
    for ch in &c.changes {
        println!("//   {ch}");
    }
    println!("// allowed hazards: {:?}", c.allowed_hazards);
    println!("// ---- from.prisma\n{}", c.from);
    println!("// ---- to.prisma\n{}", c.to);
    println!("// ---- mapping.toml\n{}", c.mapping);
    println!("// ---- rows.sql\n{}", c.rows);
}
