// The SDK a team publishes over its crate: the glue's typed API re-exported, and one
// memoised load() so that concurrent callers share a single fetch and compile.
import init from "../pkg/subject.js";
import * as api from "../pkg/subject.js";

export * from "../pkg/subject.js";

let loading: Promise<typeof api> | undefined;

/** Initialises the module once; every call resolves to the same API. */
export function load(): Promise<typeof api> {
  loading ??= init().then(() => api);
  return loading;
}
