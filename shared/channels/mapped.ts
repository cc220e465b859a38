/**
 * What a channel adapter makes of one webhook body: unified event inputs (still unvalidated:
 * the ingest path validates them), items deliberately ignored, and items it could not map.
 */
export interface MappedItem {
  /** Where the item sits in the webhook body, e.g. `events[2]`. */
  path: string;
  /** The unified event input, before validation. */
  event: Record<string, unknown>;
  /** The provider item, kept for the rejection record if the event fails validation. */
  raw: unknown;
}

export interface UnmappedItem {
  path: string;
  reason: string;
  raw: unknown;
}

export interface Mapping {
  events: MappedItem[];
  /** Provider events the log deliberately does not record (docs/channels.md lists them). */
  ignored: { path: string; reason: string }[];
  rejected: UnmappedItem[];
}

export type Json = Record<string, unknown>;

export const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
export const str = (v: unknown): string | undefined =>
  typeof v === "string" && v.length > 0 ? v : undefined;
export const num = (v: unknown): number | undefined =>
  typeof v === "number" && Number.isFinite(v) ? v : undefined;
export const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
export const obj = (v: unknown): Json => (isObject(v) ? v : {});

/** Drops undefined values, so optional fields are absent rather than `undefined`. */
export function compact<T extends Json>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** Metadata values are at most 2048 characters (schema.ts); longer ones are cut, not rejected. */
export function clip(v: string | undefined, max = 2048): string | undefined {
  return v === undefined ? undefined : v.length > max ? v.slice(0, max) : v;
}
