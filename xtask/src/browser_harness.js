// The page-side harness of the browser cold-init samples, evaluated as
// `(<this function>)(<arguments>)` in a fresh browser context. It fetches and compiles a
// module, instantiates it and makes the first exported call, timing each phase with
// performance.now() (5 µs when the page is cross-origin isolated), and returns a JSON
// string: { isolated, rounds: [{ fetch_compile, instantiate, first_call }], error? }.
// `rounds` > 1 repeats all three on the same URL in the same page (the cache canary).
async ({ url, firstCall, seed, rounds }) => {
  const out = { isolated: self.crossOriginIsolated === true, rounds: [] };
  for (let round = 0; round < rounds; round++) {
    let phase = "compile";
    try {
      const t0 = performance.now();
      const module = await WebAssembly.compileStreaming(fetch(url));
      const t1 = performance.now();
      phase = "instantiate";
      const instance = await WebAssembly.instantiate(module, {});
      const t2 = performance.now();
      phase = "first_call";
      if (firstCall !== null) {
        const e = instance.exports;
        const setup = e[firstCall + "_setup"](BigInt(seed));
        e[firstCall + "_op"]();
        const teardown = e[firstCall + "_teardown"]();
        if (setup !== 0 || teardown !== 0) {
          out.error = { phase: "status", message: `${firstCall}_setup returned ${setup}, _teardown ${teardown}` };
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
