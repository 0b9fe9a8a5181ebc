// The page-side harness of per-operation timing, evaluated as `(<this function>)(<arguments>)`
// in a fresh browser context. It compiles the module and instantiates it (through its
// wasm-bindgen glue when it has one, as a page does), calls `<scenario>_setup(seed)`, then
// times batches of `<scenario>_op()` with performance.now(): a page's clock ticks in 5 µs
// when cross-origin isolated (100 µs when not), far coarser than one operation, so a batch
// has as many operations (a power of two) as last `batch_ms` at the rate measured after a
// calibration run; `warmup` batches are discarded and `batches` timed. Returns a JSON string:
// { isolated, ops_per_batch, batch_ms: [..], error? }.
async ({ url, glue, scenario, seed, batches, warmup, batch_ms }) => {
  const out = { isolated: self.crossOriginIsolated === true, ops_per_batch: 0, batch_ms: [] };
  let phase = "compile";
  try {
    const module = await WebAssembly.compileStreaming(fetch(url));
    phase = "instantiate";
    const e = glue === null
      ? (await WebAssembly.instantiate(module, {})).exports
      : await (await import(glue)).default({ module_or_path: module });
    phase = "first_call";
    const op = e[scenario + "_op"];
    const setup = e[scenario + "_setup"](BigInt(seed));
    if (setup !== 0) {
      out.error = { phase: "status", message: `${scenario}_setup returned ${setup}` };
      return JSON.stringify(out);
    }
    // The checksums are folded into one value the page keeps, so no call is dead code.
    let sink = 0n;
    const batch = (n) => {
      const t0 = performance.now();
      for (let i = 0; i < n; i++) sink ^= op();
      return performance.now() - t0;
    };
    // Calibration: operations for `batch_ms` ten times over, after which the first calls'
    // lazy compile and tier-up are behind; their rate sizes a batch (a power of two).
    let ops = 0;
    const start = performance.now();
    while (performance.now() - start < 10 * batch_ms) {
      sink ^= op();
      ops++;
    }
    const per_op = (performance.now() - start) / ops;
    let n = 1;
    while (n * per_op < batch_ms && n < 1 << 24) n *= 2;
    for (let i = 0; i < warmup; i++) batch(n);
    for (let i = 0; i < batches; i++) out.batch_ms.push(batch(n));
    out.ops_per_batch = n;
    const teardown = e[scenario + "_teardown"]();
    if (teardown !== 0) {
      out.error = { phase: "status", message: `${scenario}_teardown returned ${teardown}` };
    }
    out.checksum = String(sink);
  } catch (err) {
    out.error = { phase, message: String(err) };
  }
  return JSON.stringify(out);
}
