// A static page's ES module: import the glue, initialise it, call the API.
import init, * as api from "./pkg/subject.js";
import { probe } from "./pkg/probe.js";

const out = await probe(async () => {
  await init();
  return api;
});
document.getElementById("answer").textContent = out.answer ?? out.error ?? "";
