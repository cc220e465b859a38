/**
 * Secrets at rest (docs/decisions.md, "Secrets at rest"): the local AES-256-GCM cipher (round
 * trip, tampering, wrong context, other key), the KMS cipher's requests with the SDK client
 * mocked (KMS cannot run here; this is the one place an SDK mock is allowed), legacy plaintext,
 * and the cold-start choice of adapter.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DecryptCommand,
  EncryptCommand,
  IncorrectKeyException,
  InvalidCiphertextException,
  KMSServiceException,
} from "@aws-sdk/client-kms";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { loadSecretCipher } from "#shared/config.ts";
import {
  openStoredSecret,
  type SealedSecret,
  type SecretContext,
  SecretOpenError,
} from "#shared/secrets/cipher.ts";
import { KmsSecretCipher } from "#shared/secrets/kms.ts";
import { LocalSecretCipher } from "#shared/secrets/local.ts";

const ACME: SecretContext = { tenant: "acme", purpose: "whatsapp-app-secret" };
const local = new LocalSecretCipher(randomBytes(32));

/** The error a promise rejects with, failing the test when it resolves. */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a rejection");
}

describe("LocalSecretCipher", () => {
  it("round-trips any secret, and never stores it in clear", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 512 }), async (plaintext) => {
        const sealed = await local.seal(plaintext, ACME);
        expect(sealed).toMatchObject({ v: 1, alg: "aes-256-gcm", kid: local.kid });
        if (plaintext.length >= 8) expect(JSON.stringify(sealed)).not.toContain(plaintext);
        return (await local.open(sealed, ACME)) === plaintext;
      }),
      { numRuns: 50 },
    );
  });

  it("seals the same secret differently every time (a fresh IV)", async () => {
    const a = await local.seal("same-secret", ACME);
    const b = await local.seal("same-secret", ACME);
    expect(a.ct).not.toBe(b.ct);
  });

  it("does not open for another tenant or another purpose", async () => {
    const sealed = await local.seal("app-secret-of-acme", ACME);
    for (const context of [
      { ...ACME, tenant: "globex" },
      { ...ACME, purpose: "trigger-webhook-secret" as const },
    ]) {
      const error = await rejection(local.open(sealed, context));
      expect(error).toBeInstanceOf(SecretOpenError);
      expect(error.message).not.toContain("app-secret-of-acme");
    }
  });

  it("does not open when any byte of the ciphertext changed", async () => {
    const sealed = await local.seal("app-secret-of-acme", ACME);
    const raw = Buffer.from(sealed.ct, "base64");
    for (let i = 0; i < raw.length; i++) {
      const changed = Buffer.from(raw);
      changed[i] = (changed[i] as number) ^ 0x01;
      const tampered = { ...sealed, ct: changed.toString("base64") };
      await expect(local.open(tampered, ACME), `byte ${i}`).rejects.toBeInstanceOf(SecretOpenError);
    }
    await expect(local.open({ ...sealed, ct: raw.subarray(0, 20).toString("base64") }, ACME)).rejects.toThrow(
      /truncated/,
    );
  });

  it("says so when the secret was sealed with another key or by KMS", async () => {
    const other = new LocalSecretCipher(randomBytes(32));
    const sealed = await other.seal("s3cret-value", ACME);
    await expect(local.open(sealed, ACME)).rejects.toThrow(/another local key/);
    // Same kid claimed, other key: the tag check still refuses it.
    await expect(local.open({ ...sealed, kid: local.kid }, ACME)).rejects.toBeInstanceOf(SecretOpenError);
    await expect(local.open({ ...sealed, alg: "kms" }, ACME)).rejects.toThrow(/sealed with kms/);
  });

  it("takes exactly 32 bytes of key, and names the key by a hash, not the key", () => {
    expect(() => new LocalSecretCipher(randomBytes(16))).toThrow(/32 bytes/);
    const key = Buffer.alloc(32, 7);
    expect(new LocalSecretCipher(key).kid).toMatch(/^local:[0-9a-f]{16}$/);
    expect(new LocalSecretCipher(key).kid).not.toContain(key.toString("hex").slice(0, 8));
  });
});

