// The page-side harness of the browser cold-init samples, evaluated as
// `(<this function>)(<arguments>)` in a fresh browser context. It fetches and compiles a
// module (compileStreaming), instantiates it and makes the first call, timing each phase
// with performance.now() (5 µs when the page is cross-origin isolated), and returns a JSON
// string: { isolated, rounds: [{ fetch_compile, instantiate, first_call, answer }], error? }.
// A wasm-bindgen module is instantiated through its glue, as a page does: `instantiate` is
// then the glue's import() and its init with the compiled module, and `api` is the glue's
// exports; without glue, `api.exports` is the instance's exports. The first call is
// `first_call`, the body of a function of `api` (the corpus's call through the public JS
// API, or `run(1)` for the cache canary's module); its value, as a string, is the answer.
// `rounds` > 1 repeats all of it on the same URL in the same page (the canary only: a glue
// initialises once per page).
async ({ url, glue, first_call, rounds }) => {
  const out = { isolated: self.crossOriginIsolated === true, rounds: [] };
  if (glue !== null && rounds > 1) {
    out.error = { phase: "compile", message: "a wasm-bindgen glue initialises once per page: one round only" };
    return JSON.stringify(out);
  }
  for (let round = 0; round < rounds; round++) {
    let phase = "first_call";
    try {
      // A body that does not parse is the first call's error, not the page's.
      const call = new Function("api", first_call);
      phase = "compile";
      const t0 = performance.now();
      const module = await WebAssembly.compileStreaming(fetch(url));
      const t1 = performance.now();
      phase = "instantiate";
      let api;
      if (glue === null) {
        api = { exports: (await WebAssembly.instantiate(module, {})).exports };
      } else {
        api = await import(glue);
        await api.default({ module_or_path: module });
      }
      const t2 = performance.now();
      phase = "first_call";
      const answer = await call(api);
      const t3 = performance.now();
      out.rounds.push({ fetch_compile: t1 - t0, instantiate: t2 - t1, first_call: t3 - t2, answer: String(answer) });
    } catch (e) {
      out.error = { phase, message: String(e) };
      return JSON.stringify(out);
    }
  }
  return JSON.stringify(out);
}
