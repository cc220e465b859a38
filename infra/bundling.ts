/**
 * How every function is bundled, defined once: the CDK construct passes these to
 * `NodejsFunction`, and `npm run bundles` builds with the same options to report sizes and
 * cold-start module initialization.
 */

/** Some CommonJS dependencies call require(); an ESM bundle must define it. */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);";

export const BUNDLING = {
  // ESM: top-level await for configuration, and tree-shaking that drops unused code.
  format: "esm",
  // Smaller bundles load faster at cold start.
  minify: true,
  sourceMap: true,
  target: "node22",
  mainFields: ["module", "main"],
  // The AWS SDK v3 comes with the Lambda Node.js runtime; bundling it would add about
  // 300 KB per function and break the budget. Everything else is bundled and tree-shaken.
  external: ["@aws-sdk/*"],
  banner: ESM_REQUIRE_BANNER,
} as const;

/** Budget per function bundle, minified, without the runtime-provided AWS SDK. */
export const BUNDLE_BUDGET_BYTES = 300 * 1024;
