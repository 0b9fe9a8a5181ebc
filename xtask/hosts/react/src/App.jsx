// The module loads once at app scope (a module-level promise: StrictMode runs effects twice
// in development) and a component renders the first call's answer.
import { useEffect, useState } from "react";
import init, * as api from "../pkg/subject.js";
import { probe } from "../pkg/probe.js";

let loading;
const load = () => (loading ??= init().then(() => api));

export function App() {
  const [out, setOut] = useState(null);
  useEffect(() => {
    probe(load).then(setOut);
  }, []);
  return <output>{out ? (out.answer ?? out.error ?? "") : "loading"}</output>;
}
