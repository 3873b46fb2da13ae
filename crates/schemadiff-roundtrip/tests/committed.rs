//! Every committed case under `fixtures/roundtrip/<seed>/` (a failure once found, now a
//! regression test) still passes, each case its own test named after its folder (`harness =
//! false`, see `schemadiff_testkit::cases`). `SCHEMADIFF_ROUNDTRIP_DIR=/path` replays the cases
//! saved under another directory instead (for example the temporary directory a failure report
//! names). `no_orphan_files` fails on a file of `fixtures/roundtrip/` that belongs to no case.

mod common;

use common::{Input, fixture_root, report, run};
use schemadiff_testkit::{TestDb, cases};
use std::path::Path;

/// The files a committed case holds (`SCHEMADIFF_ROUNDTRIP_SAVE=1` writes them).
const CASE_FILES: [&str; 5] = [
    "from.prisma",
    "to.prisma",
    "mapping.toml",
    "rows.sql",
    "hazards.txt",
];

fn replay(dir: &Path) -> Result<(), String> {
    let name = dir.file_name().unwrap().to_string_lossy().into_owned();
    let db = TestDb::create(&format!("roundtrip_replay_{name}"));
    let input = Input::from_dir(dir);
    run(&db, &input, None)
        .map(|_| ())
        .map_err(|f| report(&input, None, &f))
}

fn main() {
    let root = std::env::var_os("SCHEMADIFF_ROUNDTRIP_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(fixture_root);
    let dirs: Vec<_> = cases::entries(&root)
        .into_iter()
        .filter(|p| p.join("from.prisma").exists())
        .collect();
    let count = dirs.len();
    let shown = root.display().to_string();
    let mut trials = vec![cases::trial("case_count", move || {
        if count > 0 {
            Ok(())
        } else {
            Err(format!("no case under {shown}"))
        }
    })];
    for d in dirs {
        let name = d.file_name().unwrap().to_string_lossy().into_owned();
        trials.push(cases::trial(name, move || replay(&d)));
    }
    let fixtures = fixture_root();
    trials.push(cases::trial("no_orphan_files", move || {
        let orphans = cases::orphans(&fixtures, |rel| {
            let (Some(case), Some(file)) = (rel.parent(), rel.file_name().and_then(|f| f.to_str()))
            else {
                return false;
            };
            case.components().count() == 1
                && fixtures.join(case).join("from.prisma").exists()
                && CASE_FILES.contains(&file)
        });
        cases::no_orphans(&fixtures, orphans)
    }));
    cases::run(trials);
}
