/**
 * The compiler options of code that Node loads as ES modules from this package: the build compiles
 * the SDK with them (scripts/build.ts), and the npm-pack proof type-checks its consumer with them
 * (test/sdk-package.test.ts), so the published `.d.ts` is checked under the settings it is built for.
 */
export const NODE_ESM_COMPILER_OPTIONS = {
  target: "ES2022",
  module: "NodeNext",
  moduleResolution: "NodeNext",
  lib: ["ES2022", "DOM"],
  types: [],
  strict: true,
} as const;
