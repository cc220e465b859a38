/**
 * docs/events.md, rendered from the zod schemas (through zod's JSON Schema), the documented
 * examples and the limits the code exports. Pure and deterministic: `npm run docs:events`
 * writes it, and a unit test fails when the committed file differs.
 *
 * Only what the schemas cannot say lives here as prose: the invariants and how ids are chosen.
 * Field meanings belong in `.meta({ description })` on the schemas, where the OpenAPI document
 * shows them too.
 */
import * as z from "zod";
import { MAX_MS, normalizeTimestamp, SECONDS_THRESHOLD } from "../time.ts";
import { deriveEventId } from "../usecases/ingest.ts";
import { CONTENT_EXAMPLES, EVENT_EXAMPLES, storedExample } from "./examples.ts";
import {
  CONTENT_TYPES,
  EVENT_TYPES,
  EventInputSchema,
  ID_PATTERN,
  LOG_OWNED_FIELDS,
  MAX_EVENT_BYTES,
  MAX_METADATA_BYTES,
  StoredEventSchema,
} from "./schema.ts";
import { MAX_EVENT_DEPTH } from "./validate.ts";

/** The part of JSON Schema that zod emits for these schemas. */
interface JsonSchema {
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  type?: string | string[];
  const?: unknown;
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: JsonSchema | boolean;
  propertyNames?: JsonSchema;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  description?: string;
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
}

interface Row {
  field: string;
  type: string;
  required: boolean;
  description: string;
  limits: string;
}

const GENERATED =
  "<!-- Generated from shared/events/schema.ts, shared/events/examples.ts and shared/time.ts by " +
  "`npm run docs:events`. Do not edit by hand: test/unit/event-catalog.test.ts fails when it is stale. -->";

/** Named schemas the document gives a section of their own, and its anchor. */
const SECTIONS: Record<string, string> = {
  Channel: "#channel",
  Author: "#author",
  Source: "#source",
  CausedBy: "#causedby",
  Message: "#message",
  MessageContent: "#message-content",
  Action: "#action",
  Attachment: "#attachment",
};

const thousands = (n: number): string => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
const code = (text: string): string => `\`${text}\``;
const cell = (text: string): string => text.replace(/\|/g, "\\|").replace(/\n/g, " ");
const json = (value: unknown): string => ["```json", JSON.stringify(value, null, 2), "```"].join("\n");

class Schemas {
  constructor(private readonly root: JsonSchema) {}

  refName(s: JsonSchema): string | undefined {
    return s.$ref?.startsWith("#/$defs/") ? s.$ref.slice("#/$defs/".length) : undefined;
  }

  deref(s: JsonSchema): JsonSchema {
    const name = this.refName(s);
    if (name === undefined) return s;
    const def = this.root.$defs?.[name];
    if (!def) throw new Error(`no definition ${name}`);
    return def;
  }

  def(name: string): JsonSchema {
    return this.deref({ $ref: `#/$defs/${name}` });
  }

  /** zod's `z.json()`: any JSON value. */
  isAnyJson(s: JsonSchema): boolean {
    const d = this.deref(s);
    return (d.anyOf ?? []).some((v) => v.type === "null") && (d.anyOf ?? []).some((v) => v.type === "object");
  }

  /** A field's description, or that of the named schema it refers to. */
  describe(s: JsonSchema | undefined): string {
    if (!s) return "";
    return s.description ?? (this.refName(s) ? (this.deref(s).description ?? "") : "");
  }

  /** The variants of a union, each dereferenced. */
  variants(s: JsonSchema): JsonSchema[] {
    const d = this.deref(s);
    return (d.oneOf ?? d.anyOf ?? [d]).map((v) => this.deref(v));
  }

  typeOf(s: JsonSchema): string {
    if (this.isAnyJson(s)) return "any JSON";
    const name = this.refName(s);
    if (name !== undefined) {
      const anchor = SECTIONS[name];
      return anchor ? `[${name}](${anchor})` : name;
    }
    if (s.const !== undefined) return code(JSON.stringify(s.const));
    if (s.anyOf ?? s.oneOf)
      return [...new Set((s.anyOf ?? s.oneOf ?? []).map((v) => this.typeOf(v)))].join(" or ");
    if (Array.isArray(s.type)) return s.type.join(" or ");
    if (s.type === "array") return `${s.items ? this.typeOf(s.items) : "any"} list`;
    if (s.type === "object") {
      if (s.properties) return "object";
      if (typeof s.additionalProperties === "object") {
        return `map of string to ${this.typeOf(s.additionalProperties)}`;
      }
      return "object";
    }
    return s.type ?? "any JSON";
  }

