/**
 * The outputs. A page is written as it streams in, then either committed (made durable and
 * counted) or aborted (dropped), so that what the state file counts is exactly what the
 * output holds:
 * - ndjson and csv append to one file; commit = flush + fsync and the new size; abort =
 *   truncate back to the committed size;
 * - parquet writes one part file per page in a directory (a Parquet file cannot be
 *   appended); commit = write `.part-N.parquet.tmp`, fsync, rename to `part-N.parquet`.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  truncateSync,
} from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { dirname, join } from "node:path";
import { pipeline } from "node:stream/promises";
import { type ColumnSource, fileWriter, parquetWrite, type SchemaElement } from "hyparquet-writer";
import type { StoredEvent } from "#shared/events/schema.ts";
import { EXPORT_COLUMNS, type ExportColumn, exportRow } from "#shared/export/columns.ts";
import { csvStringifier } from "#shared/export/csv.ts";
import type { ExportedEvent } from "./client.ts";
import { UsageError } from "./errors.ts";
import { type ExportFormat, type ExportState, fsyncDirectory } from "./state.ts";

/** Where the committed output ends. */
export interface Position {
  bytes: number;
  parts: number;
}

export interface PageWriter {
  readonly position: Position;
  /** Writes one page attempt's events as they arrive. */
  writeEvents(events: AsyncIterable<ExportedEvent>): Promise<void>;
  /** Drops what the current attempt wrote. */
  abort(): Promise<void>;
  /** Makes the current page durable; returns the new committed position. */
  commit(): Promise<Position>;
  close(): Promise<void>;
}

/**
 * Checks the output against the state, drops what a crashed run left past the committed
 * position, and opens the writer. `note` reports what was dropped.
 */
export async function openOutput(
  format: ExportFormat,
  out: string,
  state: ExportState | undefined,
  note: (message: string) => void,
): Promise<PageWriter> {
  if (format === "parquet") {
    return ParquetPartsWriter.open(out, prepareDirectory(out, state, note));
  }
  const bytes = prepareFile(out, state, note);
  return format === "csv" ? CsvFileWriter.open(out, bytes) : NdjsonFileWriter.open(out, bytes);
}

const RESTART_HINT = "remove it (and the state file) to start over, or choose another --out";

function prepareFile(out: string, state: ExportState | undefined, note: (message: string) => void): number {
  const stat = existsSync(out) ? statSync(out) : undefined;
  if (stat?.isDirectory()) throw new UsageError(`--out ${out} is a directory; ndjson and csv write one file`);
  const size = stat?.size ?? 0;
  if (!state) {
    if (size > 0) {
      throw new UsageError(
        `${out} already exists and there is no state file for it, so the exporter cannot tell which events it holds and refuses to append (that could duplicate events): ${RESTART_HINT}, or pass --state <its state file>`,
      );
    }
    return 0;
  }
  if (size < state.bytes) {
    throw new UsageError(
      `${out} has ${size} bytes but its state file says ${state.bytes} were committed: the file was changed outside the exporter; ${RESTART_HINT}`,
    );
  }
  if (size > state.bytes) {
    truncateSync(out, state.bytes);
    note(`dropped ${size - state.bytes} bytes of a page an interrupted run wrote after its last saved state`);
  }
  return state.bytes;
}

const PART = /^part-(\d+)\.parquet$/;
const TEMP_PART = /^\.part-\d+\.parquet\.tmp$/;

export function partName(index: number): string {
  return `part-${String(index).padStart(6, "0")}.parquet`;
}

