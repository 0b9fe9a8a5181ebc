//! The guest side of the scenario ABI: how a wasm crate exports benchmark scenarios for
//! `cargo xtask perf` to drive.
//!
//! # The ABI
//! A scenario named `S` is three exported functions, all without imports:
//!
//! | export                       | contract                                                          |
//! |------------------------------|-------------------------------------------------------------------|
//! | `S_setup(seed: i64) -> i32`  | build the state from the seed; 0 = ok, anything else is an error |
//! | `S_op() -> i64`              | one measured operation; returns a checksum so it is not optimized away; `i64::MIN` = called before setup |
//! | `S_teardown() -> i32`        | check invariants and drop the state; 0 = ok, otherwise an error code |
//!
//! Optionally the module exports `perf_heap_in_use() -> i64`, the bytes its allocator has
//! handed out ([`counting_allocator!`]); without it the heap metric is reported as not
//! measured. The runner calls setup once per seed, then op repeatedly, then teardown.
//!
//! # Use
//! ```ignore
//! struct Echo(u64);
//! impl wasm_scenario::Scenario for Echo {
//!     fn setup(seed: u64) -> Self { Echo(seed) }
//!     fn op(&mut self) -> u64 { self.0 = self.0.wrapping_mul(31); self.0 }
//!     fn teardown(self) -> Result<(), i32> { Ok(()) }
//! }
//! wasm_scenario::export_scenario!(echo, Echo);
//! wasm_scenario::counting_allocator!();
//! ```

pub mod heap;

/// The exported name of the optional heap probe.
pub const HEAP_IN_USE_EXPORT: &str = "perf_heap_in_use";

/// One benchmarkable operation over state built from a seed.
pub trait Scenario: Sized {
    fn setup(seed: u64) -> Self;
    fn op(&mut self) -> u64;
    /// Checks the invariants that must hold when the scenario ends; `Err` is an error code.
    fn teardown(self) -> Result<(), i32>;
}

/// Exports `<name>_setup`, `<name>_op` and `<name>_teardown` for the scenario type `$ty`,
/// from a module `<name>` that sees its parent's names. The state lives in a thread-local
/// slot (wasm32-unknown-unknown has one thread).
#[macro_export]
macro_rules! export_scenario {
    ($name:ident, $ty:ty) => {
        pub mod $name {
            #[allow(unused_imports)]
            use super::*;

            thread_local! {
                static STATE: ::std::cell::RefCell<Option<$ty>> = const { ::std::cell::RefCell::new(None) };
            }

            #[unsafe(export_name = concat!(stringify!($name), "_setup"))]
            pub extern "C" fn setup(seed: i64) -> i32 {
                STATE.with(|s| *s.borrow_mut() = Some(<$ty as $crate::Scenario>::setup(seed as u64)));
                0
            }

            /// One operation; `i64::MIN` when called before `setup`.
            #[unsafe(export_name = concat!(stringify!($name), "_op"))]
            pub extern "C" fn op() -> i64 {
                STATE.with(|s| match s.borrow_mut().as_mut() {
                    Some(state) => <$ty as $crate::Scenario>::op(state) as i64,
                    None => i64::MIN,
                })
            }

            /// 0 when the invariants held, the scenario's error code otherwise, -1 before `setup`.
            #[unsafe(export_name = concat!(stringify!($name), "_teardown"))]
            pub extern "C" fn teardown() -> i32 {
                STATE.with(|s| match s.borrow_mut().take() {
                    Some(state) => match <$ty as $crate::Scenario>::teardown(state) {
                        Ok(()) => 0,
                        Err(code) => code,
                    },
                    None => -1,
                })
            }
        }
    };
}

/// Installs [`heap::CountingAllocator`] as the global allocator (on wasm32 only, so native
/// tests keep the system allocator) and exports `perf_heap_in_use() -> i64`.
#[macro_export]
macro_rules! counting_allocator {
    () => {
        #[cfg(target_arch = "wasm32")]
        #[global_allocator]
        static PERF_COUNTING_ALLOCATOR: $crate::heap::CountingAllocator = $crate::heap::CountingAllocator;

        /// Bytes currently handed out by the allocator (0 off wasm32).
        #[unsafe(no_mangle)]
        pub extern "C" fn perf_heap_in_use() -> i64 {
            if cfg!(target_arch = "wasm32") { $crate::heap::in_use() as i64 } else { 0 }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::Scenario;

    struct Counter(u64);

    impl Scenario for Counter {
        fn setup(seed: u64) -> Self {
            Counter(seed)
        }
        fn op(&mut self) -> u64 {
            self.0 += 1;
            self.0
        }
        fn teardown(self) -> Result<(), i32> {
            if self.0 > 100 { Err(7) } else { Ok(()) }
        }
    }

    crate::export_scenario!(counter, Counter);

    #[test]
    fn exported_functions_follow_the_abi() {
        use counter::{op, setup, teardown};
        assert_eq!(op(), i64::MIN, "op before setup is refused");
        assert_eq!(teardown(), -1, "teardown before setup is refused");
        assert_eq!(setup(41), 0);
        assert_eq!(op(), 42);
        assert_eq!(teardown(), 0);
        assert_eq!(setup(100), 0);
        assert_eq!(op(), 101);
        assert_eq!(teardown(), 7, "a broken invariant is the scenario's error code");
    }
}