  limitsOf(s: JsonSchema): string {
    const out: string[] = [];
    if (s.enum) out.push(`one of ${s.enum.map((v) => code(String(v))).join(", ")}`);
    if (s.pattern) out.push(`pattern ${code(s.pattern)}`);
    if (s.format) out.push(`format ${s.format}`);
    const range = (min: number | undefined, max: number | undefined, unit: string) => {
      if (min !== undefined && max !== undefined) out.push(`${thousands(min)} to ${thousands(max)}${unit}`);
      else if (max !== undefined) out.push(`at most ${thousands(max)}${unit}`);
      else if (min !== undefined) out.push(`at least ${thousands(min)}${unit}`);
    };
    range(s.minLength, s.maxLength, " characters");
    range(s.minItems, s.maxItems, " items");
    const safe = (n: number | undefined) =>
      n === undefined || Math.abs(n) >= Number.MAX_SAFE_INTEGER ? undefined : n;
    range(safe(s.minimum), safe(s.maximum), "");
    if (s.type === "integer") out.push("whole number");
    if (s.type === "array" && s.items && !this.refName(s.items)) {
      const items = this.limitsOf(s.items);
      if (items) out.push(`each ${items}`);
    }
    if (s.propertyNames?.maxLength !== undefined)
      out.push(`keys at most ${s.propertyNames.maxLength} characters`);
    if (typeof s.additionalProperties === "object" && !this.refName(s.additionalProperties)) {
      const values = [s.additionalProperties, ...(s.additionalProperties.anyOf ?? [])]
        .map((v) =>
          v.maxLength !== undefined ? `${v.type} values at most ${thousands(v.maxLength)} characters` : "",
        )
        .filter((v) => v.length > 0);
      out.push(...values);
    }
    if (s.anyOf) {
      for (const v of s.anyOf) {
        const l = this.limitsOf(v);
        if (l && !this.refName(v)) out.push(`${this.typeOf(v)}: ${l}`);
      }
    }
    return out.join("; ");
  }

  /** One row per field, nested inline objects flattened as `a.b` and `a[].b`. */
  rows(s: JsonSchema, prefix = ""): Row[] {
    const d = this.deref(s);
    const rows: Row[] = [];
    for (const [key, prop] of Object.entries(d.properties ?? {})) {
      const field = `${prefix}${key}`;
      rows.push({
        field,
        type: this.typeOf(prop),
        required: (d.required ?? []).includes(key),
        description: this.describe(prop),
        limits: this.limitsOf(prop),
      });
      if (this.refName(prop)) continue;
      if (prop.type === "object" && prop.properties) rows.push(...this.rows(prop, `${field}.`));
      if (prop.type === "array" && prop.items && !this.refName(prop.items) && prop.items.properties) {
        rows.push(...this.rows(prop.items, `${field}[].`));
      }
    }
    return rows;
  }
}

function fieldTable(rows: Row[]): string {
  if (rows.length === 0) return "No fields.";
  return [
    "| field | type | required | description | limits |",
    "|---|---|---|---|---|",
    ...rows.map(
      (r) =>
        `| ${code(r.field)} | ${cell(r.type)} | ${r.required ? "yes" : "no"} | ${cell(r.description)} | ${cell(r.limits)} |`,
    ),
  ].join("\n");
}

const PAYLOADS = new Set(["message", "data"]);

