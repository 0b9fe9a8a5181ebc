// The page contract every host keeps, copied into each host's `pkg/` by the gate beside the
// subject's glue (`subject.js`) and the corpus's API calls (`calls.js`). `probe(load)` marks
// `wasm:init-start`, awaits `load()` (the host's own way of initialising the module, which
// resolves to the subject's API), makes the corpus's first call through that API and marks
// `wasm:ready`; the result is left in `window.__wasmProbe` for the gate to read:
// { control, ready_ms, init_ms, first_call_ms, answer?, error? }. `ready_ms` is the
// `wasm:ready` mark's time from navigation start (the host's boot, hydration and chunk
// loading included); `init_ms` is init to first answer, the same in every host. With
// `?control` in the URL the page makes no call; the gate loads it so from the app's control
// build (the subject stubbed out), whose `ready_ms` is the host's own cost. A `wasm-probe`
// event on window says the result is there.
import { firstCall } from "./calls.js";

export async function probe(load) {
  const control = new URLSearchParams(location.search).has("control");
  const out = { control };
  try {
    const start = performance.mark("wasm:init-start").startTime;
    if (!control) {
      const api = await load();
      const loaded = performance.now();
      out.answer = String(firstCall(api));
      out.first_call_ms = performance.now() - loaded;
    }
    const ready = performance.mark("wasm:ready").startTime;
    out.ready_ms = ready;
    out.init_ms = ready - start;
  } catch (e) {
    out.error = String(e && e.stack ? e.stack : e);
  }
  window.__wasmProbe = out;
  window.dispatchEvent(new Event("wasm-probe"));
  return out;
}
