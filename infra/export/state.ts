/**
 * The export's state file: where the next run continues from, and how much of the output
 * is committed. It is written only after the page it describes is durable in the output
 * (flushed and fsynced), and atomically (temp file, fsync, rename), so after a crash the
 * output holds at most one uncommitted page past `bytes` (or one part past `parts`), which
 * the next run drops.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import * as z from "zod";
import { UsageError } from "./errors.ts";

export const FORMATS = ["ndjson", "csv", "parquet"] as const;
export type ExportFormat = (typeof FORMATS)[number];

export const STATE_VERSION = 1;

const StateSchema = z.object({
  version: z.literal(STATE_VERSION),
  /** The API base URL, without trailing slashes. */
  url: z.string(),
  format: z.enum(FORMATS),
  /** The `--since` the export started from (informational once a cursor exists). */
  since: z.string().nullable(),
  /**
   * The cursor to continue from (`X-After-Cursor` of the last committed page); null until
   * the first page is committed (the export then starts again from `since`).
   */
  cursor: z.string().nullable(),
  /** Events in the output, over every run. */
  events: z.number().int().nonnegative(),
  /** ndjson/csv: size of the output file after the last committed page. */
  bytes: z.number().int().nonnegative(),
  /** parquet: part files committed (part-000001.parquet … part-<parts>.parquet). */
  parts: z.number().int().nonnegative(),
  /** `sequence` of the last event written: the next one must be greater. */
  last_sequence: z.string().nullable(),
  updated_at: z.string(),
});

export type ExportState = z.infer<typeof StateSchema>;

export function defaultStatePath(out: string): string {
  return `${out}.state.json`;
}

/** The base URL as the state records it, so `http://h/` and `http://h` match. */
export function normalizeBaseUrl(url: string): string {
  return url.replace(/\/+$/, "");
}

export function loadState(path: string): ExportState | undefined {
  if (!existsSync(path)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new UsageError(
      `state file ${path} is not valid JSON (${(error as Error).message}); remove it and the output to start over`,
    );
  }
  const parsed = StateSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UsageError(
      `state file ${path} is not an export state of this version (${issue ? `${issue.path.join(".") || "(root)"}: ${issue.message}` : "invalid"}); remove it and the output to start over`,
    );
  }
  return parsed.data;
}

/** Writes the state atomically and durably: temp file, fsync, rename, fsync of the directory. */
export function saveState(path: string, state: ExportState): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, "w");
  try {
    writeSync(fd, `${JSON.stringify(state, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  fsyncDirectory(dirname(path));
}

/** Makes a rename durable. Best effort: some platforms cannot open a directory. */
export function fsyncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    // not supported here (e.g. Windows); the rename itself is still atomic
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