describe("openStoredSecret", () => {
  it("opens a sealed secret and passes legacy plaintext through", async () => {
    const sealed = await local.seal("whsec_abc", { tenant: "acme", purpose: "trigger-webhook-secret" });
    const context = { tenant: "acme", purpose: "trigger-webhook-secret" } as const;
    expect(await openStoredSecret(local, sealed, context)).toBe("whsec_abc");
    expect(await openStoredSecret(local, "whsec_legacy", context)).toBe("whsec_legacy");
  });
});

/** A KMS client stand-in that records every command and answers like KMS. */
function fakeKms(answer: (command: EncryptCommand | DecryptCommand) => unknown) {
  const sent: (EncryptCommand | DecryptCommand)[] = [];
  return {
    sent,
    client: {
      send: async (command: EncryptCommand | DecryptCommand) => {
        sent.push(command);
        return answer(command);
      },
    } as never,
  };
}

const KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

describe("KmsSecretCipher (KMS client mocked)", () => {
  it("encrypts with the key, the plaintext and the tenant and purpose as encryption context", async () => {
    const kms = fakeKms(() => ({ CiphertextBlob: Uint8Array.from([1, 2, 3]), KeyId: KEY_ARN }));
    const sealed = await new KmsSecretCipher(kms.client, KEY_ARN).seal("app-secret", ACME);

    expect(sealed).toEqual({ v: 1, alg: "kms", kid: KEY_ARN, ct: Buffer.from([1, 2, 3]).toString("base64") });
    expect(kms.sent).toHaveLength(1);
    const command = kms.sent[0] as EncryptCommand;
    expect(command).toBeInstanceOf(EncryptCommand);
    expect(command.input).toEqual({
      KeyId: KEY_ARN,
      Plaintext: Buffer.from("app-secret", "utf8"),
      EncryptionContext: { tenant: "acme", purpose: "whatsapp-app-secret" },
    });
  });

  it("decrypts with the key named, the ciphertext and the same encryption context", async () => {
    const kms = fakeKms(() => ({ Plaintext: Buffer.from("app-secret", "utf8"), KeyId: KEY_ARN }));
    const sealed: SealedSecret = {
      v: 1,
      alg: "kms",
      kid: KEY_ARN,
      ct: Buffer.from([9, 8, 7]).toString("base64"),
    };

    expect(await new KmsSecretCipher(kms.client, KEY_ARN).open(sealed, ACME)).toBe("app-secret");
    const command = kms.sent[0] as DecryptCommand;
    expect(command).toBeInstanceOf(DecryptCommand);
    expect(command.input).toEqual({
      KeyId: KEY_ARN,
      CiphertextBlob: Buffer.from([9, 8, 7]),
      EncryptionContext: { tenant: "acme", purpose: "whatsapp-app-secret" },
    });
  });

  it("turns KMS's 'wrong context or changed ciphertext' and 'other key' into SecretOpenError", async () => {
    const sealed: SealedSecret = { v: 1, alg: "kms", kid: KEY_ARN, ct: "AAAA" };
    for (const error of [
      new InvalidCiphertextException({ message: "invalid", $metadata: {} }),
      new IncorrectKeyException({ message: "incorrect key", $metadata: {} }),
    ]) {
      const kms = fakeKms(() => {
        throw error;
      });
      const thrown = await rejection(new KmsSecretCipher(kms.client, KEY_ARN).open(sealed, ACME));
      expect(thrown).toBeInstanceOf(SecretOpenError);
      expect(thrown.cause).toBe(error);
    }
  });

  it("passes other failures (throttling, a missing grant) through as they are: those may pass", async () => {
    const throttled = new KMSServiceException({
      name: "ThrottlingException",
      $fault: "client",
      message: "slow down",
      $metadata: {},
    });
    const kms = fakeKms(() => {
      throw throttled;
    });
    const sealed: SealedSecret = { v: 1, alg: "kms", kid: KEY_ARN, ct: "AAAA" };
    expect(await rejection(new KmsSecretCipher(kms.client, KEY_ARN).open(sealed, ACME))).toBe(throttled);
  });

  it("refuses a locally sealed secret without calling KMS", async () => {
    const kms = fakeKms(() => ({}));
    const sealed = await local.seal("x-secret-value", ACME);
    await expect(new KmsSecretCipher(kms.client, KEY_ARN).open(sealed, ACME)).rejects.toBeInstanceOf(
      SecretOpenError,
    );
    expect(kms.sent).toHaveLength(0);
  });

  it("keeps an opened secret for a few minutes per context: one Decrypt for a burst", async () => {
    let now = 0;
    const kms = fakeKms(() => ({ Plaintext: Buffer.from("app-secret", "utf8") }));
    const cipher = new KmsSecretCipher(kms.client, KEY_ARN, { cacheMs: 1000, now: () => now });
    const sealed: SealedSecret = { v: 1, alg: "kms", kid: KEY_ARN, ct: "AAAA" };

    for (let i = 0; i < 5; i++) await cipher.open(sealed, ACME);
    expect(kms.sent).toHaveLength(1);
    // Another tenant's context is another entry: KMS checks it.
    await cipher.open(sealed, { ...ACME, tenant: "globex" });
    expect(kms.sent).toHaveLength(2);
    now = 1001;
    await cipher.open(sealed, ACME);
    expect(kms.sent).toHaveLength(3);
  });
});

