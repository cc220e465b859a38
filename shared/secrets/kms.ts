/**
 * The AWS KMS adapter of the {@link SecretCipher} port: `Encrypt` and `Decrypt` straight with
 * the stage's symmetric key (secrets are far below KMS's 4 KB limit, so no envelope is
 * needed), the `{ tenant, purpose }` context as `EncryptionContext`. KMS authenticates the
 * context with the ciphertext, and IAM conditions on it: the `channels` and `triggers`
 * functions may only `Encrypt` their purpose, `channel-webhooks` and `trigger-engine` may only
 * `Decrypt` theirs (infra/api-stack.ts).
 *
 * Opened secrets are kept in memory for a few minutes per container, so a burst of webhooks
 * (or a flood of forged ones) costs one `Decrypt` per secret, not one per request.
 */
import {
  DecryptCommand,
  EncryptCommand,
  IncorrectKeyException,
  InvalidCiphertextException,
  type KMSClient,
} from "@aws-sdk/client-kms";
import {
  encryptionContext,
  type SealedSecret,
  type SecretCipher,
  type SecretContext,
  SecretOpenError,
} from "./cipher.ts";

export interface KmsSecretCipherOptions {
  /** How long an opened secret is kept in memory; 0 keeps none. Default 300,000 (5 minutes). */
  cacheMs?: number;
  /** Entries kept at most; the oldest go first. Default 1000. */
  cacheEntries?: number;
  now?: () => number;
}

export class KmsSecretCipher implements SecretCipher {
  readonly #opened = new Map<string, { plaintext: string; until: number }>();
  readonly #cacheMs: number;
  readonly #cacheEntries: number;
  readonly #now: () => number;

  constructor(
    private readonly kms: Pick<KMSClient, "send">,
    /** The key's ARN (`SECRETS_KEY_ARN`). */
    private readonly keyArn: string,
    options: KmsSecretCipherOptions = {},
  ) {
    this.#cacheMs = options.cacheMs ?? 300_000;
    this.#cacheEntries = options.cacheEntries ?? 1000;
    this.#now = options.now ?? Date.now;
  }

  async seal(plaintext: string, context: SecretContext): Promise<SealedSecret> {
    const out = await this.kms.send(
      new EncryptCommand({
        KeyId: this.keyArn,
        Plaintext: Buffer.from(plaintext, "utf8"),
        EncryptionContext: encryptionContext(context),
      }),
    );
    if (!out.CiphertextBlob) throw new Error("KMS Encrypt returned no ciphertext");
    return {
      v: 1,
      alg: "kms",
      kid: out.KeyId ?? this.keyArn,
      ct: Buffer.from(out.CiphertextBlob).toString("base64"),
    };
  }

  async open(sealed: SealedSecret, context: SecretContext): Promise<string> {
    if (sealed.v !== 1 || sealed.alg !== "kms") {
      throw new SecretOpenError(`KMS cannot open a secret sealed with ${sealed.alg} (v${sealed.v})`);
    }
    const cacheKey = JSON.stringify([context.tenant, context.purpose, sealed.ct]);
    const cached = this.#opened.get(cacheKey);
    if (cached && cached.until > this.#now()) return cached.plaintext;

    let plaintext: string;
    try {
      const out = await this.kms.send(
        new DecryptCommand({
          // Named, so a ciphertext of any other key is refused rather than decrypted with it.
          KeyId: this.keyArn,
          CiphertextBlob: Buffer.from(sealed.ct, "base64"),
          EncryptionContext: encryptionContext(context),
        }),
      );
      if (!out.Plaintext) throw new Error("KMS Decrypt returned no plaintext");
      plaintext = Buffer.from(out.Plaintext).toString("utf8");
    } catch (error) {
      // Wrong context or changed bytes (InvalidCiphertext), another key (IncorrectKey): final.
      // Anything else (throttling, an outage, a missing grant) is thrown as is.
      if (error instanceof InvalidCiphertextException || error instanceof IncorrectKeyException) {
        throw new SecretOpenError(`the secret does not open with ${this.keyArn} in this context`, {
          cause: error,
        });
      }
      throw error;
    }
    if (this.#cacheMs > 0) {
      this.#opened.delete(cacheKey);
      this.#opened.set(cacheKey, { plaintext, until: this.#now() + this.#cacheMs });
      while (this.#opened.size > this.#cacheEntries) {
        const oldest = this.#opened.keys().next().value as string;
        this.#opened.delete(oldest);
      }
    }
    return plaintext;
  }
}
