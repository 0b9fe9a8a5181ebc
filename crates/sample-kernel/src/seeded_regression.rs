//! A deliberate size regression: a 4 KiB table of pseudo-random bytes (so compression cannot
//! hide it) behind an export (so neither LTO nor wasm-opt can drop it). Only the gate's own
//! tests build it, with `--cfg=perf_gate_seeded_regression` in a test policy's rustflags.

const fn table() -> [u8; 4096] {
    let mut t = [0u8; 4096];
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut i = 0;
    while i < t.len() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        t[i] = (x >> 32) as u8;
        i += 1;
    }
    t
}

static TABLE: [u8; 4096] = table();

/// A byte of the table; the export keeps the whole table alive.
#[unsafe(no_mangle)]
pub extern "C" fn seeded_lookup(i: u32) -> u32 {
    u32::from(TABLE[i as usize % TABLE.len()])
}
