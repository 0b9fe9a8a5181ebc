// The host apps' harness, evaluated in a host page as soon as its document exists: it
// waits for the page contract's result (`window.__wasmProbe`, announced by a `wasm-probe`
// event; see xtask/hosts/probe.js) and returns it as a JSON string. An error the page
// does not catch (a module script that fails to load, a rejected promise) is returned as
// the page's error instead of leaving the load to time out.
() =>
  new Promise((resolve) => {
    const done = () => resolve(JSON.stringify(window.__wasmProbe));
    if (window.__wasmProbe) return done();
    addEventListener("wasm-probe", done, { once: true });
    const failed = (message) => resolve(JSON.stringify({ control: location.search.includes("control"), error: message }));
    addEventListener("error", (e) => failed(String(e.error ?? e.message)), { once: true });
    addEventListener("unhandledrejection", (e) => failed(String(e.reason)), { once: true });
  })
