//! The cache canary's module: many functions of straight-line arithmetic, all called once
//! by its one export `run(i32) -> i32`. A browser compiles lazily, so that first call
//! compiles every function: slow when cold, close to free when a cache hands back the
//! compiled module. Built here, byte by byte, so the canary does not depend on the module
//! under test being large enough to show a cache.

use crate::leb128;

/// Functions in the module, and arithmetic steps per function.
const FUNCTIONS: u32 = 1000;
const STEPS: u32 = 80;

/// The module's bytes (about 800 KB), the same on every call.
pub(crate) fn canary_module() -> Vec<u8> {
    let mut m = b"\0asm\x01\0\0\0".to_vec();
    // One type: (i32) -> i32.
    section(&mut m, 1, &[1, 0x60, 1, 0x7f, 1, 0x7f]);
    let mut functions = Vec::new();
    leb128::unsigned(&mut functions, u64::from(FUNCTIONS + 1));
    functions.extend(std::iter::repeat_n(0u8, FUNCTIONS as usize + 1));
    section(&mut m, 3, &functions);
    let mut exports = vec![1, 3];
    exports.extend_from_slice(b"run");
    exports.push(0);
    leb128::unsigned(&mut exports, u64::from(FUNCTIONS));
    section(&mut m, 7, &exports);
    let mut code = Vec::new();
    leb128::unsigned(&mut code, u64::from(FUNCTIONS + 1));
    for f in 0..FUNCTIONS {
        // local.get 0, then (i32.const k; i32.add; i32.const k'; i32.mul) per step.
        let mut body = vec![0, 0x20, 0];
        for s in 0..STEPS {
            body.push(0x41);
            leb128::signed(&mut body, i64::from((f * 31 + s * 7) % 1000 + 1));
            body.push(if s % 2 == 0 { 0x6a } else { 0x6c });
        }
        body.push(0x0b);
        leb128::unsigned(&mut code, body.len() as u64);
        code.extend_from_slice(&body);
    }
    // run: local.get 0, then call every function in turn on the running value.
    let mut run = vec![0, 0x20, 0];
    for f in 0..FUNCTIONS {
        run.push(0x10);
        leb128::unsigned(&mut run, u64::from(f));
    }
    run.push(0x0b);
    leb128::unsigned(&mut code, run.len() as u64);
    code.extend_from_slice(&run);
    section(&mut m, 10, &code);
    m
}

fn section(module: &mut Vec<u8>, id: u8, payload: &[u8]) {
    module.push(id);
    leb128::unsigned(module, payload.len() as u64);
    module.extend_from_slice(payload);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_canary_module_is_valid_and_runs_every_function() {
        let bytes = canary_module();
        assert!(bytes.len() > 300_000, "{} bytes: too small to show a cache", bytes.len());
        assert_eq!(bytes, canary_module(), "the same bytes every time");
        let engine = wasmtime::Engine::default();
        let module = wasmtime::Module::new(&engine, &bytes).unwrap();
        let mut store = wasmtime::Store::new(&engine, ());
        let instance = wasmtime::Instance::new(&mut store, &module, &[]).unwrap();
        let run = instance.get_typed_func::<i32, i32>(&mut store, "run").unwrap();
        // Deterministic arithmetic: the same answer twice, and not the input.
        let a = run.call(&mut store, 1).unwrap();
        assert_eq!(a, run.call(&mut store, 1).unwrap());
        assert_ne!(a, 1);
    }
}
