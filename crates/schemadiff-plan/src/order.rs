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
