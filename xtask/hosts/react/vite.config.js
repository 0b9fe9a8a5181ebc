import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// Relative asset paths, so the build is served from any folder; no asset inlined, so even a
// tiny module is fetched as a real app fetches it.
export default defineConfig({
  base: "./",
  plugins: [react()],
  build: { assetsInlineLimit: 0, target: "es2022" },
});
