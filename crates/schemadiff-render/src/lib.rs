//! Renders a plan as a reviewable PostgreSQL script, as JSON for tools, or as Markdown for a
//! pull-request comment. The statement text itself comes from `schemadiff-plan` (one quoting
//! function each, re-exported here); this crate only lays it out.

use schemadiff_plan::{Comment, MappingSource, Plan, Step};
use serde::Serialize;
use std::fmt::Write;

pub use schemadiff_plan::Comment as SqlComment;
pub use schemadiff_plan::{quote_ident, quote_literal};

/// Labels of the two sides, shown in headers, and what the plan leaves alone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RenderOptions {
    /// Where the plan starts (file, URL without password, `empty`).
    pub from_label: String,
    /// Where it goes.
    pub to_label: String,
    /// Objects of the sources that schemadiff does not manage (left untouched), one line each.
    /// `None`: say nothing about them. `Some`: the SQL script lists them in comments at the top
    /// (when there are any), the JSON plan ends with a `not_managed` array (always, possibly
    /// empty), the Markdown summary ends with a section (when there are any).
    pub not_managed: Option<Vec<String>>,
}

impl RenderOptions {
    /// Labels only; nothing said about objects not managed.
    pub fn labels(from: impl Into<String>, to: impl Into<String>) -> RenderOptions {
        RenderOptions {
            from_label: from.into(),
            to_label: to.into(),
            not_managed: None,
        }
    }

    fn notes(&self) -> &[String] {
        self.not_managed.as_deref().unwrap_or_default()
    }
}

