//! Progress of a long apply on the terminal: the size and row estimate of each table a plan
//! rewrites (printed before the confirmation), and while the plan runs a spinner with the
//! elapsed time of the running statement, which becomes a bar with an estimate when
//! PostgreSQL reports the statement's progress (index builds: `pg_stat_progress_create_index`;
//! `pg_stat_progress_cluster`), polled on a second connection. Only on a terminal (stderr):
//! otherwise nothing is drawn and no second connection is opened.

use indicatif::{ProgressBar, ProgressStyle};
use schemadiff_model::QualifiedName;
use schemadiff_postgres::progress::{TableSize, statement_progress};
use std::io::IsTerminal;
use std::time::Duration;

/// The tables a plan rewrites (steps with a `table-rewrite` hazard), in plan order.
pub fn rewritten_tables(plan: &schemadiff_plan::Plan) -> Vec<QualifiedName> {
    let mut out: Vec<QualifiedName> = Vec::new();
    for h in plan.hazards.iter().filter(|h| h.code == "table-rewrite") {
        let object = &plan.steps[h.step].object;
        let t = match object.split_once('.') {
            Some((schema, name)) => QualifiedName::new(schema, name),
            None => QualifiedName::public(object.as_str()),
        };
        if !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

/// One line per table: `Campaign: 12.3 MiB, about 100000 rows (estimate)`.
pub fn size_line(s: &TableSize) -> String {
    let rows = match s.rows_estimate {
        Some(n) => format!("about {n} row(s) (planner estimate)"),
        None => "row count unknown (never analysed)".to_string(),
    };
    format!(
        "{} is rewritten: {} on disk with its indexes, {rows}",
        s.table,
        human_bytes(s.bytes)
    )
}

/// `1.5 MiB`-style sizes.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// The live display of an apply; inert when stderr is not a terminal.
pub struct Live {
    bar: Option<ProgressBar>,
    poller: Option<tokio::task::JoinHandle<()>>,
}

impl Live {
    /// Starts the display. `watch` is a second connection and the apply session's backend pid
    /// (to poll what PostgreSQL reports); without it only the spinner runs.
    pub fn start(watch: Option<(schemadiff_postgres::Client, i32)>) -> Live {
        if !std::io::stderr().is_terminal() {
            return Live {
                bar: None,
                poller: None,
            };
        }
        let bar = ProgressBar::new_spinner();
        bar.set_style(spinner_style());
        bar.enable_steady_tick(Duration::from_millis(120));
        let poller = watch.map(|(client, pid)| {
            let bar = bar.clone();
            tokio::spawn(async move {
                let mut with_bar = false;
                loop {
                    tokio::time::sleep(Duration::from_millis(250)).await;
                    match statement_progress(&client, pid).await {
                        Ok(Some(p)) if p.total > 0 => {
                            if !with_bar {
                                bar.set_style(bar_style());
                                with_bar = true;
                            }
                            bar.set_length(p.total);
                            bar.set_position(p.done.min(p.total));
                            bar.set_prefix(format!("{} ({})", p.phase, p.unit));
                        }
                        Ok(Some(p)) => bar.set_prefix(p.phase),
                        Ok(None) => {
                            if with_bar {
                                bar.set_style(spinner_style());
                                with_bar = false;
                            }
                            bar.set_prefix("");
                        }
                        // The watching connection failed: keep the spinner, stop polling.
                        Err(_) => break,
                    }
                }
            })
        });
        Live {
            bar: Some(bar),
            poller,
        }
    }

    /// A statement starts: the spinner shows it, with its own elapsed time.
    pub fn statement(&self, text: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(text.to_string());
            bar.set_prefix("");
            bar.reset_elapsed();
        }
    }

    /// Prints a line above the display (or on stderr without one).
    pub fn println(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.suspend(|| eprintln!("{line}")),
            None => eprintln!("{line}"),
        }
    }

    /// Stops polling and clears the display.
    pub fn finish(self) {
        if let Some(p) = &self.poller {
            p.abort();
        }
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

fn spinner_style() -> ProgressStyle {
    ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg} {prefix}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
}

fn bar_style() -> ProgressStyle {
    ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {msg}\n  {wide_bar} {percent}% {prefix}, about {eta} left",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_well() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(5 * 1024 * 1024 * 1024), "5.0 GiB");
        let s = TableSize {
            table: QualifiedName::new("app", "Campaign"),
            bytes: 3 * 1024 * 1024,
            rows_estimate: Some(42000),
        };
        assert_eq!(
            size_line(&s),
            "app.Campaign is rewritten: 3.0 MiB on disk with its indexes, about 42000 row(s) (planner estimate)"
        );
    }
}
