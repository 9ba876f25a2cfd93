/**
 * Component tests (`*.ct.tsx`, so `bun test` never picks them up): vitest in happy-dom with Solid's
 * browser build (`resolve.conditions`), on worker threads. Run with `bun x vitest run` in web/.
 */
import solid from "vite-plugin-solid";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [solid()],
  resolve: { conditions: ["browser", "development"] },
  test: {
    environment: "happy-dom",
    pool: "threads",
    include: ["src/**/*.ct.tsx"],
    testTimeout: 10_000,
  },
});