fn counts_line(plan: &Plan) -> String {
    plan.counts()
        .iter()
        .map(|(k, n)| format!("{} {n}", k.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The SQL script being written. Its only ways to add text are a [`Comment`] (built by
/// `Comment::new`, which escapes anything that could end the line), a planned statement, and
/// fixed keywords: no text from a name, a value or a label reaches the script any other way.
struct Script {
    out: String,
}

impl Script {
    fn comment(&mut self, c: Comment) {
        self.out.push_str(c.as_str());
        self.out.push('\n');
    }

    /// A comment line `-- {text}`.
    fn note(&mut self, text: &str) {
        self.comment(Comment::new(text));
    }

    /// The first line, `-- {command}: FROM -> TO`, and, when the plan is `empty`, a line saying
    /// so. Returns `empty`.
    fn heading(&mut self, command: &str, opts: &RenderOptions, empty: bool) -> bool {
        self.note(&format!(
            "{command}: {} -> {}",
            opts.from_label, opts.to_label
        ));
        if empty {
            self.note("nothing to do: the schemas are the same");
        }
        empty
    }

    /// A note `header`, then a note for each of `items`.
    fn list<T>(&mut self, header: &str, items: &[T], item: impl Fn(&T) -> String) {
        self.note(header);
        for x in items {
            self.note(&item(x));
        }
    }

    /// A fixed line (`BEGIN;`, `COMMIT;`, an empty line).
    fn keyword(&mut self, line: &'static str) {
        self.out.push_str(line);
        self.out.push('\n');
    }

    /// A statement of an online plan, its text as the plan holds it, then `;`; before it, the
    /// lint rules it breaks on purpose.
    fn planned(&mut self, sql: &str) {
        let rules = schemadiff_plan::online::deliberate_lint_exceptions(sql);
        if !rules.is_empty() {
            self.note(&format!("squawk-ignore {}", rules.join(",")));
        }
        self.out.push_str(sql);
        self.out.push_str(";\n");
    }

    /// A planned statement, its text as the plan holds it (what `apply` runs), then `;`.
    fn statement(&mut self, st: &schemadiff_plan::Statement) {
        self.out.push_str(&st.sql);
        self.out.push_str(";\n");
    }
}

/// The full script: a header, then each batch in `BEGIN` … `COMMIT`, each step with a comment
/// saying what it does, its details and its hazards. Every comment goes through [`Comment`].
pub fn render_sql(plan: &Plan, opts: &RenderOptions) -> String {
    let mut w = Script { out: String::new() };
    let notes = opts.notes();
    if !notes.is_empty() {
        w.note("Objects schemadiff does not manage (left untouched):");
        for n in notes {
            w.note(&format!("  {n}"));
        }
        w.comment(Comment::empty());
    }
    w.out + &script(plan, opts)
}

/// The script without the list of objects not managed (the Markdown summary lists those itself).
fn script(plan: &Plan, opts: &RenderOptions) -> String {
    let mut w = Script { out: String::new() };
    if w.heading("schemadiff plan", opts, plan.is_empty()) {
        return w.out;
    }
    w.note(&format!("planned for PostgreSQL {}", plan.pg_version));
    w.note(&format!(
        "steps: {} ({})",
        plan.steps.len(),
        counts_line(plan)
    ));
    let losing = plan.hazards.iter().filter(|h| h.loses_data).count();
    let hazards = format!("hazards: {} ({losing} can lose data)", plan.hazards.len());
    w.list(&hazards, &plan.hazards, |h| {
        format!("  {} [step {}]: {}", h.code, h.step + 1, h.message)
    });
    let warnings = format!("warnings: {}", plan.warnings.len());
    w.list(&warnings, &plan.warnings, |wa| format!("  {wa}"));
    let batches = plan.batches().len();
    for b in 0..batches {
        w.keyword("");
        w.note(&format!(
            "===== batch {} of {batches}: one transaction =====",
            b + 1
        ));
        if batches > 1 && b == 0 {
            w.note("(new enum labels must be committed before they can be used)");
        }
        w.keyword("BEGIN;");
        for (i, s) in plan.steps.iter().enumerate().filter(|(_, s)| s.batch == b) {
            w.keyword("");
            step_sql(&mut w, plan, i, s);
        }
        w.keyword("");
        w.keyword("COMMIT;");
    }
    w.out
}

fn step_sql(w: &mut Script, plan: &Plan, i: usize, s: &Step) {
    w.note(&format!("[{}] {}", i + 1, s.description));
    for d in &s.details {
        w.note(&format!("    {d}"));
    }
    for &h in &s.hazards {
        let h = &plan.hazards[h];
        w.note(&format!(
            "HAZARD {}{}: {}",
            h.code,
            if h.loses_data { " (loses data)" } else { "" },
            h.message
        ));
    }
    for st in &s.statements {
        w.statement(st);
    }
}

/// Comment lines for text a caller puts around a rendered script (the objects left alone…):
/// each one through [`Comment`], so nothing in it can end its line.
pub fn comment_block(lines: &[String]) -> String {
    let mut w = Script { out: String::new() };
    for l in lines {
        if l.is_empty() {
            w.comment(Comment::empty());
        } else {
            w.note(l);
        }
    }
    w.out
}

/// The `version` field of every JSON document schemadiff prints (`plan --format json`,
/// `drift --format json`): the format's version, raised when a field changes meaning or is
/// removed (adding a field keeps it). The JSON Schemas are in `docs/schema/`.
pub const JSON_FORMAT_VERSION: u32 = 1;

#[derive(Serialize)]
struct JsonPlan<'a> {
    version: u32,
    from: &'a str,
    to: &'a str,
    pg_version: u32,
    counts: Vec<(&'static str, usize)>,
    steps: &'a [Step],
    hazards: &'a [schemadiff_plan::Hazard],
    warnings: &'a [String],
    mappings: &'a [schemadiff_plan::ValueMapping],
    batches: Vec<schemadiff_plan::SqlBatch>,
    preflight: &'a [schemadiff_plan::PreflightQuery],
    /// Written as one line (`["a","b"]`), the layout the plan's JSON has always had here.
    #[serde(skip_serializing_if = "Option::is_none")]
    not_managed: Option<Box<serde_json::value::RawValue>>,
}

/// Steps, hazards, warnings, mappings, batches (statements) and pre-flight queries as JSON.
pub fn render_json(plan: &Plan, opts: &RenderOptions) -> String {
    let j = JsonPlan {
        version: JSON_FORMAT_VERSION,
        from: &opts.from_label,
        to: &opts.to_label,
        pg_version: plan.pg_version,
        counts: plan
            .counts()
            .into_iter()
            .map(|(k, n)| (k.as_str(), n))
            .collect(),
        steps: &plan.steps,
        hazards: &plan.hazards,
        warnings: &plan.warnings,
        mappings: &plan.mappings,
        batches: plan.batches(),
        preflight: &plan.preflight,
        not_managed: opts
            .not_managed
            .as_ref()
            .map(|n| serde_json::value::to_raw_value(n).expect("a list of strings is valid JSON")),
    };
    serde_json::to_string_pretty(&j)
        .unwrap_or_else(|e| format!("{{\"error\": {:?}}}", e.to_string()))
        + "\n"
}

fn md_escape(s: &str) -> String {
    s.replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A summary for a pull-request comment, with the SQL in a collapsible block.
pub fn render_markdown(plan: &Plan, opts: &RenderOptions) -> String {
    let mut out = summary(plan, opts);
    let notes = opts.notes();
    if !notes.is_empty() {
        out.push_str("\n**Not managed by schemadiff (left untouched):**\n\n");
        for n in notes {
            let _ = writeln!(out, "- {n}");
        }
    }
    out
}

fn summary(plan: &Plan, opts: &RenderOptions) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "### schemadiff plan: `{}` → `{}`\n",
        opts.from_label, opts.to_label
    );
    if plan.is_empty() {
        out.push_str("Nothing to do: the schemas are the same.\n");
        return out;
    }
    let losing = plan.hazards.iter().filter(|h| h.loses_data).count();
    let _ = writeln!(
        out,
        "**{} steps** · **{} hazards** ({losing} can lose data) · **{} warnings** · planned for PostgreSQL {}\n",
        plan.steps.len(),
        plan.hazards.len(),
        plan.warnings.len(),
        plan.pg_version
    );
    out.push_str("| step kind | count |\n|---|---|\n");
    for (k, n) in plan.counts() {
        let _ = writeln!(out, "| {} | {n} |", k.as_str());
    }
    if !plan.hazards.is_empty() {
        out.push_str("\n#### Hazards\n\n");
        for h in &plan.hazards {
            let _ = writeln!(
                out,
                "- `{}`{} (step {}): {}",
                h.code,
                if h.loses_data { " **loses data**" } else { "" },
                h.step + 1,
                md_escape(&h.message)
            );
        }
    }
    if !plan.warnings.is_empty() {
        out.push_str("\n#### Warnings\n\n");
        for w in &plan.warnings {
            let _ = writeln!(out, "- {}", md_escape(w));
        }
    }
    if !plan.mappings.is_empty() {
        out.push_str("\n#### Value mappings\n\n");
        for m in &plan.mappings {
            let _ = writeln!(
                out,
                "<details><summary>{}.{} → {}</summary>\n",
                m.table, m.column, m.enum_name
            );
            out.push_str("| legacy | value | source |\n|---|---|---|\n");
            for e in &m.entries {
                let (legacy, src) = match e.source {
                    MappingSource::MappingFile => {
                        (format!("`{}`", md_escape(&e.legacy)), "mapping file")
                    }
                    MappingSource::NameMatch => {
                        (format!("~ `{}`", md_escape(&e.legacy)), "name match")
                    }
                    MappingSource::Exact => {
                        (format!("`{}`", md_escape(&e.legacy)), "exact spelling")
                    }
                };
                let _ = writeln!(out, "| {legacy} | {} | {src} |", e.value);
            }
            out.push_str("\n</details>\n");
        }
    }
    out.push_str("\n<details><summary>SQL</summary>\n\n```sql\n");
    out.push_str(&script(plan, opts));
    out.push_str("```\n\n</details>\n");
    out
}

/// The online plan as a reviewable script in phases (expand, backfill, switch, contract): each
/// step with what it does and the lock it takes, transactional steps in `BEGIN` … `COMMIT`,
/// concurrent index builds outside a transaction, and the two backfill statements with how
/// they repeat. Every comment goes through [`Comment`].
pub fn render_online_sql(
    plan: &schemadiff_plan::online::OnlinePlan,
    opts: &RenderOptions,
) -> String {
    use schemadiff_plan::online::{OnlineStepKind, Phase};
    let mut w = Script { out: String::new() };
    for n in opts.notes() {
        w.note(&format!("not managed (left untouched): {n}"));
    }
    if w.heading("schemadiff plan --online", opts, plan.steps.is_empty()) {
        return w.out;
    }
    w.note(&format!(
        "planned for PostgreSQL {}; {} step(s) in 4 phases: expand, backfill, switch, contract",
        plan.offline.pg_version,
        plan.steps.len()
    ));
    let columns = format!(
        "columns changed online ({}): each gets a shadow column kept in sync by a trigger, is backfilled, then swapped in",
        plan.columns.len()
    );
    w.list(&columns, &plan.columns, |c| {
        format!(
            "  {}.{}: {} (shadow {}, old column kept as {} until the contract phase)",
            c.table, c.column, c.change, c.shadow, c.old
        )
    });
    if !plan.not_null.is_empty() {
        let not_null = format!(
            "columns made NOT NULL online ({}): NULLs filled in batches, then a CHECK added NOT VALID, validated, and NOT NULL set at the switch without a scan",
            plan.not_null.len()
        );
        w.list(&not_null, &plan.not_null, |n| match &n.fill {
            Some(v) => format!("  {}.{}: NULL → {v}", n.table, n.column),
            None => format!(
                "  {}.{}: nothing fills NULLs (no default, no [fill] value): the apply stops before the switch if it holds any",
                n.table, n.column
            ),
        });
    }
    let hazards = format!("hazards: {}", plan.offline.hazards.len());
    w.list(&hazards, &plan.offline.hazards, |h| {
        format!("  {}: {}", h.code, h.message)
    });
    for wa in &plan.offline.warnings {
        w.note(&format!("warning: {wa}"));
    }
    w.note("`schemadiff apply --online` runs this script: every transaction under a short lock_timeout,");
    w.note(
        "retried with backoff and jitter when the lock is not granted in time; progress is kept in",
    );
    w.note("the \"schemadiff\" schema, so an interrupted run continues where it stopped (docs/online.md).");
    w.note("Run by hand, set lock_timeout as below and repeat a transaction that fails on it.");
    w.note("Lines `-- squawk-ignore RULE` mark statements of the technique that break a lint rule on purpose");
    w.note("(renames of the swap, the old column's default and NOT NULL moved away, SET NOT NULL after a");
    w.note("validated CHECK, drops of the old columns and temporary objects): docs/online.md says why.");
    w.note("statement_timeout is off: validations, concurrent index builds and batches take no lock that blocks writers.");
    w.keyword("SET statement_timeout = 0;");
    w.keyword("SET lock_timeout = '50ms';");
    for (pi, phase) in Phase::ALL.iter().enumerate() {
        let steps: Vec<(usize, &schemadiff_plan::online::OnlineStep)> = plan
            .steps
            .iter()
            .enumerate()
            .filter(|(_, s)| s.phase == *phase)
            .collect();
        w.keyword("");
        w.note(&format!(
            "===== phase {} of 4: {} ({} step(s)) =====",
            pi + 1,
            phase.as_str(),
            steps.len()
        ));
        for (i, s) in steps {
            w.keyword("");
            w.note(&format!("[{}] {}", i + 1, s.description));
            w.note(&format!("    lock: {}", s.locks));
            match &s.kind {
                OnlineStepKind::Transaction => {
                    w.keyword("BEGIN;");
                    for st in &s.statements {
                        w.planned(st);
                    }
                    w.keyword("COMMIT;");
                }
                OnlineStepKind::ConcurrentIndex { .. } => {
                    w.note("    outside a transaction; an invalid index of this name left by a failed build is dropped (DROP INDEX CONCURRENTLY) and built again");
                    for st in &s.statements {
                        w.planned(st);
                    }
                }
                OnlineStepKind::Backfill { .. } => {
                    w.note("    the first batch (no lower key bound), then the next batch repeated until it returns 0;");
                    w.note("    each batch is its own transaction and records its last key, so a stopped backfill resumes;");
                    w.note("    apply --online commits batches with synchronous_commit = off (their row locks go without");
                    w.note("    waiting for a WAL flush; a crash loses at most the last batches whole, and a re-run redoes them)");
                    for (k, st) in s.statements.iter().enumerate() {
                        match k {
                            0 => w.note("    first batch:"),
                            1 => w.note("    next batches:"),
                            _ => {
                                w.note("    read back, by apply --online, the rows of the batches done between two last keys ($1");
                                w.note("    excluded, $2 included) once their commits are on disk (3 x wal_writer_delay later): their");
                                w.note("    hint bits are set and old row versions pruned while their pages are still in memory, not");
                                w.note("    all at once by the first scan of the whole table after the backfill:");
                            }
                        }
                        w.planned(st);
                    }
                }
            }
        }
    }
    w.out
}
