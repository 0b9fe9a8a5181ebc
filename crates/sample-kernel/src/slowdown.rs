//! A deliberate slowdown for the gate's tests (feature `slow-reserve-send`): a spin loop the
//! optimizer cannot remove, added to the reserve+send operation.

/// Mixes `v` through 2048 rounds the compiler must keep.
pub fn spin(v: u64) -> u64 {
    let mut acc = v;
    for i in 0..2048u64 {
        acc = std::hint::black_box(acc.rotate_left(5) ^ i);
    }
    acc
}