function envelopeSection(input: Schemas, stored: Schemas): string {
  const inVariant = input.variants(input.def("EventInput"))[0] as JsonSchema;
  const outVariant = stored.variants(stored.def("Event"))[0] as JsonSchema;
  const keys = [
    ...new Set([...Object.keys(outVariant.properties ?? {}), ...Object.keys(inVariant.properties ?? {})]),
  ].filter((k) => !PAYLOADS.has(k));
  // `type` reads best right after `id`.
  const ordered = ["id", "type", ...keys.filter((k) => k !== "id" && k !== "type")];
  const owned = new Set<string>(LOG_OWNED_FIELDS);
  const rows = ordered.map((key) => {
    const i = inVariant.properties?.[key];
    const o = outVariant.properties?.[key];
    const inType = i ? input.typeOf(i) : undefined;
    const outType = o ? stored.typeOf(o) : undefined;
    const type =
      key === "type"
        ? "string"
        : inType && outType && inType !== outType
          ? `${inType} in, ${outType} out`
          : (outType ?? inType ?? "");
    const post = owned.has(key)
      ? "rejected: set by the log"
      : (inVariant.required ?? []).includes(key)
        ? "required"
        : "optional";
    const returned = (outVariant.required ?? []).includes(key) ? "always" : "when set";
    const inDesc = input.describe(i);
    const outDesc = stored.describe(o);
    let description: string;
    if (key === "type") description = "The event type: one of the [catalogue](#catalogue)";
    else if (!inDesc || inDesc === outDesc || outDesc.startsWith(inDesc)) description = outDesc;
    else if (!outDesc || inDesc.startsWith(outDesc)) description = inDesc;
    else description = `${outDesc}. Posted as: ${inDesc}`;
    if (key === "occurred_at") description += ` ([rules](#time))`;
    const limits = i ? input.limitsOf(i) : o ? stored.limitsOf(o) : "";
    return `| ${code(key)} | ${cell(type)} | ${post} | ${returned} | ${cell(description)} | ${cell(limits)} |`;
  });
  const derived = deriveEventId("whatsapp", "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA");
  const objectSection = (name: string, intro: string) =>
    [`### ${name}`, "", intro, "", fieldTable(stored.rows(stored.def(name)))].join("\n");
  return [
    "## Envelope",
    "",
    "Every event has these fields. Message events (`MessageReceived`, `MessageSent`) add `message`;",
    "every other event adds `data` (see the [catalogue](#catalogue)).",
    "",
    "| field | type | in a POST | returned | description | limits |",
    "|---|---|---|---|---|---|",
    ...rows,
    "",
    "### Ids and idempotency",
    "",
    `- \`id\` is unique per tenant and is the idempotency key. A client may send one (${code(ID_PATTERN.source)}).`,
    "- Without `id`, the log derives it from `source.system` and `source.event_id`: the system, a colon, and the",
    "  first 32 hex characters of the SHA-256 of the event id (provider ids may hold characters the pattern does",
    `  not allow). For example \`whatsapp\` + \`wamid.HBgLMTY1…\` gives ${code(derived)}.`,
    "- Without either, the log makes a ULID.",
    `- ${LOG_OWNED_FIELDS.map(code).join(", ")} belong to the log: a client that sends one gets a 400 naming it.`,
    "- Unknown fields are rejected with a 400 at every level, never silently dropped. Only the free-form maps",
    "  (`metadata`, `channel.metadata`, `external_ids`) and template `components` take any keys.",
    "",
    "### As returned",
    "",
    "The `MessageReceived` example of the catalogue, as the API returns it (`received_at` and `sequence` are",
    "the log's; `occurred_at` is normalized to UTC with milliseconds):",
    "",
    json(storedExample("MessageReceived")),
    "",
    objectSection("Channel", "`channel`: where the event happened."),
    "",
    objectSection("Author", "`author`, and each of `recipients`: who acted, or to whom."),
    "",
    objectSection("Source", "`source`: where the event came from, and its id there."),
    "",
    objectSection("CausedBy", "`caused_by`: set by the log on events that automations (triggers) created."),
  ].join("\n");
}

function payloadSummary(schemas: Schemas, variant: JsonSchema): string {
  if (variant.properties?.message) return `\`message\`: a [Message](${SECTIONS.Message})`;
  const data = schemas.deref(variant.properties?.data ?? {});
  const fields = Object.keys(data.properties ?? {}).map((k) =>
    (data.required ?? []).includes(k) ? code(k) : `${code(k)}?`,
  );
  return `\`data\`: { ${fields.join(", ")} }`.replace("{  }", "{ }");
}

function catalogueSection(input: Schemas): string {
  const variants = input.variants(input.def("EventInput"));
  const byType = new Map(variants.map((v) => [v.properties?.type?.const as string, v]));
  const variantOf = (type: string): JsonSchema => {
    const v = byType.get(type);
    if (!v) throw new Error(`no schema variant for ${type}`);
    return v;
  };
  const summary = EVENT_TYPES.map((type) => {
    const v = variantOf(type);
    return `| [${code(type)}](#${type.toLowerCase()}) | ${cell(v.description ?? "")} | ${cell(payloadSummary(input, v))} |`;
  });
  const sections = EVENT_TYPES.map((type) => {
    const v = variantOf(type);
    const payload = v.properties?.message ? "message" : "data";
    const body =
      payload === "message"
        ? `Carries \`message\`, a [Message](${SECTIONS.Message}) (required).`
        : fieldTable(input.rows(v.properties?.data ?? {}, "data."));
    return [`### ${type}`, "", `${v.description ?? ""}.`, "", body, "", json(EVENT_EXAMPLES[type])].join(
      "\n",
    );
  });
  return [
    "## Catalogue",
    "",
    "`type` selects the event's meaning and its type-specific fields. `?` marks an optional field.",
    "",
    "| type | meaning | type-specific fields |",
    "|---|---|---|",
    ...summary,
    "",
    "Each example below is a complete event as a client posts it to `POST /v1/events`. Together they",
    "tell one conversation, and their `occurred_at` values show every accepted input form.",
    "",
    sections.join("\n\n"),
  ].join("\n");
}

