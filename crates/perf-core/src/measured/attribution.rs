//! Where the bytes go (`artifacts/attribution/<variant>.json`): a module's functions and
//! data segments by shallow and retained size, the top of its dominator tree, generic
//! functions with their instantiations (monomorphization bloat) and what nothing reaches
//! (garbage); and, against the baseline's items, what grew, shrank, appeared and
//! disappeared.
//!
//! The profiler (twiggy, in `xtask`) fills these types; everything here is plain data.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::policy::VariantKind;

pub const SCHEMA_VERSION: &str = "wasm-attribution-v1";

/// How many items an attribution keeps in each list; the baseline keeps `items` whole.
pub const TOP_ITEMS: usize = 200;
pub const TOP_LISTS: usize = 50;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attribution {
    pub schema_version: String,
    pub variant: VariantKind,
    /// The file profiled, and why that one.
    pub profiled: Profiled,
    /// Functions and data segments by shallow size, largest first (at most `TOP_ITEMS`).
    pub items: Vec<Item>,
    /// By retained size: what removing the item (and all it alone keeps alive) would save.
    pub retained: Vec<Item>,
    /// The dominator tree from the roots (exports, start, ...), depth first, largest first.
    pub dominators: Vec<Dominator>,
    /// Generic functions instantiated more than once, by bloat.
    pub monos: Vec<Mono>,
    /// Items no root reaches.
    pub garbage: Garbage,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profiled {
    pub path: String,
    pub sha256: String,
    pub bytes: u64,
    /// Bytes of function bodies and data segments: what `items` divides up.
    pub code_and_data_bytes: u64,
    /// True when the module has a name section, so items carry their (demangled) names.
    pub named: bool,
    /// Which artifact this is relative to the shipped one, for people.
    pub note: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    Code,
    Data,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    pub name: String,
    pub kind: ItemKind,
    pub shallow_bytes: u64,
    pub retained_bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dominator {
    /// 0 for the roots' children.
    pub depth: u32,
    pub name: String,
    pub retained_bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mono {
    /// The generic function, without its type arguments' hash.
    pub generic: String,
    pub instantiations: u32,
    pub total_bytes: u64,
    /// Everything but the largest instantiation: roughly what deduplicating would save.
    pub bloat_bytes: u64,
    /// The largest instantiations, largest first (at most five).
    pub largest: Vec<NamedSize>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamedSize {
    pub name: String,
    pub bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Garbage {
    pub bytes: u64,
    pub count: u64,
    /// The largest, at most `TOP_LISTS`.
    pub items: Vec<Item>,
}

/// Groups code items by the generic function they instantiate; `generic_of` names it (or
/// `None` for a function that is no instantiation).
pub fn monos<'a>(items: impl IntoIterator<Item = (&'a str, Option<&'a str>, u64)>) -> Vec<Mono> {
    let mut groups: Vec<(String, Vec<NamedSize>)> = Vec::new();
    for (name, generic, bytes) in items {
        let Some(generic) = generic else { continue };
        // v0 names the instantiation `f::<T>`, so the generic's name ends in `::`.
        let generic = without_disambiguators(generic).trim_end_matches("::").to_owned();
        let i = match groups.iter().position(|(g, _)| *g == generic) {
            Some(i) => i,
            None => {
                groups.push((generic, Vec::new()));
                groups.len() - 1
            }
        };
        groups[i].1.push(NamedSize { name: without_disambiguators(name), bytes });
    }
    let mut monos: Vec<Mono> = groups
        .into_iter()
        .filter(|(_, instances)| instances.len() > 1)
        .map(|(generic, mut instances)| {
            instances.sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.name.cmp(&b.name)));
            let total_bytes: u64 = instances.iter().map(|s| s.bytes).sum();
            let bloat_bytes = total_bytes - instances[0].bytes;
            Mono {
                generic,
                instantiations: instances.len() as u32,
                total_bytes,
                bloat_bytes,
                largest: instances.into_iter().take(5).collect(),
            }
        })
        .collect();
    monos.sort_by(|a, b| b.bloat_bytes.cmp(&a.bloat_bytes).then_with(|| a.generic.cmp(&b.generic)));
    monos
}

/// Largest first, ties by name: the same module lists its items in the same order.
pub fn sort_items(items: &mut [Item], by: fn(&Item) -> u64) {
    items.sort_by(|a, b| by(b).cmp(&by(a)).then_with(|| a.name.cmp(&b.name)));
}

/// A name as people read it: the legacy mangling hash (`::h0123456789abcdef`) and v0
/// crate disambiguators (`core[c5930c85a12de822]`) left off.
pub fn readable(name: &str) -> String {
    let name = match name.rsplit_once("::h") {
        Some((head, hash)) if hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => head,
        _ => name,
    };
    without_generic_arguments(&without_disambiguators(name))
}

/// A name with v0's generic arguments (`f::<u16>`) left off, so the instantiations of a
/// generic function read as one name, as legacy mangling's names already did.
fn without_generic_arguments(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(at) = rest.find("::<") {
        out.push_str(&rest[..at]);
        let mut depth = 0usize;
        let mut end = rest.len();
        for (i, c) in rest[at + 2..].char_indices() {
            match c {
                '<' => depth += 1,
                '>' => {
                    depth -= 1;
                    if depth == 0 {
                        end = at + 2 + i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// A name with v0 mangling's crate disambiguators (`core[c5930c85a12de822]`) left off, as
/// items are shown: rustc 1.99 mangles with v0 by default, and the hashes say nothing to a
/// reader. Distinct instantiations stay distinct (`mix_all::<u8>`, `mix_all::<u16>`).
pub fn without_disambiguators(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        let is_disambiguator =
            after.get(16..17) == Some("]") && after.as_bytes()[..16].iter().all(u8::is_ascii_hexdigit);
        let end = if is_disambiguator { open + 18 } else { open + 1 };
        out.push_str(&rest[..open]);
        if !is_disambiguator {
            out.push('[');
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// One item's change against the baseline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemChange {
    pub name: String,
    pub change: ChangeKind,
    pub baseline_bytes: Option<u64>,
    pub bytes: Option<u64>,
    /// bytes − baseline_bytes (an absent side counts 0).
    pub delta: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Grew,
    Shrank,
    Appeared,
    Disappeared,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Grew => "grew",
            ChangeKind::Shrank => "shrank",
            ChangeKind::Appeared => "appeared",
            ChangeKind::Disappeared => "disappeared",
        }
    }
}

/// What changed between the baseline's items and this run's, largest change first. Items
/// are compared by their readable name, summed over the names it covers (the instantiations
/// of a generic function, a function whose hash changed), so a rebuild that only renames
/// shows nothing. Both lists are cut at `TOP_ITEMS`: an item missing from a cut list but no
/// larger than that list's smallest may only have crossed the cut, so it is not reported.
pub fn diff(baseline: &[NamedSize], current: &[Item]) -> Vec<ItemChange> {
    let before = by_readable_name(baseline.iter().map(|b| (b.name.as_str(), b.bytes)));
    let after = by_readable_name(current.iter().map(|i| (i.name.as_str(), i.shallow_bytes)));
    let cut = |sizes: &mut dyn Iterator<Item = u64>, len: usize| if len >= TOP_ITEMS { sizes.min() } else { None };
    let floor_before = cut(&mut baseline.iter().map(|b| b.bytes), baseline.len());
    let floor_after = cut(&mut current.iter().map(|i| i.shallow_bytes), current.len());
    let mut changes = Vec::new();
    for (name, bytes) in &after {
        let old = before.iter().find(|(n, _)| n == name).map(|(_, b)| *b);
        let delta = *bytes as i64 - old.unwrap_or(0) as i64;
        let change = match old {
            None if floor_before.is_some_and(|f| *bytes <= f) => continue,
            None => ChangeKind::Appeared,
            Some(_) if delta > 0 => ChangeKind::Grew,
            Some(_) if delta < 0 => ChangeKind::Shrank,
            Some(_) => continue,
        };
        changes.push(ItemChange { name: name.clone(), change, baseline_bytes: old, bytes: Some(*bytes), delta });
    }
    let gone = |(n, b): &&(String, u64)| !after.iter().any(|(a, _)| a == n) && floor_after.is_none_or(|f| *b > f);
    for (name, bytes) in before.iter().filter(gone) {
        changes.push(ItemChange {
            name: name.clone(),
            change: ChangeKind::Disappeared,
            baseline_bytes: Some(*bytes),
            bytes: None,
            delta: -(*bytes as i64),
        });
    }
    changes.sort_by(|a, b| b.delta.unsigned_abs().cmp(&a.delta.unsigned_abs()).then_with(|| a.name.cmp(&b.name)));
    changes
}

fn by_readable_name<'a>(items: impl Iterator<Item = (&'a str, u64)>) -> Vec<(String, u64)> {
    let mut out: Vec<(String, u64)> = Vec::new();
    for (name, bytes) in items {
        let name = readable(name);
        match out.iter_mut().find(|(n, _)| *n == name) {
            Some((_, total)) => *total += bytes,
            None => out.push((name, bytes)),
        }
    }
    out
}

/// The size changes of one variant against the baseline's items, for the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SizeChanges {
    pub variant: VariantKind,
    /// The largest changes (at most `TOP_CHANGES`).
    pub changes: Vec<ItemChange>,
}

pub const TOP_CHANGES: usize = 20;

/// Per variant with an attribution and baseline items, its largest item changes.
pub fn size_changes<'a>(
    baseline: &BTreeMap<VariantKind, Vec<NamedSize>>,
    attributions: impl IntoIterator<Item = &'a Attribution>,
) -> Vec<SizeChanges> {
    attributions
        .into_iter()
        .filter_map(|a| {
            let old = baseline.get(&a.variant)?;
            let mut changes = diff(old, &a.items);
            changes.truncate(TOP_CHANGES);
            Some(SizeChanges { variant: a.variant, changes })
        })
        .collect()
}

/// What the baseline keeps of an attribution: the items by shallow size.
pub fn baseline_items<'a>(
    attributions: impl IntoIterator<Item = &'a Attribution>,
) -> BTreeMap<VariantKind, Vec<NamedSize>> {
    attributions
        .into_iter()
        .map(|a| {
            let items = a.items.iter().map(|i| NamedSize { name: i.name.clone(), bytes: i.shallow_bytes }).collect();
            (a.variant, items)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(name: &str, bytes: u64) -> Item {
        Item { name: name.into(), kind: ItemKind::Code, shallow_bytes: bytes, retained_bytes: bytes }
    }

    #[test]
    fn monos_group_instantiations_and_rank_by_bloat() {
        let items = [
            ("k::sum::<u8>::h1", Some("k::sum"), 100),
            ("k::sum::<u64>::h2", Some("k::sum"), 300),
            ("k::sum::<u32>::h3", Some("k::sum"), 200),
            ("k::once::<u8>::h4", Some("k::once"), 900),
            ("k::plain::h5", None, 5000),
            ("k::pair::<a>::h6", Some("k::pair"), 700),
            ("k::pair::<b>::h7", Some("k::pair"), 700),
        ];
        let monos = monos(items);
        let summary: Vec<(&str, u32, u64, u64)> =
            monos.iter().map(|m| (m.generic.as_str(), m.instantiations, m.total_bytes, m.bloat_bytes)).collect();
        assert_eq!(summary, [("k::pair", 2, 1400, 700), ("k::sum", 3, 600, 300)], "one instantiation is no bloat");
        let largest: Vec<&str> = monos[1].largest.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(largest, ["k::sum::<u64>::h2", "k::sum::<u32>::h3", "k::sum::<u8>::h1"]);
    }

    #[test]
    fn the_diff_names_what_grew_shrank_appeared_and_disappeared_largest_first() {
        let baseline = [
            NamedSize { name: "a".into(), bytes: 100 },
            NamedSize { name: "b".into(), bytes: 500 },
            NamedSize { name: "c".into(), bytes: 40 },
            NamedSize { name: "same::h2222222222222222".into(), bytes: 7 },
        ];
        let current = [
            item("a", 1900),
            item("b", 450),
            item("new::h0123456789abcdef", 100),
            item("new::hfedcba9876543210", 200),
            item("same::h1111111111111111", 7),
        ];
        let changes = diff(&baseline, &current);
        let changes: Vec<(&str, ChangeKind, i64)> =
            changes.iter().map(|c| (c.name.as_str(), c.change, c.delta)).collect();
        assert_eq!(
            changes,
            [
                ("a", ChangeKind::Grew, 1800),
                ("new", ChangeKind::Appeared, 300),
                ("b", ChangeKind::Shrank, -50),
                ("c", ChangeKind::Disappeared, -40),
            ]
        );
    }

    #[test]
    fn items_that_only_crossed_the_top_list_cut_are_not_changes() {
        fn filler(prefix: &'static str, n: usize) -> impl Iterator<Item = (String, u64)> {
            (0..n).map(move |i| (format!("{prefix}{i}"), 100 + i as u64))
        }
        let baseline: Vec<NamedSize> = filler("kept", TOP_ITEMS - 1)
            .chain([("small".to_owned(), 16)])
            .map(|(name, bytes)| NamedSize { name, bytes })
            .collect();
        let current: Vec<Item> =
            filler("kept", TOP_ITEMS - 1).map(|(n, b)| item(&n, b)).chain([item("big", 5000)]).collect();
        let changes = diff(&baseline, &current);
        let names: Vec<&str> = changes.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["big"], "`small` fell below the current cut (100 B): it may still be there");
    }

    #[test]
    fn readable_names_drop_only_a_mangling_hash() {
        let cases = [
            ("sample_kernel::timer::Wheel::arm::h0123456789abcdef", "sample_kernel::timer::Wheel::arm"),
            ("<core[c5930c85a12de822]::fmt::Formatter>::pad", "<core::fmt::Formatter>::pad"),
            ("k::hash::hex", "k::hash::hex"),
            ("code[3]", "code[3]"),
            ("a[b]c[", "a[b]c["),
            ("x::y[0123456789abcdef", "x::y[0123456789abcdef"),
            ("x[0123456789abcdeg]", "x[0123456789abcdeg]"),
        ];
        for (name, shown) in cases {
            assert_eq!(readable(name), shown, "{name}");
        }
        let v0 = "sample_kernel[70d94301b5d3fab0]::mono_bloat::mix_all::<u16>";
        assert_eq!(without_disambiguators(v0), "sample_kernel::mono_bloat::mix_all::<u16>");
        assert_eq!(readable(v0), "sample_kernel::mono_bloat::mix_all");
        assert_eq!(readable("<a::B<u8>>::f::<c::D<u8>, u16>::g"), "<a::B<u8>>::f::g");
        let monos = monos([
            (v0, Some("sample_kernel[70d94301b5d3fab0]::mono_bloat::mix_all::"), 5),
            (v0, Some("sample_kernel[70d94301b5d3fab0]::mono_bloat::mix_all::"), 5),
        ]);
        assert_eq!(
            (monos[0].generic.as_str(), monos[0].largest[0].name.as_str()),
            ("sample_kernel::mono_bloat::mix_all", "sample_kernel::mono_bloat::mix_all::<u16>")
        );
    }

    #[test]
    fn items_sort_largest_first_then_by_name() {
        let mut items = vec![item("b", 5), item("a", 5), item("c", 9)];
        sort_items(&mut items, |i| i.shallow_bytes);
        let names: Vec<&str> = items.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, ["c", "a", "b"]);
    }
}
