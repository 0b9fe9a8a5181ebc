//! A module that is expensive to compile: distinct functions, each called once when a
//! runtime is created (`kernel_runtime_new`, the public API's first call). V8 compiles a
//! function lazily on its first call, so a browser pays for all of them inside cold init.
//! Only the gate's own checks enable these features: `compile-heavy` (16,384 functions), in
//! a test, to prove that cold init in a browser (M-PERF-02A) fails an active baseline and
//! that reverting passes; `slow-start` (2,048), in a commit measured against its parent, to
//! prove that `perf --compare` finds a slower start (docs/perf.md records the runs).

/// One function per `(P, A, B)`: its own constants in every step, so neither LLVM nor
/// wasm-opt can fold two of them into one.
#[inline(never)]
fn mix<const P: u64, const A: u64, const B: u64>(x: u64) -> u64 {
    let k = (P << 48) | (A << 32) | B;
    let mut h = x ^ k;
    h = std::hint::black_box(h.wrapping_mul(0x9e37_79b9_7f4a_7c15 ^ k).rotate_left((B % 61) as u32 + 1));
    h = std::hint::black_box((h ^ (h >> 29)).wrapping_add(0xbf58_476d_1ce4_e5b9 ^ (k << 7)));
    h = std::hint::black_box(h.wrapping_mul(0x94d0_49bb_1331_11eb ^ A).rotate_right((A % 59) as u32 + 1));
    h = std::hint::black_box((h ^ (h >> 31)).wrapping_sub(0x2545_f491_4f6c_dd1d ^ (B << 13)));
    h = std::hint::black_box(h.wrapping_mul(0xd6e8_feb8_6659_fd93 ^ (k >> 3)) ^ (A.wrapping_mul(B) | 1));
    h = std::hint::black_box((h ^ (h >> 27)).wrapping_mul(0xa076_1d64_78bd_642f ^ (B << 21)));
    h
}

/// `mix::<P, A, B>` for one `P` and `A` and every listed `B`.
macro_rules! row {
    ($p:literal, $a:literal; $($b:literal)*) => {
        [$( mix::<$p, $a, $b> as fn(u64) -> u64 ),*]
    };
}

/// Every `mix::<P, A, B>` of one `P`, for each listed `A` and B in 0..64.
macro_rules! grid {
    ($p:literal; $($a:literal)*) => {
        [$(
            row!($p, $a;
                0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31
                32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60
                61 62 63),
        )*]
    };
}

/// Every grid of each listed `P`, A and B in 0..64.
#[cfg(feature = "compile-heavy")]
macro_rules! planes {
    ($($p:literal)*) => {
        [$(
            grid!($p;
                0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31
                32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60
                61 62 63),
        )*]
    };
}

/// Called through a table: an indirect call is inlined neither by LLVM nor by wasm-opt (which
/// would otherwise fold each function into its only caller), so the module keeps 16,384
/// functions for the browser to compile. So many because the effect must stand well clear of
/// a clean module's noise: with 4,096, cold init went from 12–28 ms to 55–85 ms on a quiet
/// machine, which a 150% tolerance over an anchor measured at 28 ms did not always flag.
#[cfg(feature = "compile-heavy")]
static FUNCTIONS: [[[fn(u64) -> u64; 64]; 64]; 4] = planes!(0 1 2 3);

/// Runs all 16,384 functions once, chained so that none can be skipped.
#[cfg(feature = "compile-heavy")]
pub fn warm_up(seed: u64) -> u64 {
    FUNCTIONS.iter().flatten().flatten().fold(seed, |acc, f| f(acc))
}

/// 2,048 functions of their own plane (`P` = 4): a slower start, not a module too slow to
/// miss (4,096 such functions moved cold init from 12–28 ms to 55–85 ms).
#[cfg(feature = "slow-start")]
static SLOW_START: [[fn(u64) -> u64; 64]; 32] = grid!(4;
    0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31);

/// Runs the 2,048 functions once, chained.
#[cfg(feature = "slow-start")]
pub fn slow_start(seed: u64) -> u64 {
    SLOW_START.iter().flatten().fold(seed, |acc, f| f(acc))
}
