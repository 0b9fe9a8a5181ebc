//! wasm-opt, in-process through the `wasm-opt` crate (binaryen compiled in), with a cache
//! keyed by the input's sha256, the settings and the binaryen version: a second run on
//! unchanged inputs copies the cached output instead of optimizing again.

use std::collections::BTreeSet;
use std::path::Path;
use std::str::FromStr;

use anyhow::{Context, anyhow};
use perf_core::digest::hex;
use perf_core::policy::WasmOptSettings;
use sha2::{Digest, Sha256};
use strum::IntoEnumIterator;
use wasm_opt::{Feature, OptimizationOptions, OptimizeLevel, Pass, ShrinkLevel};

use crate::atomic_write::write_atomic;

/// The binaryen release the `wasm-opt` crate compiles in (crate 0.116.x is binaryen
/// version_116); a tidy test keeps this in step with Cargo.lock.
pub const BINARYEN_VERSION: &str = "116";

/// Wasm features binaryen 116 names on its command line.
const FEATURE_NAMES: [&str; 16] = [
    "threads",
    "mutable-globals",
    "nontrapping-float-to-int",
    "simd",
    "bulk-memory",
    "sign-ext",
    "exception-handling",
    "tail-call",
    "reference-types",
    "multivalue",
    "gc",
    "memory64",
    "relaxed-simd",
    "extended-const",
    "strings",
    "multi-memory",
];

/// Pass names binaryen's registry knows and the crate can run.
pub fn known_passes() -> BTreeSet<String> {
    let registered: BTreeSet<String> = wasm_opt::base::pass_registry::get_registered_names().into_iter().collect();
    Pass::iter().map(|p| p.name().to_owned()).filter(|n| registered.contains(n)).collect()
}

/// Feature names the crate accepts.
pub fn known_features() -> BTreeSet<String> {
    FEATURE_NAMES.iter().filter(|n| Feature::from_str(n).is_ok()).map(|n| (*n).to_owned()).collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheOutcome {
    Hit,
    Miss,
}

/// Optimizes `input` (whose bytes are `bytes`) into `output` per `settings`, through the
/// cache in `cache_dir`; returns the optimized bytes.
pub fn optimize(
    input: &Path,
    bytes: &[u8],
    output: &Path,
    s: &WasmOptSettings,
    cache_dir: &Path,
) -> anyhow::Result<(CacheOutcome, Vec<u8>)> {
    let key = cache_key(bytes, s);
    let cached = cache_dir.join(format!("{key}.wasm"));
    if let Ok(hit) = std::fs::read(&cached) {
        write_atomic(output, &hit)?;
        return Ok((CacheOutcome::Hit, hit));
    }
    std::fs::create_dir_all(cache_dir).with_context(|| format!("cannot create {}", cache_dir.display()))?;
    let scratch = cache_dir.join(format!(".{key}.{}.tmp", std::process::id()));
    let result = options(s)?.run(input, &scratch);
    if let Err(e) = result {
        let _ = std::fs::remove_file(&scratch);
        return Err(anyhow!("wasm-opt failed on {}: {e}", input.display()));
    }
    let optimized = std::fs::read(&scratch).with_context(|| format!("cannot read {}", scratch.display()))?;
    std::fs::rename(&scratch, &cached).with_context(|| format!("cannot store {}", cached.display()))?;
    write_atomic(output, &optimized)?;
    Ok((CacheOutcome::Miss, optimized))
}

fn options(s: &WasmOptSettings) -> anyhow::Result<OptimizationOptions> {
    let mut opts = OptimizationOptions::new_optimize_for_size();
    opts.optimize_level(match s.optimize_level.unwrap_or(0) {
        0 => OptimizeLevel::Level0,
        1 => OptimizeLevel::Level1,
        2 => OptimizeLevel::Level2,
        3 => OptimizeLevel::Level3,
        _ => OptimizeLevel::Level4,
    });
    opts.shrink_level(match s.shrink_level.unwrap_or(0) {
        0 => ShrinkLevel::Level0,
        1 => ShrinkLevel::Level1,
        _ => ShrinkLevel::Level2,
    });
    for name in s.passes.iter().flatten() {
        let pass = Pass::iter().find(|p| p.name() == name).ok_or_else(|| anyhow!("unknown wasm-opt pass {name}"))?;
        opts.add_pass(pass);
    }
    for name in s.features.iter().flatten() {
        let feature = Feature::from_str(name).map_err(|_| anyhow!("unknown wasm feature {name}"))?;
        opts.enable_feature(feature);
    }
    Ok(opts)
}

/// Bump when `options` changes how settings become binaryen options: the cache key must
/// change with everything that shapes the output.
const OPTIONS_CODE_VERSION: &str = "options-v1: new_optimize_for_size, then levels, passes, features";

fn cache_key(input: &[u8], s: &WasmOptSettings) -> String {
    let mut h = Sha256::new();
    h.update(Sha256::digest(input));
    h.update(serde_json::to_vec(s).unwrap_or_default());
    h.update(BINARYEN_VERSION.as_bytes());
    h.update(OPTIONS_CODE_VERSION.as_bytes());
    hex(&h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binaryen_knows_the_passes_and_features_the_policy_uses() {
        let passes = known_passes();
        for p in ["strip-debug", "strip-dwarf", "strip-producers", "vacuum", "dce"] {
            assert!(passes.contains(p), "{p}");
        }
        assert!(!passes.contains("make-it-small"));
        assert_eq!(known_features().len(), FEATURE_NAMES.len(), "every listed feature parses");
    }

    #[test]
    fn binaryen_version_matches_the_locked_crate() {
        let version = crate::toolchain::locked_version("wasm-opt");
        assert_eq!(version, format!("0.{BINARYEN_VERSION}.1"), "update BINARYEN_VERSION");
    }

    #[test]
    fn the_cache_key_follows_input_and_settings() {
        let s = WasmOptSettings {
            enabled: true,
            optimize_level: Some(2),
            shrink_level: Some(1),
            passes: None,
            features: Some(vec!["bulk-memory".into()]),
        };
        let mut other = s.clone();
        other.shrink_level = Some(2);
        assert_eq!(cache_key(b"a", &s), cache_key(b"a", &s));
        assert_ne!(cache_key(b"a", &s), cache_key(b"b", &s));
        assert_ne!(cache_key(b"a", &s), cache_key(b"a", &other));
    }
}
