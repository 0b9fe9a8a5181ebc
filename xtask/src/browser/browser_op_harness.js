// The page-side harness of per-operation timing, evaluated as `(<this function>)(<arguments>)`
// in a fresh browser context. It compiles the module and instantiates it (through its
// wasm-bindgen glue when it has one, as a page does), then times one operation in batches:
// either a scenario export (`scenario`: `<scenario>_setup(seed)`, then `<scenario>_op()`,
// then `_teardown()`), or an operation through the public JS API (`js_api`: its `setup`, the
// body of a function of `api` and `seed` whose value is the state, then its `op`, the body
// of a function of `api` and `state`), where `api` is the glue's exports (`api.exports`
// without glue). A page's clock ticks in 5 µs when cross-origin isolated (100 µs when not),
// far coarser than one operation, so a batch has as many operations (a power of two) as last
// `batch_ms` at the rate measured after a calibration run; `warmup` batches are discarded and
// `batches` timed. Returns a JSON string: { isolated, ops_per_batch, batch_ms: [..], error? }.
// With `work.memory` (a memory-pressure scenario) nothing is timed: the operation runs
// `warmup_ops` times, then `sample_ops` times with the module's linear memory
// (`memory.buffer.byteLength`) read after each; then, where the page is cross-origin isolated
// and the browser has it, `performance.measureUserAgentSpecificMemory()` gives the page's
// memory as the browser attributes it. Returns { isolated, linear_bytes: [..], ua_bytes,
// ua_unavailable, error? }.
async ({ url, glue, scenario, js_api, seed, work }) => {
  const { batches, warmup, batch_ms, memory } = work;
  const out = { isolated: self.crossOriginIsolated === true, ops_per_batch: 0, batch_ms: [] };
  let phase = "compile";
  try {
    const module = await WebAssembly.compileStreaming(fetch(url));
    phase = "instantiate";
    let api, raw;
    if (glue === null) {
      raw = (await WebAssembly.instantiate(module, {})).exports;
      api = { exports: raw };
    } else {
      api = await import(glue);
      raw = await api.default({ module_or_path: module });
    }
    phase = "first_call";
    // One operation, and what ends the scenario (a status, 0 when it held).
    let op, teardown;
    if (js_api !== null) {
      const state = await new Function("api", "seed", js_api.setup)(api, seed);
      const call = new Function("api", "state", js_api.op);
      op = () => call(api, state);
      teardown = () => 0;
    } else {
      const status = raw[scenario + "_setup"](BigInt(seed));
      if (status !== 0) {
        out.error = { phase: "status", message: `${scenario}_setup returned ${status}` };
        return JSON.stringify(out);
      }
      op = raw[scenario + "_op"];
      teardown = raw[scenario + "_teardown"];
    }
    // The page keeps every operation's value, so no call is dead code.
    let last;
    if (memory) {
      if (!(raw.memory instanceof WebAssembly.Memory)) {
        throw new Error("the module exports no memory named `memory`");
      }
      for (let i = 0; i < memory.warmup_ops; i++) last = op();
      const linear = [];
      for (let i = 0; i < memory.sample_ops; i++) {
        last = op();
        linear.push(raw.memory.buffer.byteLength);
      }
      const result = { isolated: out.isolated, linear_bytes: linear, ua_bytes: null, ua_unavailable: null };
      if (typeof performance.measureUserAgentSpecificMemory !== "function") {
        result.ua_unavailable = "this browser has no performance.measureUserAgentSpecificMemory()";
      } else if (!out.isolated) {
        result.ua_unavailable = "the page is not cross-origin isolated";
      } else {
        result.ua_bytes = (await performance.measureUserAgentSpecificMemory()).bytes;
      }
      const status = teardown();
      if (status !== 0) {
        result.error = { phase: "status", message: `${scenario}_teardown returned ${status}` };
      }
      result.checksum = String(last).slice(0, 64);
      return JSON.stringify(result);
    }
    const batch = (n) => {
      const t0 = performance.now();
      for (let i = 0; i < n; i++) last = op();
      return performance.now() - t0;
    };
    // Calibration: operations for `batch_ms` ten times over, after which the first calls'
    // lazy compile and tier-up are behind; their rate sizes a batch (a power of two).
    let ops = 0;
    const start = performance.now();
    while (performance.now() - start < 10 * batch_ms) {
      last = op();
      ops++;
    }
    const per_op = (performance.now() - start) / ops;
    let n = 1;
    while (n * per_op < batch_ms && n < 1 << 24) n *= 2;
    for (let i = 0; i < warmup; i++) batch(n);
    for (let i = 0; i < batches; i++) out.batch_ms.push(batch(n));
    out.ops_per_batch = n;
    const status = teardown();
    if (status !== 0) {
      out.error = { phase: "status", message: `${scenario}_teardown returned ${status}` };
    }
    out.checksum = String(last).slice(0, 64);
  } catch (err) {
    out.error = { phase, message: String(err) };
  }
  return JSON.stringify(out);
}
