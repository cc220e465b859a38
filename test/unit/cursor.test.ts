/**
 * Cursors: opaque, URL-safe, signed, and bound to the tenant and the query (docs/api.md, "Cursors").
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CursorCodec, canonicalJson, queryFingerprint } from "#shared/cursor.ts";
import { AppError, ValidationError } from "#shared/errors.ts";
import { aMessage } from "../support/factories.ts";

const SECRET = "unit-test-cursor-secret-0123456789abcdef";
const codec = new CursorCodec(SECRET);
const TENANT = "acme";
const FP = queryFingerprint({ path: "/v1/conversations/conv-1/events", sort: "occurred_at", filters: {} });
const POSITION = "2025-05-23T10:15:30.123Z#evt-1";
const URL_SAFE = /^[A-Za-z0-9_.-]+$/;
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.";

/** The error thrown by decode, failing the test when decode succeeds. */
function decodeError(cursor: string, tenant = TENANT, fingerprint = FP): ValidationError {
  try {
    const payload = codec.decode(tenant, fingerprint, cursor, "page[after]");
    throw new Error(`expected ${JSON.stringify(cursor)} to be rejected, decoded ${JSON.stringify(payload)}`);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    return error;
  }
}

describe("CursorCodec", () => {
  it("round-trips a position", () => {
    // Prepare
    const cursor = codec.encode(TENANT, FP, POSITION);
    // Act
    const payload = codec.decode(TENANT, FP, cursor, "page[after]");
    // Assert
    expect(payload).toEqual({ v: 1, p: POSITION });
  });

  it("round-trips any position, and the cursor is URL-safe and does not show the position", () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 300 }),
        fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,20}$/),
        (position, tenant) => {
          const cursor = codec.encode(tenant, FP, position);
          expect(cursor).toMatch(URL_SAFE);
          expect(encodeURIComponent(cursor)).toBe(cursor);
          expect(codec.decode(tenant, FP, cursor, "page[after]")).toEqual({ v: 1, p: position });
        },
      ),
    );
    expect(codec.encode(TENANT, FP, POSITION)).not.toContain("evt-1");
  });

  it("is verified only with the secret it was made with", () => {
    // Prepare
    const other = new CursorCodec("another-secret-0123456789abcdef0123456789");
    const cursor = other.encode(TENANT, FP, POSITION);
    // Act / Assert
    expect(decodeError(cursor).status).toBe(400);
  });

  it("refuses a short secret", () => {
    expect(() => new CursorCodec("too-short")).toThrow(/32 characters/);
  });

  it("rejects a cursor replayed by another tenant", () => {
    const cursor = codec.encode(TENANT, FP, POSITION);
    expect(decodeError(cursor, "globex").status).toBe(400);
  });

  it("rejects a cursor replayed with another query", () => {
    // Prepare
    const cursor = codec.encode(TENANT, FP, POSITION);
    const otherConversation = queryFingerprint({
      path: "/v1/conversations/conv-2/events",
      sort: "occurred_at",
      filters: {},
    });
    const otherSort = queryFingerprint({
      path: "/v1/conversations/conv-1/events",
      sort: "-occurred_at",
      filters: {},
    });
    const otherFilter = queryFingerprint({
      path: "/v1/conversations/conv-1/events",
      sort: "occurred_at",
      filters: { type: ["MessageReceived"] },
    });
    // Act / Assert
    for (const fp of [otherConversation, otherSort, otherFilter]) {
      expect(fp).not.toBe(FP);
      expect(decodeError(cursor, TENANT, fp).status).toBe(400);
    }
  });

  it("rejects a tampered payload", () => {
    // Prepare: the signature of one cursor on the payload of another position.
    const [, signature] = codec.encode(TENANT, FP, POSITION).split(".");
    const forgedBody = Buffer.from(JSON.stringify({ v: 1, p: "2030-01-01T00:00:00.000Z#evt-9" })).toString(
      "base64url",
    );
    // Act
    const error = decodeError(`${forgedBody}.${signature}`);
    // Assert
    expect(error.status).toBe(400);
    expect(error.errors).toEqual([{ path: "page[after]", message: "invalid cursor" }]);
    expect(error.message).toContain("page[after]");
  });

  it("rejects a tampered signature", () => {
    // Prepare
    const cursor = codec.encode(TENANT, FP, POSITION);
    const dot = cursor.indexOf(".");
    const i = dot + 5;
    const flipped = `${cursor.slice(0, i)}${cursor[i] === "A" ? "B" : "A"}${cursor.slice(i + 1)}`;
    // Act / Assert
    expect(decodeError(flipped).status).toBe(400);
    expect(decodeError(cursor.slice(0, -1)).status).toBe(400);
    expect(decodeError(cursor.slice(0, dot + 1)).status).toBe(400);
  });

  it("rejects a cursor with any single character changed", () => {
    const cursor = codec.encode(TENANT, FP, POSITION);
    fc.assert(
      fc.property(fc.nat({ max: cursor.length - 1 }), fc.constantFrom(...ALPHABET), (index, replacement) => {
        fc.pre(cursor[index] !== replacement);
        const tampered = `${cursor.slice(0, index)}${replacement}${cursor.slice(index + 1)}`;
        expect(decodeError(tampered).status).toBe(400);
      }),
      { numRuns: 1000 },
    );
  });

  it.each([["A"], ["!"], ["=="], ["."], ["%20"]])("rejects a valid cursor with %s appended", (suffix) => {
    const cursor = codec.encode(TENANT, FP, POSITION);
    expect(decodeError(`${cursor}${suffix}`).status).toBe(400);
  });

  it("rejects a valid cursor with a doubled separator", () => {
    const cursor = codec.encode(TENANT, FP, POSITION);
    expect(decodeError(cursor.replace(".", "..")).status).toBe(400);
  });

  it.each([
    ["empty", ""],
    ["a dot", "."],
    ["no signature part", "eyJ2IjoxfQ"],
    ["no payload part", ".c2lnbmF0dXJl"],
    ["garbage", "not a cursor at all"],
    ["unicode garbage", "☃.☃"],
    ["a JSON object", '{"v":1,"p":"x"}'],
    ["very long", `${"a".repeat(5000)}.${"b".repeat(43)}`],
  ])("rejects %s with a ValidationError (400)", (_what, cursor) => {
    // Act
    const error = decodeError(cursor);
    // Assert
    expect(error).toBeInstanceOf(AppError);
    expect(error.status).toBe(400);
    expect(error.expose).toBe(true);
  });

  it("rejects random strings", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (cursor) => {
        expect(decodeError(cursor).status).toBe(400);
      }),
    );
  });

  it("names the query parameter the cursor came from", () => {
    try {
      codec.decode(TENANT, FP, "garbage", "page[before]");
      throw new Error("expected a rejection");
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).message).toContain("page[before]");
      expect((error as ValidationError).errors).toEqual([
        { path: "page[before]", message: "invalid cursor" },
      ]);
    }
  });
});