function prepareDirectory(
  out: string,
  state: ExportState | undefined,
  note: (message: string) => void,
): number {
  if (existsSync(out) && !statSync(out).isDirectory()) {
    throw new UsageError(`--out ${out} is a file; parquet writes a directory of part files`);
  }
  mkdirSync(out, { recursive: true });
  const entries = readdirSync(out);
  for (const name of entries) if (TEMP_PART.test(name)) rmSync(join(out, name), { force: true });
  const parts = entries.flatMap((name) => {
    const m = PART.exec(name);
    return m ? [Number(m[1])] : [];
  });
  if (!state) {
    if (parts.length > 0) {
      throw new UsageError(
        `${out} already holds part files and there is no state file for it, so the exporter cannot tell which events they hold and refuses to add to them (that could duplicate events): ${RESTART_HINT}, or pass --state <its state file>`,
      );
    }
    return 0;
  }
  for (let i = 1; i <= state.parts; i++) {
    if (!parts.includes(i)) {
      throw new UsageError(
        `${join(out, partName(i))} is missing but the state file says ${state.parts} parts were committed: the directory was changed outside the exporter; ${RESTART_HINT}`,
      );
    }
  }
  const extra = parts.filter((i) => i > state.parts);
  for (const i of extra) rmSync(join(out, partName(i)), { force: true });
  if (extra.length > 0) {
    note(
      `removed ${extra.map(partName).join(", ")}, written by an interrupted run after its last saved state`,
    );
  }
  return state.parts;
}

/** An append-only file whose uncommitted tail can be dropped; writes are buffered (1 MiB). */
class AppendFile {
  private pending: (string | Buffer)[] = [];
  private pendingLength = 0;

  private constructor(
    private readonly handle: FileHandle,
    public committed: number,
  ) {}

  static async open(path: string, committed: number): Promise<AppendFile> {
    mkdirSync(dirname(path), { recursive: true });
    // O_APPEND: every write lands at the current end, also after a truncate.
    return new AppendFile(await open(path, "a"), committed);
  }

  async append(chunk: string | Buffer): Promise<void> {
    this.pending.push(chunk);
    this.pendingLength += chunk.length;
    if (this.pendingLength >= 1 << 20) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const buffer = Buffer.concat(this.pending.map((c) => (typeof c === "string" ? Buffer.from(c) : c)));
    this.pending = [];
    this.pendingLength = 0;
    let offset = 0;
    while (offset < buffer.length) {
      const { bytesWritten } = await this.handle.write(buffer, offset, buffer.length - offset);
      offset += bytesWritten;
    }
  }

  async abort(): Promise<void> {
    this.pending = [];
    this.pendingLength = 0;
    await this.handle.truncate(this.committed);
  }

