#!/usr/bin/env bash
# The hand-rolled equivalent of `cargo xtask perf`, for side-by-side timing (docs/perf.md):
# three `cargo build` calls with the policy's settings, Debian's `wasm-opt` binary
# (apt-get install binaryen) and `gzip -9 | wc -c`. No brotli, no sections, no validation,
# no budgets: it is what teams run today, not what the gate does.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=target/shell-pipeline
mkdir -p "$out"
common=(--package sample-kernel --lib --target wasm32-unknown-unknown --target-dir target/perf-wasm --no-default-features)
cfg() { local p=$1; shift; for kv in "$@"; do printf -- '--config\nprofile.%s.%s\n' "$p" "$kv"; done; }

mapfile -t dev < <(cfg perf-dev 'inherits="dev"' opt-level=1 'lto="off"' codegen-units=16 'debug="full"' 'panic="abort"' 'strip="none"')
mapfile -t canary < <(cfg perf-canary 'inherits="release"' 'opt-level="s"' 'lto="thin"' codegen-units=1 'debug="line-tables-only"' 'panic="abort"' 'strip="none"')
mapfile -t release < <(cfg perf-release 'inherits="release"' 'opt-level="z"' 'lto="fat"' codegen-units=1 'debug="none"' 'panic="abort"' 'strip="none"')

cargo build -q "${common[@]}" --profile perf-dev --features exports "${dev[@]}"
cargo build -q "${common[@]}" --profile perf-canary --features exports,trace "${canary[@]}"
cargo build -q "${common[@]}" --profile perf-release --features exports "${release[@]}"

features=(--enable-bulk-memory --enable-sign-ext --enable-reference-types --enable-multivalue --enable-mutable-globals --enable-nontrapping-float-to-int)
dir=target/perf-wasm/wasm32-unknown-unknown
cp "$dir/perf-dev/sample_kernel.wasm" "$out/dev.wasm"
wasm-opt -Os "${features[@]}" --strip-dwarf "$dir/perf-canary/sample_kernel.wasm" -o "$out/canary.wasm"
wasm-opt -Oz "${features[@]}" --strip-debug --strip-producers "$dir/perf-release/sample_kernel.wasm" -o "$out/release.wasm"

for v in dev canary release; do
  printf '%s raw %s gzip %s\n' "$v" "$(stat -c %s "$out/$v.wasm")" "$(gzip -9 -c "$out/$v.wasm" | wc -c)"
done
