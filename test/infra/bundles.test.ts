/**
 * The bundle budget: every function, bundled with the CDK app's own options, stays within
 * 300 KB minified (the runtime-provided AWS SDK excluded). Sizes, not timings: init times
 * are measured by `npm run bundles` / `npm run bench`.
 */
import { describe, expect, it } from "vitest";
import { BUNDLE_BUDGET_BYTES } from "#infra/bundling.ts";
import {
  AUTHORIZER_FUNCTION,
  BUS_TARGET_FUNCTIONS,
  HTTP_FUNCTIONS,
  PUBLISH_FUNCTION,
  WEBHOOK_AUTHORIZER_FUNCTION,
} from "#shared/function-registry.ts";
import { bundleReport } from "../../bench/bundles.ts";

describe("function bundles", () => {
  it("each stays within the 300 KB budget and runs without bundling the AWS SDK", async () => {
    const report = await bundleReport(process.cwd(), { measureInit: false });
    // Every registry entry is bundled, and nothing else lives in functions/.
    const entries = [
      ...Object.values(HTTP_FUNCTIONS),
      AUTHORIZER_FUNCTION,
      WEBHOOK_AUTHORIZER_FUNCTION,
      PUBLISH_FUNCTION,
      ...Object.values(BUS_TARGET_FUNCTIONS),
    ].map((def) => def.entry.replace(/^functions\/(.*)\.ts$/, "$1"));
    expect(report.functions.map((f) => f.fn).sort()).toEqual([...new Set(entries)].sort());
    for (const f of report.functions) {
      expect(f.bytes, f.fn).toBeLessThanOrEqual(BUNDLE_BUDGET_BYTES);
      expect(f.top.map((t) => t.name)).not.toContain("@aws-sdk/client-dynamodb");
      // Only zod's default English messages, not its 40-odd locales (about 250 KB).
      expect(f.zodLocaleBytes, `${f.fn} keeps zod's locales`).toBeLessThan(8 * 1024);
    }
  });
});
