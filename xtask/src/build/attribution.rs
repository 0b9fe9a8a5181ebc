//! Size attribution through twiggy's item graph: functions and data segments with their
//! shallow and retained sizes, the dominator tree, generic instantiations and unreachable
//! items, gathered into `perf_core::attribution::Attribution`.

use std::collections::BTreeSet;

use anyhow::anyhow;
use perf_core::attribution::{
    self, Attribution, Dominator, Garbage, Item, ItemKind, Profiled, TOP_ITEMS, TOP_LISTS, sort_items,
};
use perf_core::policy::VariantKind;
use twiggy_ir as ir;

/// The dominator tree is listed this deep, and only where an entry retains at least this
/// share of the profiled module's code and data (in thousandths).
const DOMINATOR_DEPTH: u32 = 3;
const DOMINATOR_MIN_PER_MILLE: u64 = 5;

/// One artifact to profile, as the summary names it.
pub struct Profile<'a> {
    pub path: &'a str,
    pub sha256: &'a str,
    pub wasm: &'a [u8],
    pub named: bool,
    pub note: String,
}

pub fn attribute(variant: VariantKind, p: Profile) -> anyhow::Result<Attribution> {
    let mut items = twiggy_parser::parse(p.wasm).map_err(|e| anyhow!("twiggy cannot parse {}: {e:#}", p.path))?;
    items.compute_retained_sizes();
    let item = |i: &ir::Item| {
        let kind = match i.kind() {
            ir::ItemKind::Code(_) => ItemKind::Code,
            ir::ItemKind::Data(_) => ItemKind::Data,
            _ => return None,
        };
        Some(Item {
            name: attribution::without_disambiguators(i.name()),
            kind,
            shallow_bytes: u64::from(i.size()),
            retained_bytes: u64::from(items.retained_size(i.id())),
        })
    };
    let mut all: Vec<Item> = items.iter().filter_map(item).collect();
    let code_and_data_bytes: u64 = all.iter().map(|i| i.shallow_bytes).sum();

    // Code only: data segments are reached through memory addresses, which the graph does
    // not always see, so an unreferenced-looking segment is no evidence of garbage.
    let reachable = reachable(&items);
    let mut garbage: Vec<Item> = items
        .iter()
        .filter(|i| !reachable.contains(&i.id()) && matches!(i.kind(), ir::ItemKind::Code(_)))
        .filter_map(item)
        .collect();
    sort_items(&mut garbage, |i| i.shallow_bytes);
    let garbage = Garbage {
        bytes: garbage.iter().map(|i| i.shallow_bytes).sum(),
        count: garbage.len() as u64,
        items: garbage.into_iter().take(TOP_LISTS).collect(),
    };

    let mut retained = all.clone();
    sort_items(&mut retained, |i| i.retained_bytes);
    retained.truncate(TOP_LISTS);
    sort_items(&mut all, |i| i.shallow_bytes);
    all.truncate(TOP_ITEMS);

    let code = items.iter().filter(|i| matches!(i.kind(), ir::ItemKind::Code(_)));
    let monos = attribution::monos(code.map(|i| (i.name(), i.monomorphization_of(), u64::from(i.size()))));

    let mut dominators = Vec::new();
    let floor = code_and_data_bytes * DOMINATOR_MIN_PER_MILLE / 1000;
    walk_dominators(&items, items.meta_root(), 0, floor, &mut dominators);
    dominators.truncate(TOP_LISTS);

    Ok(Attribution {
        schema_version: attribution::SCHEMA_VERSION.to_owned(),
        variant,
        profiled: Profiled {
            path: p.path.to_owned(),
            sha256: p.sha256.to_owned(),
            bytes: p.wasm.len() as u64,
            code_and_data_bytes,
            named: p.named,
            note: p.note,
        },
        items: all,
        retained,
        dominators,
        monos: monos.into_iter().take(TOP_LISTS).collect(),
        garbage,
    })
}

/// Every item a root (export, start function, ...) reaches through the call and reference
/// graph.
fn reachable(items: &ir::Items) -> BTreeSet<ir::Id> {
    let mut seen = BTreeSet::from([items.meta_root()]);
    let mut stack = vec![items.meta_root()];
    while let Some(id) = stack.pop() {
        for next in items.neighbors(id) {
            if seen.insert(next) {
                stack.push(next);
            }
        }
    }
    seen
}

/// The dominator tree below `id`, depth first, each level largest first, pruned at
/// `DOMINATOR_DEPTH` and below `floor` retained bytes.
fn walk_dominators(items: &ir::Items, id: ir::Id, depth: u32, floor: u64, out: &mut Vec<Dominator>) {
    let Some(children) = items.dominator_tree().get(&id) else { return };
    let mut children: Vec<(u64, String, ir::Id)> = children
        .iter()
        // Debug info (the name section among it) is not shipped where it matters.
        .filter(|&&c| !matches!(items[c].kind(), ir::ItemKind::Debug(_)))
        .map(|&c| (u64::from(items.retained_size(c)), attribution::without_disambiguators(items[c].name()), c))
        .filter(|(retained, _, _)| *retained >= floor.max(1))
        .collect();
    children.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    for (retained_bytes, name, child) in children {
        out.push(Dominator { depth, name, retained_bytes });
        if depth + 1 < DOMINATOR_DEPTH {
            walk_dominators(items, child, depth + 1, floor, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_item_list_is_cut_at_the_top_items() {
        // The cache canary's module: a thousand and one functions, all reachable.
        let wasm = crate::canary_module::canary_module();
        let profile = Profile { path: "canary.wasm", sha256: "s", wasm: &wasm, named: false, note: String::new() };
        let a = attribute(VariantKind::Release, profile).unwrap();
        assert_eq!(a.items.len(), TOP_ITEMS);
        assert!(a.items.windows(2).all(|w| w[0].shallow_bytes >= w[1].shallow_bytes), "largest first");
    }
}
