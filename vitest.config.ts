import { defineConfig } from "vitest/config";

/**
 * Two tiers. `unit` is pure logic: no DynamoDB Local, no Java, no network, seconds
 * (`npm run test:unit`). `stack` is everything that needs the real parts: integration tests
 * against DynamoDB Local, end-to-end tests through the local gateway, and the CDK and bundle
 * checks. `npm test` runs both.
 */
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: two workers keep DynamoDB Local responsive.
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          setupFiles: ["test/support/unit-env.ts"],
        },
      },
      {
        extends: true,
        test: {
          name: "stack",
          include: ["test/integration/**/*.test.ts", "test/e2e/**/*.test.ts", "test/infra/**/*.test.ts"],
          globalSetup: ["test/support/global-setup.ts"],
          setupFiles: ["test/support/env.ts"],
        },
      },
    ],
  },
});
