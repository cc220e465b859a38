/**
 * Timestamp normalization: every timestamp the log stores or returns is UTC ISO-8601 with
 * milliseconds (`2025-05-23T10:15:30.123Z`), whatever the input format was.
 *
 * Accepted input:
 * - ISO-8601 date-time WITH an offset or `Z` (a date without an offset is ambiguous, so rejected);
 * - a unix timestamp as a number or numeric string: below 100,000,000,000 it is seconds
 *   (fractions allowed), otherwise milliseconds. Digits below a millisecond are truncated.
 *
 * @example normalizeTimestamp("2025-05-23T12:15:30.1239+02:00") // { ok: true, value: "2025-05-23T10:15:30.123Z" }
 */
export type TimestampResult = { ok: true; value: string; ms: number } | { ok: false; message: string };

/** Unix values below this are seconds, at or above it milliseconds (docs/events.md). */
export const SECONDS_THRESHOLD = 100_000_000_000;
/** 9999-12-31T23:59:59.999Z: the last instant with a fixed-width, sortable ISO form. */
export const MAX_MS = 253_402_300_799_999;

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(Z|[+-]\d{2}(?::?\d{2})?)$/i;
const DECIMAL = /^(\d+)(?:\.(\d+))?$/;

function fail(message: string): TimestampResult {
  return { ok: false, message };
}

function fromMs(ms: number): TimestampResult {
  if (!Number.isSafeInteger(ms) || ms < 0 || ms > MAX_MS) {
    return fail("timestamp is out of range (1970-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z)");
  }
  return { ok: true, value: new Date(ms).toISOString(), ms };
}

/** Unix seconds or milliseconds, as digits with an optional fraction; truncates below 1 ms. */
function fromDecimal(intPart: string, fraction: string | undefined): TimestampResult {
  const whole = Number(intPart);
  if (!Number.isSafeInteger(whole)) return fail("timestamp is out of range");
  if (whole < SECONDS_THRESHOLD) {
    const millis = (fraction ?? "").padEnd(3, "0").slice(0, 3);
    return fromMs(whole * 1000 + Number(millis));
  }
  return fromMs(whole);
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function fromIso(input: string): TimestampResult {
  const m = ISO.exec(input);
  if (!m) {
    if (/^\d{4}-\d{2}-\d{2}$/.test(input)) {
      return fail("a date without a time and offset is ambiguous; send e.g. 2025-05-23T10:15:30Z");
    }
    if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/i.test(input)) {
      return fail("a date-time without an offset is ambiguous; add Z or an offset such as +02:00");
    }
    return fail("expected ISO-8601 date-time with offset (e.g. 2025-05-23T10:15:30.123Z) or unix seconds/ms");
  }
  const [, y, mo, d, h, mi, s, frac, off] = m as unknown as [string, ...string[]];
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = s === undefined ? 0 : Number(s);
  if (month < 1 || month > 12) return fail(`month ${mo} does not exist`);
  if (day < 1 || day > daysInMonth(year, month)) return fail(`${y}-${mo}-${d} is not a real date`);
  if (hour > 23 || minute > 59 || second > 59) return fail(`${h}:${mi}:${s ?? "00"} is not a valid time`);
  let offsetMinutes = 0;
  if (off && off.toUpperCase() !== "Z") {
    const sign = off.startsWith("-") ? -1 : 1;
    const digits = off.slice(1).replace(":", "");
    const oh = Number(digits.slice(0, 2));
    const om = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
    if (oh > 23 || om > 59) return fail(`offset ${off} is not valid`);
    offsetMinutes = sign * (oh * 60 + om);
  }
  const millis = Number((frac ?? "").padEnd(3, "0").slice(0, 3));
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  // Date.UTC maps years 0-99 to 1900-1999; the range check below rejects those anyway.
  if (year < 100) return fail("timestamp is out of range");
  return fromMs(utc - offsetMinutes * 60_000);
}

/** Normalizes one timestamp input; never throws. */
export function normalizeTimestamp(input: unknown): TimestampResult {
  if (typeof input === "number") {
    if (!Number.isFinite(input) || input < 0) return fail("a unix timestamp must be a non-negative number");
    const text = input.toString();
    const dec = DECIMAL.exec(text);
    if (dec) return fromDecimal(dec[1] as string, dec[2]);
    // Exponent notation: only tiny or huge numbers get here.
    return fromMs(input < SECONDS_THRESHOLD ? Math.floor(input * 1000) : Math.floor(input));
  }
  if (typeof input === "string") {
    const trimmed = input.trim();
    if (trimmed.length === 0) return fail("timestamp is empty");
    if (trimmed.length > 64) return fail("timestamp is too long");
    const dec = DECIMAL.exec(trimmed);
    if (dec) return fromDecimal(dec[1] as string, dec[2]);
    if (/^[+-]?[\d.]+(e[+-]?\d+)?$/i.test(trimmed)) {
      return fail("a unix timestamp must be plain digits with an optional fraction");
    }
    return fromIso(trimmed);
  }
  return fail("expected an ISO-8601 string or a unix timestamp number");
}

/** Current time as a normalized timestamp. */
export function isoNow(now: number = Date.now()): string {
  return new Date(now).toISOString();
}
