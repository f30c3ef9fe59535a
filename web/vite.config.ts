import { defineConfig } from "vitest/config";
import react from "@vitejs/plugin-react";

// The dashboard is served by platd at / of the API's URL (same origin as /v1). `npm run dev` proxies /v1 to a
// platd on 127.0.0.1:7070 (./deploy/dev.sh).
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: "dist",
    // The CSP allows no inline script: no inlined module preload polyfill, every asset a file of its own.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
    chunkSizeWarningLimit: 600,
  },
  server: {
    proxy: { "/v1": { target: "http://127.0.0.1:7070", changeOrigin: false } },
  },
  test: {
    environment: "happy-dom",
    include: ["test/**/*.test.{ts,tsx}"],
  },
});
