"use client";

import dynamic from "next/dynamic";

// The widget (and the glue it imports) is a chunk of its own, loaded in the browser only.
export const WasmClient = dynamic(() => import("./WasmWidget.jsx"), { ssr: false });
