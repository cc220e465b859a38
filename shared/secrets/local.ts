/**
 * The local adapter of the {@link SecretCipher} port: AES-256-GCM with a 32-byte key, the
 * encryption context as additional authenticated data. It stands in for KMS under `npm start`
 * (key file `.data/secrets.key`, created 0600 on first start) and in the tests (a random key).
 *
 * `ct` is base64(IV (12 bytes) ‖ tag (16 bytes) ‖ ciphertext). The AAD names the format
 * version, the tenant and the purpose, so a value opened with another context fails the tag
 * check exactly like a changed byte.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import {
  encryptionContext,
  type SealedSecret,
  type SecretCipher,
  type SecretContext,
  SecretOpenError,
} from "./cipher.ts";

export const LOCAL_KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

function aad(context: SecretContext): Buffer {
  return Buffer.from(JSON.stringify(["conversation-log/secret", 1, encryptionContext(context)]), "utf8");
}

export class LocalSecretCipher implements SecretCipher {
  readonly #key: Buffer;
  /** `local:` + 16 hex chars of the key's SHA-256: names the key without revealing it. */
  readonly kid: string;

  constructor(key: Buffer) {
    if (key.length !== LOCAL_KEY_BYTES) {
      throw new Error(`the local secrets key must be ${LOCAL_KEY_BYTES} bytes, got ${key.length}`);
    }
    this.#key = Buffer.from(key);
    this.kid = `local:${createHash("sha256").update(key).digest("hex").slice(0, 16)}`;
  }

  async seal(plaintext: string, context: SecretContext): Promise<SealedSecret> {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.#key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(aad(context));
    const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    const ct = Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64");
    return { v: 1, alg: "aes-256-gcm", kid: this.kid, ct };
  }

  async open(sealed: SealedSecret, context: SecretContext): Promise<string> {
    if (sealed.v !== 1 || sealed.alg !== "aes-256-gcm") {
      throw new SecretOpenError(`a local key cannot open a secret sealed with ${sealed.alg} (v${sealed.v})`);
    }
    if (sealed.kid !== this.kid) {
      throw new SecretOpenError(
        `the secret was sealed with another local key (${sealed.kid}, not ${this.kid})`,
      );
    }
    const raw = Buffer.from(sealed.ct, "base64");
    if (raw.length < IV_BYTES + TAG_BYTES) throw new SecretOpenError("the sealed secret is truncated");
    const decipher = createDecipheriv("aes-256-gcm", this.#key, raw.subarray(0, IV_BYTES), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    decipher.setAAD(aad(context));
    try {
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString(
        "utf8",
      );
    } catch (cause) {
      throw new SecretOpenError(
        "the secret does not open: changed, or sealed for another tenant or purpose",
        {
          cause,
        },
      );
    }
  }
}