describe("loadSecretCipher (cold start)", () => {
  const dir = mkdtempSync(join(tmpdir(), "secrets-test-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const base = { TABLE_NAME: "conversation-log-unit" };

  it("picks KMS for SECRETS_KEY_ARN and the local cipher for SECRETS_KEY_FILE or SECRETS_KEY", async () => {
    expect(await loadSecretCipher({ ...base, SECRETS_KEY_ARN: KEY_ARN })).toBeInstanceOf(KmsSecretCipher);
    const key = randomBytes(32);
    const file = join(dir, "secrets.key");
    writeFileSync(file, key, { mode: 0o600 });
    const fromFile = await loadSecretCipher({ ...base, SECRETS_KEY_FILE: file });
    const fromEnv = await loadSecretCipher({ ...base, SECRETS_KEY: key.toString("base64") });
    expect(fromFile).toBeInstanceOf(LocalSecretCipher);
    // The same key either way: what one seals, the other opens.
    expect(await fromEnv.open(await fromFile.seal("shared-secret", ACME), ACME)).toBe("shared-secret");
  });

  it.each([
    ["none", {}, /exactly one/],
    ["two", { SECRETS_KEY_ARN: KEY_ARN, SECRETS_KEY: randomBytes(32).toString("base64") }, /exactly one/],
    ["a key ARN that is not one", { SECRETS_KEY_ARN: "alias/conversation-log-dev-secrets" }, /KMS key ARN/],
    ["a short key", { SECRETS_KEY: randomBytes(16).toString("base64") }, /32 bytes/],
    ["a missing key file", { SECRETS_KEY_FILE: "/nonexistent/secrets.key" }, /cannot read/],
  ])("fails at cold start with %s set", async (_what, env, message) => {
    await expect(loadSecretCipher({ ...base, ...env })).rejects.toThrow(message);
  });

  it("refuses a key file of the wrong size or readable by others", async () => {
    const short = join(dir, "short.key");
    writeFileSync(short, randomBytes(31), { mode: 0o600 });
    await expect(loadSecretCipher({ ...base, SECRETS_KEY_FILE: short })).rejects.toThrow(/exactly 32 bytes/);
    const open = join(dir, "open.key");
    writeFileSync(open, randomBytes(32));
    chmodSync(open, 0o644);
    await expect(loadSecretCipher({ ...base, SECRETS_KEY_FILE: open })).rejects.toThrow(/chmod 600/);
  });
});
