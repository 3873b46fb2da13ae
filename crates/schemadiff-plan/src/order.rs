//! Deterministic topological order (Kahn's algorithm with a min-heap keyed by step kind, object
//! name and build position: the same input gives the same bytes out), batches, and the final
//! [`Plan`] with hazards re-indexed to the ordered steps.

use crate::build::{Built, RawStep};
use crate::edges::{VIRTUAL_NODES, edges};
use crate::{Hazard, Plan, PlanError, PlanOptions, Step};
use petgraph::graph::{DiGraph, NodeIndex};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

pub(crate) fn finish(built: Built, options: &PlanOptions) -> Result<Plan, PlanError> {
    let order = topological_order(&built.steps)?;
    let (steps, hazards) = ordered_steps(built.steps, order);
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
        pg_version: options.pg_version,
    })
}

/// The build positions of `steps` in plan order; a cycle is an error naming its steps.
fn topological_order(steps: &[RawStep]) -> Result<Vec<usize>, PlanError> {
    let n = steps.len();
    let total = n + VIRTUAL_NODES;
    let edges = edges(steps);
    let mut g: DiGraph<usize, &'static str> = DiGraph::with_capacity(total, edges.len());
    let nodes: Vec<NodeIndex> = (0..total).map(|i| g.add_node(i)).collect();
    let mut indegree = vec![0usize; total];
    for &(a, b, rule) in &edges {
        g.add_edge(nodes[a], nodes[b], rule);
        indegree[b] += 1;
    }
    // The tie-break rank of each step: (kind, object, build position), computed once so the
    // heap holds plain integers.
    let mut by_key: Vec<usize> = (0..n).collect();
    by_key.sort_unstable_by(|&a, &b| {
        let (x, y) = (&steps[a].step, &steps[b].step);
        (x.kind, &x.object, a).cmp(&(y.kind, &y.object, b))
    });
    let mut rank = vec![0usize; n];
    for (r, &i) in by_key.iter().enumerate() {
        rank[i] = r;
    }
    let mut heap: BinaryHeap<Reverse<usize>> = BinaryHeap::with_capacity(n);
    // A ready node: a step waits in the heap; a virtual node is passed through at once.
    let mut pending: Vec<usize> = (0..total).filter(|&i| indegree[i] == 0).collect();
    let mut order = Vec::with_capacity(n);
    loop {
        while let Some(i) = pending.pop() {
            if i < n {
                heap.push(Reverse(rank[i]));
                continue;
            }
            release(&g, nodes[i], &mut indegree, &mut pending);
        }
        let Some(Reverse(r)) = heap.pop() else { break };
        let i = by_key[r];
        order.push(i);
        release(&g, nodes[i], &mut indegree, &mut pending);
    }
    if order.len() < n {
        let mut names: Vec<String> = petgraph::algo::tarjan_scc(&g)
            .into_iter()
            .filter(|c| c.len() > 1)
            .flatten()
            .filter(|&v| g[v] < n)
            .map(|v| {
                let s = &steps[g[v]].step;
                format!("{} {}", s.kind.as_str(), s.object)
            })
            .collect();
        names.sort();
        return Err(PlanError::Cycle(names.join(", ")));
    }
    Ok(order)
}

/// The steps in `order`, each in batch 0, with their hazards numbered in that order.
fn ordered_steps(built: Vec<RawStep>, order: Vec<usize>) -> (Vec<Step>, Vec<Hazard>) {
    let mut raw: Vec<Option<RawStep>> = built.into_iter().map(Some).collect();
    let mut steps = Vec::with_capacity(raw.len());
    let mut hazards = Vec::new();
    for i in order {
        let Some(r) = raw[i].take() else { continue };
        let mut step = r.step;
        // Every plan is one transaction: an enum value the plan adds and uses is made by
        // recreating the enum (`enum_use`), so no step needs an earlier batch committed.
        step.batch = 0;
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
    (steps, hazards)
}

/// Marks `v` done: its successors whose last dependency it was become ready.
fn release(
    g: &DiGraph<usize, &'static str>,
    v: NodeIndex,
    indegree: &mut [usize],
    pending: &mut Vec<usize>,
) {
    for w in g.neighbors_directed(v, petgraph::Direction::Outgoing) {
        let j = g[w];
        indegree[j] -= 1;
        if indegree[j] == 0 {
            pending.push(j);
        }
    }
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

    /// `n` tables whose text column becomes an enum, and another enum that gains a value no
    /// step uses: n guards, one added value, n casts.
    fn casts(n: usize, to_enum: bool) -> Schema {
        let mut s = Schema::empty();
        let values = if to_enum { vec!["A", "B"] } else { vec!["A"] };
        s.add_enum(Enum {
            name: QualifiedName::public("Other"),
            values: values.into_iter().map(String::from).collect(),
        });
        let e = QualifiedName::public("Kind");
        s.add_enum(Enum {
            name: e.clone(),
            values: vec!["A".into()],
        });
        for i in 0..n {
            let mut t = Table::new(QualifiedName::public(format!("T{i}")));
            t.columns.push(Column {
                name: "k".into(),
                ty: if to_enum {
                    ColumnType::Enum(e.clone())
                } else {
                    ColumnType::Text
                },
                nullable: true,
                default: None,
            });
            s.add_table(t);
        }
        s
    }

    #[test]
    fn plan_wide_rules_stay_linear_and_keep_guards_and_added_values_first() {
        let n = 2000;
        let (from, to) = (casts(n, false), casts(n, true));
        let built = crate::build::build(
            &from,
            &to,
            &Mapping::empty(),
            &crate::PlanOptions::default(),
        )
        .expect("build");
        let steps = built.steps.len();
        assert_eq!(steps, 2 * n + 1);
        // Direct edges would be n × (n + 1) guard edges alone.
        let edges = crate::edges::edges(&built.steps).len();
        assert!(edges < 10 * steps, "{edges} edges for {steps} steps");
        let p = plan(&from, &to, &Mapping::empty()).expect("plan");
        let kinds: Vec<_> = p.steps.iter().map(|s| s.kind).collect();
        assert!(kinds[..n].iter().all(|&k| k == crate::StepKind::Guard));
        assert_eq!(kinds[n], crate::StepKind::AddEnumValue);
        assert!(
            kinds[n + 1..]
                .iter()
                .all(|&k| k == crate::StepKind::AlterTable)
        );
        assert!(p.steps.iter().all(|s| s.batch == 0), "one transaction");
        // Ties inside a kind go by object name.
        assert!(p.steps[..n].windows(2).all(|w| w[0].object < w[1].object));
    }
}
