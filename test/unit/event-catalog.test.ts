/**
 * docs/events.md is generated from the zod schemas (`npm run docs:events`); this fails when the
 * committed file is not exactly what the generator renders now.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { renderEventCatalog } from "#shared/events/catalog.ts";
import { CONTENT_EXAMPLES, EVENT_EXAMPLES } from "#shared/events/examples.ts";
import { CONTENT_TYPES, EVENT_TYPES, MAX_EVENT_BYTES } from "#shared/events/schema.ts";

const committed = () => readFileSync(new URL("../../docs/events.md", import.meta.url), "utf8");

describe("docs/events.md", () => {
  it("is what the generator renders from the schemas", () => {
    expect(committed(), "docs/events.md is stale: run npm run docs:events").toBe(renderEventCatalog());
  });

  it("renders the same text every time", () => {
    expect(renderEventCatalog()).toBe(renderEventCatalog());
  });

  it("has a section and the example of every event type and every content type", () => {
    const doc = renderEventCatalog();
    for (const type of EVENT_TYPES) {
      expect(doc).toContain(`\n### ${type}\n`);
      expect(doc).toContain(JSON.stringify(EVENT_EXAMPLES[type], null, 2));
    }
    for (const type of CONTENT_TYPES) {
      expect(doc).toContain(`\n#### Content: ${type}\n`);
      expect(doc).toContain(JSON.stringify(CONTENT_EXAMPLES[type], null, 2));
    }
  });

  it("reads the limits from the code", () => {
    expect(renderEventCatalog()).toContain(`${MAX_EVENT_BYTES.toLocaleString("en-US")} bytes`);
  });

  it("links only to files inside the repository", () => {
    const links = [...renderEventCatalog().matchAll(/\]\(([^)#]+)[^)]*\)/g)].map((m) => m[1]);
    for (const link of links) expect(link).toMatch(/^(api\.md|channels\.md|\.\.\/shared\/[\w/.-]+\.ts)$/);
  });
});
