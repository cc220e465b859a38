/**
 * Cursor secret rotation (docs/decisions.md, "Cursor secret rotation"): the codec signs with
 * the current secret and verifies with the current and the previous one; the functions read
 * both versions of the Secrets Manager secret (AWSCURRENT, AWSPREVIOUS), a never-rotated
 * secret included, and read them again every few minutes.
 */
import { describe, expect, it } from "vitest";
import {
  CURSOR_SECRET_MAX_AGE_MS,
  loadCursorCodec,
  loadCursorSecrets,
  type SecretVersionFetcher,
} from "#shared/config.ts";
import { CursorCodec, queryFingerprint } from "#shared/cursor.ts";
import { ValidationError } from "#shared/errors.ts";

const OLDEST = "cursor-secret-0-0123456789abcdef0123456789";
const PREVIOUS = "cursor-secret-1-0123456789abcdef0123456789";
const CURRENT = "cursor-secret-2-0123456789abcdef0123456789";
const FP = queryFingerprint({ path: "/v1/events", filters: {} });
const POSITION = "2025-05-23T10:15:30.123Z#evt-1";

describe("CursorCodec with a previous secret", () => {
  const rotated = new CursorCodec(CURRENT, PREVIOUS);

  it("signs with the current secret only", () => {
    const cursor = rotated.encode("acme", FP, POSITION);
    expect(cursor).toBe(new CursorCodec(CURRENT).encode("acme", FP, POSITION));
    expect(() => new CursorCodec(PREVIOUS).decode("acme", FP, cursor, "cursor")).toThrow(ValidationError);
  });

  it("verifies cursors signed with the current or the previous secret", () => {
    for (const secret of [CURRENT, PREVIOUS]) {
      const cursor = new CursorCodec(secret).encode("acme", FP, POSITION);
      expect(rotated.decode("acme", FP, cursor, "cursor")).toEqual({ v: 1, p: POSITION });
    }
  });

  it("refuses cursors of the secret before the previous one, and keeps tenant and query binding", () => {
    const old = new CursorCodec(OLDEST).encode("acme", FP, POSITION);
    expect(() => rotated.decode("acme", FP, old, "cursor")).toThrow(ValidationError);
    const previous = new CursorCodec(PREVIOUS).encode("acme", FP, POSITION);
    expect(() => rotated.decode("globex", FP, previous, "cursor")).toThrow(ValidationError);
    expect(() => rotated.decode("acme", queryFingerprint({ other: 1 }), previous, "cursor")).toThrow(
      ValidationError,
    );
  });

  it("refuses a short previous secret", () => {
    expect(() => new CursorCodec(CURRENT, "short")).toThrow(/32 characters/);
  });
});

/** A Secrets Manager stand-in: the versions by stage, and every read. */
function secretsManager(versions: { AWSCURRENT?: string; AWSPREVIOUS?: string }) {
  const reads: string[] = [];
  let failing = false;
  const fetch: SecretVersionFetcher = async (arn, stage) => {
    reads.push(`${arn} ${stage}`);
    if (failing) throw new Error("Secrets Manager is unavailable");
    return versions[stage];
  };
  return {
    fetch,
    reads,
    fail: () => {
      failing = true;
    },
  };
}

let arnSeq = 0;
const env = () => ({
  TABLE_NAME: "conversation-log-unit",
  CURSOR_SECRET_ARN: `arn:aws:secretsmanager:eu-west-1:123456789012:secret:cursor-${++arnSeq}`,
});

