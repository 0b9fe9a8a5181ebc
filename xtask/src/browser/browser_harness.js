// The page-side harness of the browser cold-init samples, evaluated as
// `(<this function>)(<arguments>)` in a fresh browser context. It fetches and compiles a
// module (compileStreaming), instantiates it and makes the first call, timing each phase
// with performance.now() (5 µs when the page is cross-origin isolated), and returns a JSON
// string: { isolated, rounds: [{ fetch_compile, instantiate, first_call }], error? }.
// A wasm-bindgen module is instantiated through its glue, as a page does: `instantiate` is
// then the glue's import() and its init with the compiled module (which returns the
// instance's exports). The first call is a scenario's setup(seed), op() and teardown(),
// `run(1)` for the cache canary's module, or none when the corpus names no first call
// (`first_call` is then ~0). `rounds` > 1 repeats all of it on the same URL in the same page
// (the canary only: a glue initialises once per page).
async ({ url, glue, canary, scenario, seed, rounds }) => {
  const out = { isolated: self.crossOriginIsolated === true, rounds: [] };
  if (glue !== null && rounds > 1) {
    out.error = { phase: "compile", message: "a wasm-bindgen glue initialises once per page: one round only" };
    return JSON.stringify(out);
  }
  for (let round = 0; round < rounds; round++) {
    let phase = "compile";
    try {
      const t0 = performance.now();
      const module = await WebAssembly.compileStreaming(fetch(url));
      const t1 = performance.now();
      phase = "instantiate";
      const e = glue === null
        ? (await WebAssembly.instantiate(module, {})).exports
        : await (await import(glue)).default({ module_or_path: module });
      const t2 = performance.now();
      phase = "first_call";
      if (canary) {
        e.run(1);
      } else if (scenario !== null) {
        const setup = e[scenario + "_setup"](BigInt(seed));
        e[scenario + "_op"]();
        const teardown = e[scenario + "_teardown"]();
        if (setup !== 0 || teardown !== 0) {
          out.error = { phase: "status", message: `${scenario}_setup returned ${setup}, _teardown ${teardown}` };
          return JSON.stringify(out);
        }
      }
      const t3 = performance.now();
      out.rounds.push({ fetch_compile: t1 - t0, instantiate: t2 - t1, first_call: t3 - t2 });
    } catch (e) {
      out.error = { phase, message: String(e) };
      return JSON.stringify(out);
    }
  }
  return JSON.stringify(out);
}
