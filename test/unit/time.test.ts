/**
 * normalizeTimestamp: every accepted input becomes UTC ISO-8601 with milliseconds; every
 * ambiguous or impossible input is rejected with a reason (docs/events.md, `occurred_at`).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isoNow, MAX_MS, normalizeTimestamp, SECONDS_THRESHOLD } from "#shared/time.ts";

const NORMALIZED = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** The normalized value, failing the test with the reason when the input was rejected. */
function normalized(input: unknown): string {
  const result = normalizeTimestamp(input);
  if (!result.ok) throw new Error(`expected ${JSON.stringify(input)} to be accepted: ${result.message}`);
  return result.value;
}

function rejectionOf(input: unknown): string {
  const result = normalizeTimestamp(input);
  if (result.ok) throw new Error(`expected ${String(input)} to be rejected, got ${result.value}`);
  return result.message;
}

describe("normalizeTimestamp: ISO-8601 input", () => {
  it.each([
    ["2025-05-23T10:15:30.123Z", "2025-05-23T10:15:30.123Z"],
    ["2025-05-23T10:15:30Z", "2025-05-23T10:15:30.000Z"],
    ["2025-05-23T10:15:30.1Z", "2025-05-23T10:15:30.100Z"],
    ["2025-05-23T10:15:30.12Z", "2025-05-23T10:15:30.120Z"],
    ["2025-05-23T10:15Z", "2025-05-23T10:15:00.000Z"],
    ["2025-05-23t10:15:30.123z", "2025-05-23T10:15:30.123Z"],
  ])("accepts %s with Z as %s", (input, expected) => {
    expect(normalized(input)).toBe(expected);
  });

  it.each([
    ["2025-05-23T12:15:30.123+02:00", "2025-05-23T10:15:30.123Z"],
    ["2025-05-23T12:15:30.123+0200", "2025-05-23T10:15:30.123Z"],
    ["2025-05-23T04:45:30.123-0530", "2025-05-23T10:15:30.123Z"],
    ["2025-05-23T04:45:30.123-05:30", "2025-05-23T10:15:30.123Z"],
    ["2025-05-23T15:15:30.123+05", "2025-05-23T10:15:30.123Z"],
    ["2025-05-23T10:15:30.123+00:00", "2025-05-23T10:15:30.123Z"],
    ["2025-05-23T10:15:30.123-00:00", "2025-05-23T10:15:30.123Z"],
  ])("converts %s to UTC %s", (input, expected) => {
    expect(normalized(input)).toBe(expected);
  });

  it("moves to the previous or next UTC day, month and year when the offset crosses midnight", () => {
    // Act / Assert
    expect(normalized("2025-01-01T01:00:00+02:00")).toBe("2024-12-31T23:00:00.000Z");
    expect(normalized("2024-12-31T22:30:00-02:00")).toBe("2025-01-01T00:30:00.000Z");
    expect(normalized("2024-03-01T00:30:00+01:00")).toBe("2024-02-29T23:30:00.000Z");
  });

  it.each([
    ["2025-05-23T10:15:30.1239Z", "2025-05-23T10:15:30.123Z"],
    ["2025-05-23T10:15:30.9999999Z", "2025-05-23T10:15:30.999Z"],
    ["2025-05-23T12:15:30.1239+02:00", "2025-05-23T10:15:30.123Z"],
    ["2025-12-31T23:59:59.999999999Z", "2025-12-31T23:59:59.999Z"],
    ["2025-05-23T10:15:30,4567Z", "2025-05-23T10:15:30.456Z"],
  ])("truncates (never rounds) sub-millisecond digits: %s -> %s", (input, expected) => {
    expect(normalized(input)).toBe(expected);
  });

  it("accepts a leap day in a leap year and the last valid day of each month", () => {
    expect(normalized("2024-02-29T00:00:00Z")).toBe("2024-02-29T00:00:00.000Z");
    expect(normalized("2000-02-29T12:00:00Z")).toBe("2000-02-29T12:00:00.000Z");
    expect(normalized("2025-04-30T23:59:59Z")).toBe("2025-04-30T23:59:59.000Z");
    expect(normalized("2025-12-31T23:59:59.999Z")).toBe("2025-12-31T23:59:59.999Z");
  });

  it("accepts the extremes of the representable range", () => {
    expect(normalized("1970-01-01T00:00:00.000Z")).toBe("1970-01-01T00:00:00.000Z");
    expect(normalized("9999-12-31T23:59:59.999Z")).toBe("9999-12-31T23:59:59.999Z");
  });

  it.each([
    ["no offset", "2025-05-23T10:15:30.123", /ambiguous/],
    ["no offset, no seconds", "2025-05-23T10:15", /ambiguous/],
    ["date only", "2025-05-23", /ambiguous/],
    ["Feb 30", "2025-02-30T10:00:00Z", /not a real date/],
    ["Feb 29 in a common year", "2023-02-29T10:00:00Z", /not a real date/],
    ["Feb 29 in 1900 (not a leap year)", "1900-02-29T10:00:00Z", /not a real date|range/],
    ["April 31", "2025-04-31T10:00:00Z", /not a real date/],
    ["day 0", "2025-05-00T10:00:00Z", /not a real date/],
    ["month 13", "2025-13-01T10:00:00Z", /month 13/],
    ["month 0", "2025-00-10T10:00:00Z", /month 00/],
    ["hour 24", "2025-05-23T24:00:00Z", /not a valid time/],
    ["minute 60", "2025-05-23T10:60:00Z", /not a valid time/],
    ["second 60", "2025-05-23T10:15:60Z", /not a valid time/],
    ["offset hour 24", "2025-05-23T10:15:30+24:00", /offset/],
    ["offset minute 60", "2025-05-23T10:15:30+02:60", /offset/],
    ["before 1970", "1969-12-31T23:59:59.999Z", /range/],
    ["after 9999 once shifted to UTC", "9999-12-31T23:59:59.999-01:00", /range/],
    ["garbage", "yesterday", /expected ISO-8601/],
    ["RFC 2822", "Fri, 23 May 2025 10:15:30 GMT", /expected ISO-8601/],
    ["two-digit year", "25-05-23T10:15:30Z", /expected ISO-8601/],
    ["trailing text", "2025-05-23T10:15:30Z and more", /expected ISO-8601/],
  ])("rejects %s (%s)", (_what, input, reason) => {
    expect(rejectionOf(input)).toMatch(reason);
  });
});

