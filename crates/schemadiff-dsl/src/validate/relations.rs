//! Relations: pairs each relation field with its opposite side and checks `fields:` /
//! `references:`. Produces the foreign keys and implicit many-to-many tables to create.

use super::{DField, DKind, DModel, Db};
use crate::diagnostics::Diagnostic;

/// A checked relation the database must implement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RelationImpl {
    /// A foreign key held by `model.field` (the side with `fields:`).
    ForeignKey {
        /// Index of the model in `Db::models`.
        model: usize,
        /// Index of the relation field.
        field: usize,
    },
    /// An implicit many-to-many join table.
    ManyToMany {
        /// The model whose name sorts first (column `A`).
        a: usize,
        /// The other model (column `B`).
        b: usize,
        /// The relation name, if given.
        name: Option<String>,
    },
}

fn rel_name(f: &DField) -> Option<&str> {
    f.relation.as_ref().and_then(|r| r.name.as_deref())
}

fn has_fields(f: &DField) -> bool {
    f.relation
        .as_ref()
        .is_some_and(|r| !r.fields.is_empty() || !r.references.is_empty())
}

/// Checks every relation field; returns what the database needs.
pub fn check(db: &Db, diags: &mut Vec<Diagnostic>) -> Vec<RelationImpl> {
    let mut out = Vec::new();
    for (mi, m) in db.models.iter().enumerate() {
        for (fi, f) in m.fields.iter().enumerate() {
            let DKind::Relation(target) = &f.kind else {
                continue;
            };
            let Some(ti) = db.model_position(target) else {
                continue;
            };
            let t = &db.models[ti];
            let back: Vec<(usize, &DField)> = t
                .fields
                .iter()
                .enumerate()
                .filter(|(gi, g)| {
                    matches!(&g.kind, DKind::Relation(n) if *n == m.name)
                        && !(ti == mi && *gi == fi)
                })
                .collect();
            let same: Vec<&(usize, &DField)> = back
                .iter()
                .filter(|(_, g)| rel_name(g) == rel_name(f))
                .collect();
            match same.as_slice() {
                [] => {
                    if let Some(n) = rel_name(f)
                        && !back.is_empty()
                    {
                        let others: Vec<String> = back
                            .iter()
                            .map(|(_, g)| match rel_name(g) {
                                Some(x) => format!("`{}` uses \"{x}\"", g.name),
                                None => format!("`{}` has no name", g.name),
                            })
                            .collect();
                        diags.push(
                            Diagnostic::error(
                                "relation-name-mismatch",
                                f.relation.as_ref().map_or(f.span, |r| r.span),
                                format!("relation \"{n}\" of `{}.{}` has no field with the same name on model `{}`", m.name, f.name, t.name),
                            )
                            .with_help(format!("both sides must use the same relation name; on `{}`, {}", t.name, others.join(", "))),
                        );
                    } else {
                        let suggestion = if f.list {
                            format!(
                                "`{} {}? @relation(fields: [{}Id], references: [id])` plus the `{}Id` field",
                                lower_first(&m.name),
                                m.name,
                                lower_first(&m.name),
                                lower_first(&m.name)
                            )
                        } else {
                            format!("`{} {}[]`", lower_first(&m.name) + "s", m.name)
                        };
                        diags.push(
                            Diagnostic::error(
                                "missing-opposite-relation",
                                f.ty_span,
                                format!("relation field `{}.{}` has no opposite relation field on model `{}`", m.name, f.name, t.name),
                            )
                            .with_help(format!("add a field to model `{}`, e.g. {suggestion}", t.name)),
                        );
                    }
                }
                [(gi, g)] => {
                    // Each pair is checked once, from the side that comes first.
                    if (ti, *gi) < (mi, fi) {
                        continue;
                    }
                    check_pair(db, mi, fi, ti, *gi, f, g, diags, &mut out);
                }
                _ => {
                    diags.push(
                        Diagnostic::error(
                            "ambiguous-relation",
                            f.ty_span,
                            format!("model `{}` has several relation fields that could be the opposite of `{}.{}`", t.name, m.name, f.name),
                        )
                        .with_help("name each relation on both sides, e.g. `@relation(\"Author\")`"),
                    );
                }
            }
        }
    }
    out
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

#[allow(clippy::too_many_arguments)]
fn check_pair(
    db: &Db,
    mi: usize,
    fi: usize,
    ti: usize,
    gi: usize,
    f: &DField,
    g: &DField,
    diags: &mut Vec<Diagnostic>,
    out: &mut Vec<RelationImpl>,
) {
    let (m, t) = (&db.models[mi], &db.models[ti]);
    if f.list && g.list {
        for x in [f, g] {
            if has_fields(x) {
                diags.push(
                    Diagnostic::error(
                        "invalid-relation",
                        x.relation.as_ref().map_or(x.span, |r| r.span),
                        "an implicit many-to-many relation cannot use `fields:` or `references:`",
                    )
                    .with_help("remove them, or model the join table explicitly"),
                );
                return;
            }
        }
        for model in [m, t] {
            if model.primary.as_ref().is_none_or(|p| p.fields.len() != 1) {
                diags.push(Diagnostic::error(
                    "invalid-relation",
                    f.ty_span,
                    format!("model `{}` needs a single-field `@id` to take part in an implicit many-to-many relation", model.name),
                ));
                return;
            }
        }
        let (a, b) = if m.name <= t.name { (mi, ti) } else { (ti, mi) };
        out.push(RelationImpl::ManyToMany {
            a,
            b,
            name: rel_name(f).map(str::to_string),
        });
        return;
    }
    let (def_model, def_field, def, other) = match (has_fields(f), has_fields(g)) {
        (true, false) => (mi, fi, f, g),
        (false, true) => (ti, gi, g, f),
        (true, true) => {
            diags.push(
                Diagnostic::error(
                    "invalid-relation",
                    g.relation.as_ref().map_or(g.span, |r| r.span),
                    "only one side of a relation may define `fields:` and `references:`",
                )
                .with_help("remove them from one side"),
            );
            return;
        }
        (false, false) => {
            let culprit = if f.list { g } else { f };
            let owner = if f.list { t } else { m };
            diags.push(
                Diagnostic::error(
                    "missing-relation-fields",
                    culprit.ty_span,
                    format!("relation field `{}.{}` does not say which fields hold the foreign key", owner.name, culprit.name),
                )
                .with_help("add `@relation(fields: [otherId], references: [id])` on the side that holds the foreign key"),
            );
            return;
        }
    };
    if def.list {
        diags.push(
            Diagnostic::error(
                "invalid-relation",
                def.relation.as_ref().map_or(def.span, |r| r.span),
                "the list side of a relation cannot hold the foreign key",
            )
            .with_help(format!(
                "move `fields:` and `references:` to the field `{}`",
                other.name
            )),
        );
        return;
    }
    let holder = &db.models[def_model];
    let target = if def_model == mi { t } else { m };
    let Some(r) = &def.relation else { return };
    if r.fields.is_empty() || r.references.is_empty() {
        diags.push(
            Diagnostic::error(
                "missing-argument",
                r.span,
                "a relation needs both `fields:` and `references:`",
            )
            .with_help("e.g. `@relation(fields: [userId], references: [id])`"),
        );
        return;
    }
    let mut ok = true;
    if r.fields.len() != r.references.len() {
        diags.push(
            Diagnostic::error(
                "relation-arity-mismatch",
                r.span,
                format!(
                    "`fields:` lists {} field(s) but `references:` lists {}",
                    r.fields.len(),
                    r.references.len()
                ),
            )
            .with_help("list one referenced field for each local field, in the same order"),
        );
        ok = false;
    }
    let mut local = Vec::new();
    for (name, span) in &r.fields {
        match holder.field(name) {
            Some(x) if !matches!(x.kind, DKind::Relation(_)) => local.push(Some(x)),
            _ => {
                ok = false;
                local.push(None);
                diags.push(unknown_field(holder, name, *span));
            }
        }
    }
    let mut remote = Vec::new();
    for (name, span) in &r.references {
        match target.field(name) {
            Some(x) if !matches!(x.kind, DKind::Relation(_)) => remote.push(Some(x)),
            _ => {
                ok = false;
                remote.push(None);
                diags.push(unknown_field(target, name, *span));
            }
        }
    }
    if !ok {
        return;
    }
    for (i, (l, rf)) in local.iter().zip(&remote).enumerate() {
        let (Some(l), Some(rf)) = (l, rf) else {
            continue;
        };
        if l.kind != rf.kind && l.kind != DKind::Unknown && rf.kind != DKind::Unknown {
            ok = false;
            diags.push(
                Diagnostic::error(
                    "relation-type-mismatch",
                    r.fields[i].1,
                    format!(
                        "`{}.{}` is {} but the referenced `{}.{}` is {}",
                        holder.name,
                        l.name,
                        kind_text(&l.kind),
                        target.name,
                        rf.name,
                        kind_text(&rf.kind)
                    ),
                )
                .with_help(
                    "a foreign key field must have exactly the type of the field it references",
                ),
            );
        }
    }
    let refs: Vec<&str> = r.references.iter().map(|x| x.0.as_str()).collect();
    let unique_target = target.primary.as_ref().is_some_and(|p| {
        same_set(
            &p.fields.iter().map(String::as_str).collect::<Vec<_>>(),
            &refs,
        )
    }) || target.indexes.iter().any(|i| {
        i.unique
            && same_set(
                &i.fields.iter().map(|x| x.0.as_str()).collect::<Vec<_>>(),
                &refs,
            )
    });
    if !unique_target {
        ok = false;
        diags.push(
            Diagnostic::error(
                "relation-references-not-unique",
                r.references[0].1,
                format!("the referenced fields ({}) are not the primary key or a unique key of model `{}`", refs.join(", "), target.name),
            )
            .with_help("reference the `@id`, or add `@unique` / `@@unique` on the referenced fields"),
        );
    }
    if !other.list {
        let fields: Vec<&str> = r.fields.iter().map(|x| x.0.as_str()).collect();
        let unique_local = holder.primary.as_ref().is_some_and(|p| {
            same_set(
                &p.fields.iter().map(String::as_str).collect::<Vec<_>>(),
                &fields,
            )
        }) || holder.indexes.iter().any(|i| {
            i.unique
                && same_set(
                    &i.fields.iter().map(|x| x.0.as_str()).collect::<Vec<_>>(),
                    &fields,
                )
        });
        if !unique_local {
            ok = false;
            diags.push(
                Diagnostic::error(
                    "one-to-one-not-unique",
                    r.fields[0].1,
                    format!(
                        "a one-to-one relation needs unique fields on `{}`: ({}) are not unique",
                        holder.name,
                        fields.join(", ")
                    ),
                )
                .with_help(format!(
                    "add `@unique` to the field(s), or make `{}.{}` a list",
                    target.name, other.name
                )),
            );
        }
    }
    if ok {
        out.push(RelationImpl::ForeignKey {
            model: def_model,
            field: def_field,
        });
    }
}

fn same_set(a: &[&str], b: &[&str]) -> bool {
    let mut a = a.to_vec();
    let mut b = b.to_vec();
    a.sort_unstable();
    b.sort_unstable();
    a == b
}

fn kind_text(k: &DKind) -> String {
    match k {
        DKind::Scalar(s, ct) => format!("`{s}` ({ct})"),
        DKind::Enum(e) => format!("enum `{e}`"),
        DKind::Relation(r) => format!("relation `{r}`"),
        DKind::Unsupported(u) => format!("`Unsupported(\"{u}\")`"),
        DKind::Unknown => "unknown".into(),
    }
}

fn unknown_field(m: &DModel, name: &str, span: crate::ast::Span) -> Diagnostic {
    Diagnostic::error(
        "unknown-field",
        span,
        format!("model `{}` has no scalar field `{name}`", m.name),
    )
    .with_help(
        crate::diagnostics::did_you_mean(
            name,
            m.fields
                .iter()
                .filter(|f| !matches!(f.kind, DKind::Relation(_)))
                .map(|f| f.name.as_str()),
        )
        .unwrap_or_else(|| "name a scalar field of that model".into()),
    )
}
