//! Deterministic topological order (Kahn's algorithm with a min-heap keyed by step kind, object
//! name and build position: the same input gives the same bytes out), batches, and the final
//! [`Plan`] with hazards re-indexed to the ordered steps.

use crate::build::Built;
use crate::edges::edges;
use crate::{Hazard, Plan, PlanError, StepKind};
use petgraph::graph::{DiGraph, NodeIndex};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

pub(crate) fn finish(built: Built) -> Result<Plan, PlanError> {
    let n = built.steps.len();
    let mut g: DiGraph<usize, &'static str> = DiGraph::with_capacity(n, n);
    let nodes: Vec<NodeIndex> = (0..n).map(|i| g.add_node(i)).collect();
    for (a, b, rule) in edges(&built.steps) {
        g.add_edge(nodes[a], nodes[b], rule);
    }
    let mut indegree: Vec<usize> = nodes
        .iter()
        .map(|&v| {
            g.neighbors_directed(v, petgraph::Direction::Incoming)
                .count()
        })
        .collect();
    let key = |i: usize| {
        let s = &built.steps[i].step;
        Reverse((s.kind, s.object.clone(), i))
    };
    let mut heap: BinaryHeap<Reverse<(StepKind, String, usize)>> =
        (0..n).filter(|&i| indegree[i] == 0).map(key).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(Reverse((_, _, i))) = heap.pop() {
        order.push(i);
        for w in g.neighbors_directed(nodes[i], petgraph::Direction::Outgoing) {
            let j = g[w];
            indegree[j] -= 1;
            if indegree[j] == 0 {
                heap.push(key(j));
            }
        }
    }
    if order.len() < n {
        let mut names: Vec<String> = petgraph::algo::tarjan_scc(&g)
            .into_iter()
            .filter(|c| c.len() > 1)
            .flatten()
            .map(|v| {
                let s = &built.steps[g[v]].step;
                format!("{} {}", s.kind.as_str(), s.object)
            })
            .collect();
        names.sort();
        return Err(PlanError::Cycle(names.join(", ")));
    }
    let split = order
        .iter()
        .any(|&i| built.steps[i].step.kind == StepKind::AddEnumValue);
    let mut raw: Vec<Option<crate::build::RawStep>> = built.steps.into_iter().map(Some).collect();
    let mut steps = Vec::with_capacity(n);
    let mut hazards = Vec::new();
    for i in order {
        let Some(r) = raw[i].take() else { continue };
        let mut step = r.step;
        step.batch =
            usize::from(split && !matches!(step.kind, StepKind::Guard | StepKind::AddEnumValue));
        for h in r.hazards {
            step.hazards.push(hazards.len());
            hazards.push(Hazard {
                code: h.code,
                message: h.message,
                loses_data: h.loses_data,
                requires_allow: h.requires_allow,
                step: steps.len(),
            });
        }
        steps.push(step);
    }
    let mut mappings = built.mappings;
    mappings.sort_by(|a, b| (&a.table, &a.column).cmp(&(&b.table, &b.column)));
    let mut preflight = built.preflight;
    preflight.sort_by(|a, b| a.description.cmp(&b.description));
    Ok(Plan {
        steps,
        hazards,
        warnings: built.warnings,
        mappings,
        preflight,
    })
}

#[cfg(test)]
mod tests {
    use crate::{Mapping, plan};
    use schemadiff_model::*;

    /// 10k tables × 20 columns, one enum used by all, an FK from each to a hub table.
    fn big(n: usize) -> Schema {
        let mut s = Schema::empty();
        let e = QualifiedName::public("Kind");
        s.add_enum(Enum {
            name: e.clone(),
            values: vec!["A".into(), "B".into()],
        });
        let hub = QualifiedName::public("Hub");
        let mut h = Table::new(hub.clone());
        h.columns.push(Column {
            name: "id".into(),
            ty: ColumnType::Integer,
            nullable: false,
            default: None,
        });
        h.primary_key = Some(PrimaryKey {
            name: "Hub_pkey".into(),
            columns: vec!["id".into()],
        });
        s.add_table(h);
        for i in 0..n {
            let name = format!("T{i}");
            let mut t = Table::new(QualifiedName::public(&name));
            t.columns.push(Column {
                name: "id".into(),
                ty: ColumnType::Integer,
                nullable: false,
                default: None,
            });
            t.columns.push(Column {
                name: "kind".into(),
                ty: ColumnType::Enum(e.clone()),
                nullable: false,
                default: None,
            });
            for c in 0..18 {
                t.columns.push(Column {
                    name: format!("c{c}"),
                    ty: ColumnType::Text,
                    nullable: true,
                    default: None,
                });
            }
            t.primary_key = Some(PrimaryKey {
                name: format!("{name}_pkey"),
                columns: vec!["id".into()],
            });
            t.indexes.push(Index {
                name: format!("{name}_c0_idx"),
                columns: vec![IndexColumn::asc("c0")],
                unique: false,
                method: IndexMethod::BTree,
            });
            t.foreign_keys.push(ForeignKey {
                name: format!("{name}_id_fkey"),
                columns: vec!["id".into()],
                referenced_table: hub.clone(),
                referenced_columns: vec!["id".into()],
                on_delete: ReferentialAction::Cascade,
                on_update: ReferentialAction::Cascade,
            });
            s.add_table(t);
        }
        s
    }

    #[test]
    fn large_schemas_plan_in_near_linear_time() {
        let s = big(2000);
        let start = std::time::Instant::now();
        let p = plan(&Schema::empty(), &s, &Mapping::empty()).expect("plan");
        let took = start.elapsed();
        assert_eq!(p.steps.len(), 1 + 1 + 2000 * 3);
        // Generous bound for unoptimised builds on a shared machine; quadratic behaviour
        // (4M pairs × 11 rules) would take far longer.
        assert!(took.as_secs() < 20, "planning 2000 tables took {took:?}");
        let first_fk = p
            .steps
            .iter()
            .position(|s| s.kind == crate::StepKind::AddForeignKey)
            .unwrap();
        let hub = p.steps.iter().position(|s| s.object == "Hub").unwrap();
        assert!(hub < first_fk);
        let back = plan(&s, &Schema::empty(), &Mapping::empty()).expect("drop plan");
        let last_fk = back
            .steps
            .iter()
            .rposition(|s| s.kind == crate::StepKind::DropForeignKey)
            .unwrap();
        let first_table = back
            .steps
            .iter()
            .position(|s| s.kind == crate::StepKind::DropTable)
            .unwrap();
        assert!(last_fk < first_table);
    }
}
