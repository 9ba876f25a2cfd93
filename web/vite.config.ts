/**
 * Vite builds the web app into web/dist, which `bun start` (and the edge) serve. In `bun run dev`
 * (web/), RPC paths are proxied to a running server on :8080.
 */
import { defineConfig } from "vite";
import solid from "vite-plugin-solid";

export default defineConfig({
  plugins: [solid()],
  build: { outDir: "dist", target: "es2022", sourcemap: true },
  server: {
    proxy: { "^/(todo|grpc)\\.[\\w.]+/\\w+$": { target: "http://127.0.0.1:8080", changeOrigin: false } },
  },
});
