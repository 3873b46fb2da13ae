//! Fuzz target: loading and formatting arbitrary bytes never panics or hangs.
//! Run with `just fuzz 60` (stable toolchain, no sanitizer: `cargo fuzz run -s none parse`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // The hand-written fast path must agree with the grammar on every file it accepts.
    if let Some(fast) = schemadiff_dsl::parse::parse_fast(&text) {
        let slow = schemadiff_dsl::parse::parse_slow(&text);
        assert_eq!(format!("{fast:?}"), format!("{slow:?}"), "fast path and grammar disagree");
    }
    let lowered = schemadiff_dsl::load("fuzz.prisma", &text);
    let _ = schemadiff_dsl::render_diagnostics(&lowered.diagnostics, "fuzz.prisma", &text, false);
    if let Ok(formatted) = schemadiff_dsl::format(&text) {
        assert_eq!(schemadiff_dsl::format(&formatted).ok().as_deref(), Some(formatted.as_str()), "format is not idempotent");
    }
});
