//! Names the `wasm-bindgen-cli-support` this build links, from the workspace's Cargo.lock
//! (the lock cargo resolved this build with), as `WASM_BINDGEN_VERSION`. The requirement in
//! Cargo.toml is a range, so the version is whatever the lock holds: the same one every
//! wasm-bindgen crate of the workspace locks, as wasm-bindgen's crates pin each other exactly.

fn main() {
    let lock = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.lock");
    println!("cargo::rerun-if-changed={}", lock.display());
    let text = std::fs::read_to_string(&lock).unwrap_or_else(|e| panic!("{}: {e}", lock.display()));
    let entry = "name = \"wasm-bindgen-cli-support\"\nversion = \"";
    let version = text
        .find(entry)
        .and_then(|at| text[at + entry.len()..].split('"').next())
        .unwrap_or_else(|| panic!("{}: no wasm-bindgen-cli-support", lock.display()));
    println!("cargo::rustc-env=WASM_BINDGEN_VERSION={version}");
}
