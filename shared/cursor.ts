/**
 * Opaque, URL-safe, signed cursors bound to the tenant and to the query they came from.
 *
 * A cursor is `base64url(payload).base64url(HMAC-SHA256(secret, tenant ␟ query ␟ payload))`.
 * The tenant and the query fingerprint are not inside the cursor; they are part of what is
 * signed, so a cursor replayed with another tenant's key, another conversation, or other
 * filters fails verification exactly like a tampered one.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { ValidationError } from "./errors.ts";

export interface CursorPayload {
  /** Format version. */
  v: 1;
  /** Position in the log's order (opaque to clients). */
  p: string;
}

/**
 * A cursor as a request carried it: its text and the field it came in (`page[after]`,
 * `cursor`), so a use case can reject it in the client's own terms without knowing the
 * transport's syntax.
 */
export interface CursorParam {
  field: string;
  value: string;
}

const SEP = "\u001f";

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** A stable fingerprint of the query a cursor belongs to (everything but the page size). */
export function queryFingerprint(query: Record<string, unknown>): string {
  return canonical(query);
}

/**
 * Signs and verifies cursors. Rotation: `encode` signs with the current secret; `decode`
 * accepts a cursor signed with the current or the previous one, so cursors handed out
 * before a rotation keep working until the next one (docs/decisions.md, "Cursor secret rotation").
 */
export class CursorCodec {
  readonly #secrets: Buffer[];

  constructor(secret: string, previous?: string) {
    for (const s of previous === undefined ? [secret] : [secret, previous]) {
      if (s.length < 32) throw new Error("cursor secret must be at least 32 characters");
    }
    this.#secrets = (previous === undefined || previous === secret ? [secret] : [secret, previous]).map((s) =>
      Buffer.from(s, "utf8"),
    );
  }

  #mac(tenant: string, fingerprint: string, body: string, secret = this.#secrets[0] as Buffer): Buffer {
    return createHmac("sha256", secret).update([tenant, fingerprint, body].join(SEP)).digest();
  }

  encode(tenant: string, fingerprint: string, position: string): string {
    const payload: CursorPayload = { v: 1, p: position };
    const body = Buffer.from(JSON.stringify(payload), "utf8").toString("base64url");
    return `${body}.${this.#mac(tenant, fingerprint, body).toString("base64url")}`;
  }

  /**
   * Verifies and decodes a cursor. Throws {@link ValidationError} for anything that is not a
   * cursor this tenant received for this exact query.
   */
  decode(tenant: string, fingerprint: string, cursor: string, param: string): CursorPayload {
    const invalid = () =>
      new ValidationError(
        `${param} is not a valid cursor for this query: cursors only work with the key, path, filters, sort and time range they came from. Drop ${param} to start again.`,
        { errors: [{ path: param, message: "invalid cursor" }] },
      );
    const dot = cursor.indexOf(".");
    if (dot <= 0 || cursor.length > 2048) throw invalid();
    const body = cursor.slice(0, dot);
    // Compare the signature text, not its decoding: base64url decoding ignores stray and
    // unused trailing characters, so several strings would otherwise pass as one cursor.
    const given = Buffer.from(cursor.slice(dot + 1), "utf8");
    const signedBy = this.#secrets.some((secret) => {
      const expected = Buffer.from(
        this.#mac(tenant, fingerprint, body, secret).toString("base64url"),
        "utf8",
      );
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
    if (!signedBy) throw invalid();
    let payload: unknown;
    try {
      payload = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
    } catch (cause) {
      throw new ValidationError(`${param} is malformed`, { cause });
    }
    const p = payload as Partial<CursorPayload> | null;
    if (p?.v !== 1 || typeof p.p !== "string") throw invalid();
    return { v: 1, p: p.p };
  }
}

export { canonical as canonicalJson };