describe("normalizeTimestamp: unix input", () => {
  it("reads numbers below 1e11 as seconds and from 1e11 on as milliseconds", () => {
    // Prepare
    const lastSeconds = SECONDS_THRESHOLD - 1;
    // Act / Assert
    expect(SECONDS_THRESHOLD).toBe(1e11);
    expect(normalized(1748000130)).toBe("2025-05-23T11:35:30.000Z");
    expect(normalized(1748000130123)).toBe("2025-05-23T11:35:30.123Z");
    expect(normalized(lastSeconds)).toBe(new Date(lastSeconds * 1000).toISOString());
    expect(normalized(SECONDS_THRESHOLD)).toBe(new Date(SECONDS_THRESHOLD).toISOString());
    expect(normalized(0)).toBe("1970-01-01T00:00:00.000Z");
  });

  it("reads numeric strings with the same threshold", () => {
    expect(normalized("1748000130")).toBe("2025-05-23T11:35:30.000Z");
    expect(normalized("1748000130123")).toBe("2025-05-23T11:35:30.123Z");
    expect(normalized("99999999999")).toBe(new Date(99_999_999_999_000).toISOString());
    expect(normalized("100000000000")).toBe(new Date(100_000_000_000).toISOString());
    expect(normalized(" 1748000130 ")).toBe("2025-05-23T11:35:30.000Z");
  });

  it("accepts fractional seconds and truncates them to milliseconds", () => {
    expect(normalized(1748000130.5)).toBe("2025-05-23T11:35:30.500Z");
    expect(normalized(1748000130.123)).toBe("2025-05-23T11:35:30.123Z");
    expect(normalized("1748000130.1239")).toBe("2025-05-23T11:35:30.123Z");
    expect(normalized("1748000130.9999")).toBe("2025-05-23T11:35:30.999Z");
    expect(normalized(0.001)).toBe("1970-01-01T00:00:00.001Z");
  });

  it("truncates fractions of milliseconds", () => {
    expect(normalized(1748000130123.9)).toBe("2025-05-23T11:35:30.123Z");
    expect(normalized("1748000130123.999")).toBe("2025-05-23T11:35:30.123Z");
  });

  it("accepts the last representable millisecond and rejects the next one", () => {
    expect(normalized(MAX_MS)).toBe("9999-12-31T23:59:59.999Z");
    expect(rejectionOf(MAX_MS + 1)).toMatch(/range/);
    expect(rejectionOf(String(MAX_MS + 1))).toMatch(/range/);
  });

  it.each([
    ["a negative number", -1],
    ["a negative fraction", -0.5],
    ["NaN", Number.NaN],
    ["Infinity", Number.POSITIVE_INFINITY],
    ["-Infinity", Number.NEGATIVE_INFINITY],
  ])("rejects %s", (_what, input) => {
    expect(rejectionOf(input)).toMatch(/non-negative/);
  });

  it.each([
    ["1e10"],
    ["1E10"],
    ["1.7e9"],
    ["-1748000130"],
    ["+1748000130"],
    ["1748000130."],
    [".5"],
    ["1.2.3"],
  ])("rejects the numeric-looking string %s", (input) => {
    expect(normalizeTimestamp(input).ok).toBe(false);
  });

  it("rejects numbers too large to be a timestamp, including exponent notation", () => {
    expect(rejectionOf(1e21)).toMatch(/range/);
    expect(rejectionOf("99999999999999999999")).toMatch(/range/);
  });

  it.each([
    ["an empty string", ""],
    ["a blank string", "   "],
    ["a very long string", `2025-05-23T10:15:30.${"1".repeat(80)}Z`],
    ["null", null],
    ["undefined", undefined],
    ["a boolean", true],
    ["an object", { t: 1 }],
    ["a Date object", new Date(0)],
    ["a bigint", 1748000130n],
  ])("rejects %s", (_what, input) => {
    expect(normalizeTimestamp(input).ok).toBe(false);
  });

  it("returns the epoch milliseconds alongside the value", () => {
    // Act
    const result = normalizeTimestamp("2025-05-23T12:15:30.123+02:00");
    // Assert
    expect(result).toEqual({
      ok: true,
      value: "2025-05-23T10:15:30.123Z",
      ms: Date.UTC(2025, 4, 23, 10, 15, 30, 123),
    });
  });

  it("isoNow formats a clock reading as a normalized timestamp", () => {
    expect(isoNow(Date.UTC(2025, 0, 2, 3, 4, 5, 6))).toBe("2025-01-02T03:04:05.006Z");
    expect(isoNow()).toMatch(NORMALIZED);
  });
});