function messageSection(input: Schemas): string {
  const variants = input.variants(input.def("MessageContent"));
  const byType = new Map(variants.map((v) => [v.properties?.type?.const as string, v]));
  const contentOf = (type: string): JsonSchema => {
    const v = byType.get(type);
    if (!v) throw new Error(`no schema variant for content type ${type}`);
    return v;
  };
  const summary = CONTENT_TYPES.map((type) => {
    const v = contentOf(type);
    const fields = Object.keys(v.properties ?? {})
      .filter((k) => k !== "type")
      .map((k) => ((v.required ?? []).includes(k) ? code(k) : `${code(k)}?`));
    return `| [${code(type)}](#content-${type}) | ${cell(v.description ?? "")} | ${fields.join(", ")} |`;
  });
  const sections = CONTENT_TYPES.map((type) => {
    const v = contentOf(type);
    const rows = input.rows(v).filter((r) => r.field !== "type");
    return [
      `#### Content: ${type}`,
      "",
      `${v.description ?? ""}.`,
      "",
      fieldTable(rows),
      "",
      json(CONTENT_EXAMPLES[type]),
    ].join("\n");
  });
  return [
    "## Messages",
    "",
    "### Message",
    "",
    `${input.def("Message").description ?? ""}.`,
    "",
    fieldTable(input.rows(input.def("Message"))),
    "",
    "### Message content",
    "",
    "`message.content` is one of these, selected by `content.type`. A channel message the log cannot",
    "represent yet is stored as `unsupported`, never dropped.",
    "",
    "| content.type | meaning | fields |",
    "|---|---|---|",
    ...summary,
    "",
    sections.join("\n\n"),
    "",
    "## Actions and attachments",
    "",
    "### Action",
    "",
    `${input.def("Action").description ?? ""}, in \`actions\` of text, image and list content and of`,
    "carousel and list items.",
    "",
    fieldTable(input.rows(input.def("Action"))),
    "",
    "### Attachment",
    "",
    `${input.def("Attachment").description ?? ""}, in \`message.attachments\`.`,
    "",
    fieldTable(input.rows(input.def("Attachment"))),
  ].join("\n");
}

function limitsSection(stored: Schemas): string {
  const system = stored.def("Source").properties?.system?.pattern ?? "";
  return [
    "## Limits",
    "",
    "| what | limit | when exceeded |",
    "|---|---|---|",
    `| one event, serialized as JSON | ${thousands(MAX_EVENT_BYTES)} bytes (${MAX_EVENT_BYTES / 1024} KB) of UTF-8 | 400 naming the size |`,
    `| \`metadata\`, \`channel.metadata\`, each serialized | ${thousands(MAX_METADATA_BYTES)} bytes (${MAX_METADATA_BYTES / 1024} KB) | 400 at that field |`,
    `| nesting depth of an event | ${MAX_EVENT_DEPTH} levels | 400 at the first path nested too deep |`,
    `| \`id\`, \`conversation_id\`, \`caused_by.event_id\` | ${cell(code(ID_PATTERN.source))} | 400 at that field |`,
    `| \`source.system\` | ${cell(code(system))} | 400 at that field |`,
    "| a key named `__proto__`, anywhere | not allowed | 400 at that key |",
    "| every other string, list and number | as in the tables above | 400 at that field |",
    "",
    "Every rejection is a 400 whose `errors` list each problem as `{ path, message }`, for example",
    '`{ "path": "message.content.text", "message": "must not be empty" }`. Batches and body limits are',
    "in [api.md](api.md#ingest).",
  ].join("\n");
}

