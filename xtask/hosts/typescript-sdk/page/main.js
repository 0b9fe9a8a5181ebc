// A page using the SDK as its users do: import the bundle, load(), call the API.
import { load } from "../dist/sdk.js";
import { probe } from "../pkg/probe.js";

const out = await probe(load);
document.getElementById("answer").textContent = out.answer ?? out.error ?? "";