describe("normalizeTimestamp: properties", () => {
  const instant = fc.integer({ min: 0, max: MAX_MS });

  it("round-trips any instant given as ISO, as milliseconds (>= 1e11) and as numeric string", () => {
    fc.assert(
      fc.property(instant, (ms) => {
        const iso = new Date(ms).toISOString();
        expect(normalized(iso)).toBe(iso);
        if (ms >= SECONDS_THRESHOLD) {
          expect(normalized(ms)).toBe(iso);
          expect(normalized(String(ms))).toBe(iso);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("reads any instant below 1e14 ms given as (fractional) unix seconds", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: SECONDS_THRESHOLD * 1000 - 1 }), (ms) => {
        const iso = new Date(ms).toISOString();
        expect(normalized(ms / 1000)).toBe(iso);
        expect(normalized((ms / 1000).toFixed(3))).toBe(iso);
      }),
      { numRuns: 2000 },
    );
  });

  it("always outputs YYYY-MM-DDTHH:mm:ss.sssZ", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          instant,
          instant.map(String),
          instant.map((ms) => ms / 1000),
        ),
        (input) => {
          const result = normalizeTimestamp(input);
          if (result.ok) expect(result.value).toMatch(NORMALIZED);
        },
      ),
    );
  });

  it("maps any local time with any offset (and extra sub-ms digits) to the same UTC instant", () => {
    const day = 86_400_000;
    const offsetMinutes = fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 });
    const style = fc.constantFrom("colon", "compact", "hours");
    fc.assert(
      fc.property(
        fc.integer({ min: day, max: MAX_MS - day }),
        offsetMinutes,
        style,
        fc.string({ unit: fc.constantFrom(..."0123456789"), maxLength: 6 }),
        (ms, rawOffset, offsetStyle, extraDigits) => {
          // Prepare: the wall-clock time at that offset, written with the offset.
          const offset = offsetStyle === "hours" ? Math.trunc(rawOffset / 60) * 60 : rawOffset;
          const sign = offset < 0 ? "-" : "+";
          const hh = String(Math.floor(Math.abs(offset) / 60)).padStart(2, "0");
          const mm = String(Math.abs(offset) % 60).padStart(2, "0");
          const suffix =
            offsetStyle === "colon"
              ? `${sign}${hh}:${mm}`
              : offsetStyle === "compact"
                ? `${sign}${hh}${mm}`
                : `${sign}${hh}`;
          const local = new Date(ms + offset * 60_000).toISOString().slice(0, -1);
          // Act
          const result = normalized(`${local}${extraDigits}${suffix}`);
          // Assert
          expect(result).toBe(new Date(ms).toISOString());
        },
      ),
      { numRuns: 2000 },
    );
  });
});
