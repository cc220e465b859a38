/**
 * `npm run docs:events`: writes docs/events.md from the zod schemas (shared/events/catalog.ts).
 * test/unit/event-catalog.test.ts fails when the committed file differs from what this writes.
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { renderEventCatalog } from "#shared/events/catalog.ts";

const target = fileURLToPath(new URL("../../docs/events.md", import.meta.url));
writeFileSync(target, renderEventCatalog());
console.log(`wrote ${target}`);
