//! Benchmarks for schemadiff (not a test: it reports figures, it does not assert speed).
//!
//! `cargo build --release -p schemadiff-cli && cargo run --release -p schemadiff-bench --bin schemadiff-bench`
//! reports:
//! - the seed plan (v1.2 → v2.0 with its mapping file) in-process, median of many runs;
//! - the seed plan as a whole `schemadiff plan` process, median of many runs;
//! - parse + diff + plan + render of generated schemas with 1k and 10k models × 20 fields,
//!   each measured in a child process so its peak memory (VmHWM) is its own.
//!
//! Targets (docs/performance.md): seed plan under 10 ms as a whole process; 10k models under 1 s.

use schemadiff_bench::{SEED_PLAN_ARGS, median, ms, seed_mapping, sibling_binary, workspace_root};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() == 3 && args[1] == "--generated" {
        let models: usize = args[2].parse().expect("model count");
        generated_case(models);
        return;
    }
    let root = workspace_root();
    let seed_runs = 200;
    let inproc = median(
        (0..seed_runs)
            .map(|_| time(|| seed_plan_in_process(&root)))
            .collect(),
    );
    println!(
        "seed plan, in-process:        median {:>9.3} ms over {seed_runs} runs",
        ms(inproc)
    );

    let bin = sibling_binary("schemadiff");
    let proc_runs = 50;
    let whole = median(
        (0..proc_runs)
            .map(|_| time(|| seed_plan_process(&bin, &root)))
            .collect(),
    );
    println!(
        "seed plan, whole process:     median {:>9.3} ms over {proc_runs} runs ({})",
        ms(whole),
        bin.display()
    );

    let me = std::env::current_exe().expect("current exe");
    for models in [1_000usize, 10_000] {
        let out = Command::new(&me)
            .args(["--generated", &models.to_string()])
            .output()
            .expect("run child");
        assert!(
            out.status.success(),
            "child failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        print!("{}", String::from_utf8_lossy(&out.stdout));
    }
}

fn time(f: impl FnOnce()) -> Duration {
    let t = Instant::now();
    f();
    t.elapsed()
}

fn seed_plan_in_process(root: &Path) {
    let read = |p: &str| std::fs::read_to_string(root.join(p)).expect("seed file");
    let (a, b) = (read("schemas/v1.2.prisma"), read("schemas/v2.0.prisma"));
    let from = schemadiff_dsl::load("v1.2.prisma", &a);
    let to = schemadiff_dsl::load("v2.0.prisma", &b);
    let mapping = seed_mapping(&from, &to);
    let plan = schemadiff_plan::plan(&from.schema, &to.schema, &mapping).expect("plan");
    let opts = schemadiff_render::RenderOptions {
        from_label: "v1.2".into(),
        to_label: "v2.0".into(),
        not_managed: None,
    };
    let sql = schemadiff_render::render_sql(&plan, &opts);
    assert!(!sql.is_empty());
}

fn seed_plan_process(bin: &Path, root: &Path) {
    let out = Command::new(bin)
        .current_dir(root)
        .args(SEED_PLAN_ARGS)
        .output()
        .expect("run schemadiff");
    assert!(
        out.status.success(),
        "schemadiff plan failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

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

fn generated_case(models: usize) {
    let (a, b) = (generate(models, 0), generate(models, 1));
    let t = Instant::now();
    let from = schemadiff_dsl::load("from.prisma", &a);
    let to = schemadiff_dsl::load("to.prisma", &b);
    let parse = t.elapsed();
    assert!(
        from.diagnostics.is_empty(),
        "generated schema invalid: {:?}",
        from.diagnostics.first().map(|d| &d.message)
    );
    let t = Instant::now();
    let plan = schemadiff_plan::plan(&from.schema, &to.schema, &schemadiff_plan::Mapping::empty())
        .expect("plan");
    let planned = t.elapsed();
    let t = Instant::now();
    let opts = schemadiff_render::RenderOptions {
        from_label: "from".into(),
        to_label: "to".into(),
        not_managed: None,
    };
    let sql = schemadiff_render::render_sql(&plan, &opts);
    let rendered = t.elapsed();
    println!(
        "{models:>6} models x 20 fields: parse+lower {:>8.1} ms, diff+plan {:>8.1} ms, render {:>7.1} ms, total {:>8.1} ms, {} steps, {} KiB SQL, peak RSS {} MiB",
        ms(parse),
        ms(planned),
        ms(rendered),
        ms(parse + planned + rendered),
        plan.steps.len(),
        sql.len() / 1024,
        peak_rss_mib()
    );
}

fn peak_rss_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kb| kb / 1024)
        .unwrap_or(0)
}