function timeSection(): string {
  const show = (input: string | number) =>
    typeof input === "number" ? String(input) : JSON.stringify(input);
  const accepted = [
    "2025-05-23T10:15:30.123Z",
    "2025-05-23T12:15:30.1239+02:00",
    "2025-05-23T06:15:30-04:00",
    "2025-05-23 10:15:30z",
    1748000130,
    1748000130.5,
    "1748000130123",
    1748000130123,
  ].map((input) => {
    const r = normalizeTimestamp(input);
    if (!r.ok) throw new Error(`${show(input)} should be accepted: ${r.message}`);
    return `| ${code(show(input))} | ${code(r.value)} |`;
  });
  const rejected = [
    "2025-05-23",
    "2025-05-23T10:15:30",
    "2025-02-30T10:15:30Z",
    "1e10",
    "2025-05-23T23:59:60Z",
  ].map((input) => {
    const r = normalizeTimestamp(input);
    if (r.ok) throw new Error(`${show(input)} should be rejected`);
    return `| ${code(show(input))} | ${cell(r.message)} |`;
  });
  return [
    "## Time",
    "",
    "`occurred_at` (and every time a client sends, such as `start_time`) is accepted as:",
    "",
    "- an ISO-8601 date-time **with** an offset or `Z`; a date-time without one, or a date alone, is",
    "  ambiguous and rejected;",
    `- a unix timestamp, as a number or a numeric string: below ${thousands(SECONDS_THRESHOLD)} it is seconds`,
    "  (a fraction is allowed), otherwise milliseconds.",
    "",
    "Digits below a millisecond are truncated, never rounded. Times run from",
    `${code(new Date(0).toISOString())} to ${code(new Date(MAX_MS).toISOString())}. Every time the log stores or`,
    "returns is UTC ISO-8601 with milliseconds (`YYYY-MM-DDTHH:mm:ss.sssZ`), whatever came in.",
    "",
    "| sent | stored and returned |",
    "|---|---|",
    ...accepted,
    "",
    "| sent | rejected with |",
    "|---|---|",
    ...rejected,
  ].join("\n");
}

function invariantsSection(): string {
  return [
    "## Invariants",
    "",
    "The whole system relies on these:",
    "",
    "1. **The same `id` stored twice is one event.** Posting it again with the same body (compared after",
    "   normalization: key order aside, times as instants) answers with the stored event; with a different",
    "   body it is a 409 conflict, never an overwrite. Events are immutable.",
    "2. **Times out are UTC with milliseconds**, `YYYY-MM-DDTHH:mm:ss.sssZ`, whatever came in ([Time](#time)).",
    "3. **A conversation's timeline is ordered by (`occurred_at`, `id`)**: a total order, stable across pages,",
    "   even when many events share a millisecond.",
    "4. **The change feed is ordered by `sequence`** (ingest order): an event that arrives late, with an old",
    "   `occurred_at`, still appears in it ([api.md](api.md#change-feed)).",
    "5. **Nothing a customer sent is silently dropped.** A field the log does not understand from a channel",
    "   goes to `metadata`, and a message it cannot represent becomes `unsupported` content. Invalid input is",
    "   rejected with a reason, never trimmed to fit.",
    "6. **A channel adapter maps one provider event to one unified event**, or to none for the provider events",
    "   the log deliberately ignores, each listed in [channels.md](channels.md). It never invents extra events.",
  ].join("\n");
}

/** docs/events.md, from the schemas. */
export function renderEventCatalog(): string {
  const input = new Schemas(
    z.toJSONSchema(EventInputSchema, { io: "input", unrepresentable: "any" }) as JsonSchema,
  );
  const stored = new Schemas(
    z.toJSONSchema(StoredEventSchema, { io: "output", unrepresentable: "any" }) as JsonSchema,
  );
  return `${[
    "# The unified conversation event",
    "",
    GENERATED,
    "",
    "Every channel (web widget, mobile SDKs, WhatsApp, Messenger, Instagram, SMS, email, bots, and this",
    "API itself) is normalized into one event shape, described here. The zod schemas in",
    "[`shared/events/schema.ts`](../shared/events/schema.ts) are its single source of truth: this page and",
    "the OpenAPI document (`GET /v1/openapi.json`) are generated from them. The HTTP API that stores and",
    "reads events is in [api.md](api.md).",
    "",
    "Field names are snake_case. Contents:",
    "",
    "- [Envelope](#envelope): the fields every event has, ids and idempotency",
    "- [Catalogue](#catalogue): each event type, its fields and an example",
    "- [Messages](#messages): message content types",
    "- [Actions and attachments](#actions-and-attachments)",
    "- [Limits](#limits)",
    "- [Time](#time): accepted time formats and their normalization",
    "- [Invariants](#invariants)",
    "",
    envelopeSection(input, stored),
    "",
    catalogueSection(input),
    "",
    messageSection(input),
    "",
    limitsSection(stored),
    "",
    timeSection(),
    "",
    invariantsSection(),
  ].join("\n")}\n`;
}