describe("queryFingerprint", () => {
  it("is independent of key order at every level", () => {
    // Prepare
    const a = {
      path: "/v1/events",
      sort: "occurred_at",
      filters: { type: ["A", "B"], channel: ["web"] },
      start: "x",
    };
    const b = {
      start: "x",
      filters: { channel: ["web"], type: ["A", "B"] },
      sort: "occurred_at",
      path: "/v1/events",
    };
    // Act / Assert
    expect(queryFingerprint(a)).toBe(queryFingerprint(b));
  });

  it("ignores keys whose value is undefined", () => {
    expect(queryFingerprint({ path: "/v1/events", end: undefined })).toBe(
      queryFingerprint({ path: "/v1/events" }),
    );
  });

  it("differs when any value differs, including array order and types", () => {
    const base = queryFingerprint({ path: "/v1/events", filters: { type: ["A", "B"] } });
    expect(queryFingerprint({ path: "/v1/events", filters: { type: ["B", "A"] } })).not.toBe(base);
    expect(queryFingerprint({ path: "/v1/events", filters: { type: ["A"] } })).not.toBe(base);
    expect(queryFingerprint({ path: "/v1/events/", filters: { type: ["A", "B"] } })).not.toBe(base);
    expect(queryFingerprint({ n: 1 })).not.toBe(queryFingerprint({ n: "1" }));
    expect(queryFingerprint({ n: null })).not.toBe(queryFingerprint({}));
  });

  it("is the same for any permutation of a random object's keys", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (obj) => {
        const reversed = Object.fromEntries(Object.entries(obj).reverse());
        expect(queryFingerprint(reversed)).toBe(queryFingerprint(obj));
      }),
    );
  });

  it("canonicalJson is valid JSON equal to the input", () => {
    const event = aMessage({ metadata: { b: 1, a: "x" } });
    expect(JSON.parse(canonicalJson(event))).toEqual(event);
    expect(canonicalJson({ b: 1, a: [2, { d: 1, c: 0 }] })).toBe('{"a":[2,{"c":0,"d":1}],"b":1}');
  });
});
