/**
 * Turns raw client input into a normalized {@link EventInput}, or a list of
 * `{ path, message }` errors a person can act on.
 */
import type { z } from "zod";
import { type EventInput, EventInputSchema, LOG_OWNED_FIELDS, MAX_EVENT_BYTES } from "./schema.ts";

export interface FieldError {
  path: string;
  message: string;
}

export type Validated<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

/** Renders a zod path as `events[3].message.content.text`. */
export function formatPath(path: readonly PropertyKey[], prefix = ""): string {
  let out = prefix;
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out.length === 0 ? String(part) : `.${String(part)}`;
  }
  return out.length === 0 ? "(root)" : out;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = input;
  for (const part of path) {
    if (typeof cur !== "object" || cur === null) return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[part];
  }
  return cur;
}

/** Maps zod issues to field errors, with messages that say what to send instead. */
export function zodErrors(error: z.ZodError, prefix = "", input?: unknown): FieldError[] {
  const out: FieldError[] = [];
  for (const issue of error.issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        out.push({
          path: formatPath([...issue.path, key], prefix),
          message: "unknown field; remove it (free-form data belongs in metadata)",
        });
      }
      continue;
    }
    let message = issue.message;
    // A custom check names its own problem, even about a path the input does not hold.
    if (issue.code !== "custom" && issue.path.length > 0 && valueAt(input, issue.path) === undefined) {
      message = "is required";
    }
    out.push({ path: formatPath(issue.path, prefix), message });
  }
  return out;
}

/** Deepest nesting an event may have; the schema itself needs 6, free-form maps get the rest. */
export const MAX_EVENT_DEPTH = 32;

/**
 * Walks the raw input without recursion (a hostile body can nest thousands of levels and
 * overflow the stack of any recursive walker, zod's and JSON.stringify's included), and
 * reports the first structural problem: nesting too deep, or a `__proto__` key, which
 * JavaScript objects cannot hold as data and would otherwise drop silently.
 */
export function structuralError(
  raw: unknown,
  prefix: string,
  maxDepth = MAX_EVENT_DEPTH,
): FieldError | undefined {
  const stack: { value: unknown; path: PropertyKey[]; depth: number }[] = [
    { value: raw, path: [], depth: 0 },
  ];
  while (stack.length > 0) {
    const { value, path, depth } = stack.pop() as { value: unknown; path: PropertyKey[]; depth: number };
    if (typeof value !== "object" || value === null) continue;
    if (depth > maxDepth) {
      return {
        path: formatPath(path, prefix),
        message: `nested more than ${maxDepth} levels deep; flatten it`,
      };
    }
    if (Array.isArray(value)) {
      value.forEach((v, i) => {
        stack.push({ value: v, path: [...path, i], depth: depth + 1 });
      });
      continue;
    }
    for (const key of Object.keys(value)) {
      if (key === "__proto__") {
        return {
          path: formatPath([...path, key], prefix),
          message: "the key __proto__ is not allowed; rename it",
        };
      }
      stack.push({ value: (value as Record<string, unknown>)[key], path: [...path, key], depth: depth + 1 });
    }
  }
  return undefined;
}

/**
 * Validates one client event. `prefix` locates it inside a batch (`events[3]`).
 */
export function validateEventInput(raw: unknown, prefix = ""): Validated<EventInput> {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return { ok: false, errors: [{ path: prefix || "(root)", message: "an event must be a JSON object" }] };
  }
  const structural = structuralError(raw, prefix);
  if (structural) return { ok: false, errors: [structural] };
  const owned = LOG_OWNED_FIELDS.filter((f) => f in raw);
  if (owned.length > 0) {
    return {
      ok: false,
      errors: owned.map((f) => ({
        path: formatPath([f], prefix),
        message: "is set by the log and must not be sent",
      })),
    };
  }
  const size = Buffer.byteLength(JSON.stringify(raw), "utf8");
  if (size > MAX_EVENT_BYTES) {
    return {
      ok: false,
      errors: [
        {
          path: prefix || "(root)",
          message: `event is ${size} bytes; an event must serialize to at most ${MAX_EVENT_BYTES} bytes (64 KB)`,
        },
      ],
    };
  }
  const parsed = EventInputSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, errors: zodErrors(parsed.error, prefix, raw) };
  return { ok: true, value: parsed.data as EventInput };
}