describe("loadCursorSecrets", () => {
  it("reads AWSCURRENT and AWSPREVIOUS", async () => {
    const sm = secretsManager({ AWSCURRENT: CURRENT, AWSPREVIOUS: PREVIOUS });
    expect(await loadCursorSecrets(env(), sm.fetch)).toEqual({ current: CURRENT, previous: PREVIOUS });
    expect(sm.reads.map((r) => r.split(" ")[1]).sort()).toEqual(["AWSCURRENT", "AWSPREVIOUS"]);
  });

  it("works with a never-rotated secret (no AWSPREVIOUS version)", async () => {
    const sm = secretsManager({ AWSCURRENT: CURRENT });
    expect(await loadCursorSecrets(env(), sm.fetch)).toEqual({ current: CURRENT });
  });

  it("reads again only after the max age, and keeps what it has while a refresh fails", async () => {
    let now = 1_000_000;
    const e = env();
    const sm = secretsManager({ AWSCURRENT: CURRENT, AWSPREVIOUS: PREVIOUS });
    await loadCursorSecrets(e, sm.fetch, () => now);
    await loadCursorSecrets(e, sm.fetch, () => now + CURSOR_SECRET_MAX_AGE_MS - 1);
    expect(sm.reads).toHaveLength(2);
    now += CURSOR_SECRET_MAX_AGE_MS;
    sm.fail();
    expect(await loadCursorSecrets(e, sm.fetch, () => now)).toEqual({ current: CURRENT, previous: PREVIOUS });
    expect(sm.reads).toHaveLength(4);
    // Not retried on every call: in 30 s.
    await loadCursorSecrets(e, sm.fetch, () => now + 1000);
    expect(sm.reads).toHaveLength(4);
  });

  it("picks up a rotation at the next read", async () => {
    let now = 0;
    const e = env();
    const versions: { AWSCURRENT?: string; AWSPREVIOUS?: string } = { AWSCURRENT: PREVIOUS };
    const sm = secretsManager(versions);
    expect(await loadCursorSecrets(e, sm.fetch, () => now)).toEqual({ current: PREVIOUS });
    // The operator puts a new version: Secrets Manager moves the stages.
    versions.AWSCURRENT = CURRENT;
    versions.AWSPREVIOUS = PREVIOUS;
    now += CURSOR_SECRET_MAX_AGE_MS;
    expect(await loadCursorSecrets(e, sm.fetch, () => now)).toEqual({ current: CURRENT, previous: PREVIOUS });
  });

  it("fails at cold start on a short secret, or with no secret configured", async () => {
    await expect(loadCursorSecrets(env(), secretsManager({ AWSCURRENT: "short" }).fetch)).rejects.toThrow(
      /current cursor secret must be a string of at least 32/,
    );
    await expect(
      loadCursorSecrets(env(), secretsManager({ AWSCURRENT: CURRENT, AWSPREVIOUS: "short" }).fetch),
    ).rejects.toThrow(/previous cursor secret/);
    await expect(loadCursorSecrets({ TABLE_NAME: "conversation-log-unit" })).rejects.toThrow(
      /set CURSOR_SECRET or CURSOR_SECRET_ARN/,
    );
  });

  it("takes CURSOR_SECRET and the optional CURSOR_SECRET_PREVIOUS locally", async () => {
    const local = { TABLE_NAME: "conversation-log-unit", CURSOR_SECRET: CURRENT };
    expect(await loadCursorSecrets(local)).toEqual({ current: CURRENT });
    expect(await loadCursorSecrets({ ...local, CURSOR_SECRET_PREVIOUS: PREVIOUS })).toEqual({
      current: CURRENT,
      previous: PREVIOUS,
    });
    await expect(loadCursorSecrets({ ...local, CURSOR_SECRET_PREVIOUS: "short" })).rejects.toThrow(
      /CURSOR_SECRET_PREVIOUS must be at least 32/,
    );
  });
});

describe("loadCursorCodec", () => {
  it("is the same codec while the secrets stay, and a new one after a rotation", async () => {
    const before = { TABLE_NAME: "conversation-log-unit", CURSOR_SECRET: PREVIOUS };
    const after = { ...before, CURSOR_SECRET: CURRENT, CURSOR_SECRET_PREVIOUS: PREVIOUS };
    const first = await loadCursorCodec(before);
    expect(await loadCursorCodec(before)).toBe(first);
    const cursor = first.encode("acme", FP, POSITION);
    const rotated = await loadCursorCodec(after);
    expect(rotated).not.toBe(first);
    expect(rotated.decode("acme", FP, cursor, "cursor")).toEqual({ v: 1, p: POSITION });
  });
});