  async commit(): Promise<number> {
    await this.flush();
    await this.handle.sync();
    this.committed = (await this.handle.stat()).size;
    return this.committed;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

/** A writer appending to one file: the position is the committed size. */
abstract class FileWriter implements PageWriter {
  constructor(protected readonly file: AppendFile) {}

  get position(): Position {
    return { bytes: this.file.committed, parts: 0 };
  }

  abstract writeEvents(events: AsyncIterable<ExportedEvent>): Promise<void>;

  abort(): Promise<void> {
    return this.file.abort();
  }

  async commit(): Promise<Position> {
    return { bytes: await this.file.commit(), parts: 0 };
  }

  close(): Promise<void> {
    return this.file.close();
  }
}

class NdjsonFileWriter extends FileWriter {
  static async open(path: string, committed: number): Promise<NdjsonFileWriter> {
    return new NdjsonFileWriter(await AppendFile.open(path, committed));
  }

  /** Each line exactly as the server sent it: the file is the concatenation of the pages. */
  async writeEvents(events: AsyncIterable<ExportedEvent>): Promise<void> {
    for await (const { line } of events) await this.file.append(`${line}\n`);
  }
}

/** The API's CSV dialect (shared/export/csv.ts); the header row only into an empty file. */
class CsvFileWriter extends FileWriter {
  static async open(path: string, committed: number): Promise<CsvFileWriter> {
    return new CsvFileWriter(await AppendFile.open(path, committed));
  }

  async writeEvents(events: AsyncIterable<ExportedEvent>): Promise<void> {
    const file = this.file;
    await pipeline(
      async function* rows() {
        for await (const { event } of events) yield exportRow(event);
      },
      csvStringifier({ header: file.committed === 0 }),
      async (csv: AsyncIterable<string | Buffer>) => {
        for await (const chunk of csv) await file.append(chunk);
      },
    );
  }
}

/**
 * The Parquet schema of {@link EXPORT_COLUMNS}: every column optional; timestamps as
 * TIMESTAMP(MILLIS, UTC), JSON cells with the JSON logical type, the rest UTF-8 strings.
 */
export function parquetSchema(columns: readonly ExportColumn[] = EXPORT_COLUMNS): SchemaElement[] {
  return [
    { name: "root", num_children: columns.length },
    ...columns.map((c): SchemaElement => {
      if (c.type === "timestamp") {
        return {
          name: c.name,
          type: "INT64",
          repetition_type: "OPTIONAL",
          converted_type: "TIMESTAMP_MILLIS",
          logical_type: { type: "TIMESTAMP", isAdjustedToUTC: true, unit: "MILLIS" },
        };
      }
      if (c.type === "json") {
        return {
          name: c.name,
          type: "BYTE_ARRAY",
          repetition_type: "OPTIONAL",
          converted_type: "JSON",
          logical_type: { type: "JSON" },
        };
      }
      return {
        name: c.name,
        type: "BYTE_ARRAY",
        repetition_type: "OPTIONAL",
        converted_type: "UTF8",
        logical_type: { type: "STRING" },
      };
    }),
  ];
}

/** A cell as hyparquet-writer takes it for the column's schema element. */
function parquetValue(column: ExportColumn, event: StoredEvent): unknown {
  const cell = column.value(event);
  if (cell === null) return null;
  if (column.type === "timestamp") {
    const millis = Date.parse(cell);
    if (Number.isNaN(millis))
      throw new Error(`event ${event.id}: ${column.name} is not a timestamp: ${cell}`);
    return millis;
  }
  // The writer serializes JSON cells itself; give it the value so the text is not quoted twice.
  if (column.type === "json") return JSON.parse(cell) as unknown;
  return cell;
}

class ParquetPartsWriter implements PageWriter {
  private columns: unknown[][] = [];
  private rows = 0;
  private readonly schema = parquetSchema();

  private constructor(
    private readonly dir: string,
    private parts: number,
  ) {}

  static async open(dir: string, parts: number): Promise<ParquetPartsWriter> {
    return new ParquetPartsWriter(dir, parts);
  }

  get position(): Position {
    return { bytes: 0, parts: this.parts };
  }

  /** Buffers the page (one page at most) in columns. */
  async writeEvents(events: AsyncIterable<ExportedEvent>): Promise<void> {
    this.reset();
    for await (const { event } of events) {
      EXPORT_COLUMNS.forEach((column, i) => {
        this.columns[i]?.push(parquetValue(column, event));
      });
      this.rows += 1;
    }
  }

  async abort(): Promise<void> {
    this.reset();
  }

  async commit(): Promise<Position> {
    if (this.rows > 0) {
      const index = this.parts + 1;
      const tmp = join(this.dir, `.${partName(index)}.tmp`);
      const columnData: ColumnSource[] = EXPORT_COLUMNS.map((column, i) => ({
        name: column.name,
        data: this.columns[i] ?? [],
      }));
      await parquetWrite({
        writer: fileWriter(tmp),
        columnData,
        schema: this.schema,
        createdBy: "conversation-log export",
      });
      const fd = openSync(tmp, "r+");
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, join(this.dir, partName(index)));
      fsyncDirectory(this.dir);
      this.parts = index;
    }
    this.reset();
    return this.position;
  }

  async close(): Promise<void> {
    this.reset();
  }

  private reset(): void {
    this.columns = EXPORT_COLUMNS.map(() => []);
    this.rows = 0;
  }
}
