// A static export (`out/`), served by the gate's loopback server; no image optimisation
// server, no telemetry, no font fetched at build time.
export default {
  output: "export",
  images: { unoptimized: true },
};
