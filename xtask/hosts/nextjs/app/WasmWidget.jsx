"use client";

import { useEffect, useState } from "react";
import init, * as api from "../pkg/subject.js";
import { probe } from "../pkg/probe.js";

let loading;
const load = () => (loading ??= init().then(() => api));

export default function WasmWidget() {
  const [out, setOut] = useState(null);
  useEffect(() => {
    probe(load).then(setOut);
  }, []);
  return <output>{out ? (out.answer ?? out.error ?? "") : "loading"}</output>;
}
