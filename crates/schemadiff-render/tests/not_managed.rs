//! Objects not managed reach the renderers as data (`RenderOptions::not_managed`): a comment
//! block atop the SQL script, the last field of the JSON plan, a section ending the Markdown.

use schemadiff_model::Schema;
use schemadiff_plan::Mapping;
use schemadiff_render::{RenderOptions, render_json, render_markdown, render_sql};

fn plan() -> schemadiff_plan::Plan {
    let to = schemadiff_dsl::load("to", "model A {\n  id Int @id\n}\n");
    schemadiff_plan::plan(&Schema::empty(), &to.schema, &Mapping::empty()).unwrap()
}

fn with(notes: Option<Vec<&str>>) -> RenderOptions {
    RenderOptions {
        not_managed: notes.map(|n| n.into_iter().map(String::from).collect()),
        ..RenderOptions::labels("from", "to")
    }
}

#[test]
fn the_sql_script_lists_them_in_comments_at_the_top() {
    let p = plan();
    let bare = render_sql(&p, &with(None));
    assert_eq!(render_sql(&p, &with(Some(vec![]))), bare);
    let sql = render_sql(&p, &with(Some(vec!["not managed: view v (a view)", "x"])));
    assert_eq!(
        sql,
        format!(
            "-- Objects schemadiff does not manage (left untouched):\n--   not managed: view v (a view)\n--   x\n--\n{bare}"
        )
    );
}

#[test]
fn the_json_plan_ends_with_a_not_managed_array_when_asked() {
    let p = plan();
    let bare = render_json(&p, &with(None));
    assert!(!bare.contains("not_managed"));
    let empty = render_json(&p, &with(Some(vec![])));
    let body = bare.trim_end().strip_suffix('}').unwrap().trim_end();
    assert_eq!(empty, format!("{body},\n  \"not_managed\": []\n}}\n"));
    let two = render_json(&p, &with(Some(vec!["a \"b\"", "ü"])));
    assert_eq!(
        two,
        format!("{body},\n  \"not_managed\": [\"a \\\"b\\\"\",\"ü\"]\n}}\n")
    );
    let v: serde_json::Value = serde_json::from_str(&two).unwrap();
    assert_eq!(v["not_managed"][0], "a \"b\"");
}

#[test]
fn the_markdown_summary_ends_with_a_section_and_its_sql_has_no_notes() {
    let p = plan();
    let bare = render_markdown(&p, &with(None));
    let md = render_markdown(&p, &with(Some(vec!["not managed: view v"])));
    assert_eq!(
        md,
        format!(
            "{bare}\n**Not managed by schemadiff (left untouched):**\n\n- not managed: view v\n"
        )
    );
}
