//! Times `schemadiff_dsl::load` on generated schemas (the same shape as `schemadiff-bench
//! --generated N`: N models × 20 fields, a chain of relations, a second variant changing a fifth
//! of the models). Run: `cargo run --release -p schemadiff-dsl --example load_bench -- 10000`.

use std::time::Instant;

/// A schema of `models` models × 20 fields; `variant` 1 changes a fifth of them.
fn generate(models: usize, variant: u8) -> String {
    let mut s = String::with_capacity(models * 900);
    s.push_str("enum Status {\n  ACTIVE\n  PAUSED\n");
    if variant == 1 {
        s.push_str("  ARCHIVED\n");
    }
    s.push_str("}\n\n");
    for m in 0..models {
        let changed = variant == 1 && m % 5 == 0;
        s.push_str(&format!(
            "model M{m} {{\n  id Int @id @default(autoincrement())\n"
        ));
        for f in 0..16 {
            let ty = match f % 4 {
                0 => "String",
                1 => "Int?",
                2 => "DateTime @default(now())",
                _ => "Boolean @default(false)",
            };
            s.push_str(&format!("  f{f} {ty}\n"));
        }
        s.push_str(if changed {
            "  status Status @default(ACTIVE)\n"
        } else {
            "  status String @default(\"active\")\n"
        });
        if m > 0 {
            s.push_str(&format!(
                "  parentId Int?\n  parent M{} @relation(fields: [parentId], references: [id])\n",
                m - 1
            ));
        } else {
            s.push_str("  parentId Int?\n");
        }
        if m + 1 < models {
            s.push_str(&format!("  children M{}[]\n", m + 1));
        }
        if changed {
            s.push_str("  extra String?\n\n  @@index([f0, f1])\n");
        }
        s.push_str("}\n\n");
    }
    s
}

fn main() {
    let models: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000);
    let runs: usize = std::env::args()
        .nth(2)
        .and_then(|a| a.parse().ok())
        .unwrap_or(3);
    let (a, b) = (generate(models, 0), generate(models, 1));
    for _ in 0..runs {
        let t = Instant::now();
        let from = schemadiff_dsl::load("from.prisma", &a);
        let to = schemadiff_dsl::load("to.prisma", &b);
        let elapsed = t.elapsed();
        assert!(from.diagnostics.is_empty() && to.diagnostics.is_empty());
        let t = Instant::now();
        drop((from, to));
        println!(
            "{models} models: load both {:.1} ms (drop {:.1} ms)",
            elapsed.as_secs_f64() * 1000.0,
            t.elapsed().as_secs_f64() * 1000.0
        );
    }
}
