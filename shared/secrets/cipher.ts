/**
 * The port of secrets kept at rest: a tenant's WhatsApp app secret and a trigger's webhook
 * signing secret are stored sealed, never in clear (docs/decisions.md, "Secrets at rest").
 *
 * A sealed secret is bound to an encryption context, `{ tenant, purpose }`: it opens only with
 * the very context it was sealed with, so a ciphertext copied into another tenant's item, or
 * into an attribute of another purpose, fails to open. On AWS the context is also what IAM
 * conditions on (`kms:EncryptionContext:purpose`), so a function may seal or open only the
 * purpose its registry entry names (`shared/function-registry.ts`, `secrets`).
 *
 * Adapters: `kms.ts` (AWS KMS, on AWS) and `local.ts` (AES-256-GCM with a key file, for
 * `npm start` and the tests). No `@aws-sdk/*` import here.
 */

/** What a secret is for: part of its encryption context, and of the IAM condition. */
export const SECRET_PURPOSES = ["whatsapp-app-secret", "trigger-webhook-secret"] as const;
export type SecretPurpose = (typeof SECRET_PURPOSES)[number];

/** What a sealed secret is bound to. */
export interface SecretContext {
  tenant: string;
  purpose: SecretPurpose;
}

/** How a secret was sealed: `kms` (AWS KMS `Encrypt`) or `aes-256-gcm` (the local key file). */
export const SEAL_ALGORITHMS = ["kms", "aes-256-gcm"] as const;
export type SealAlgorithm = (typeof SEAL_ALGORITHMS)[number];

/**
 * A sealed secret, versioned (`v`), so adapters, and a future key or format change, can
 * coexist in one table: each value says how it was sealed.
 * - `alg`: which adapter opens it;
 * - `kid`: the key it was sealed with (the KMS key ARN, or `local:` + a hash of the local key),
 *   so a value sealed with another key fails with an error that says so;
 * - `ct`: the ciphertext, base64 (KMS: the ciphertext blob; local: IV ‖ tag ‖ ciphertext).
 */
export interface SealedSecret {
  v: 1;
  alg: SealAlgorithm;
  kid: string;
  ct: string;
}

/**
 * A secret as an item holds it: sealed, or a plaintext string written before secrets were
 * sealed (legacy; `npm run secrets -- seal-legacy` seals those in place). Use
 * {@link openStoredSecret}: it is the one place that tells the two apart.
 */
export type StoredSecret = SealedSecret | string;

export interface SecretCipher {
  /** Seals a secret for this context. */
  seal(plaintext: string, context: SecretContext): Promise<SealedSecret>;
  /** Opens a secret sealed for exactly this context; throws {@link SecretOpenError} otherwise. */
  open(sealed: SealedSecret, context: SecretContext): Promise<string>;
}

/** What a function that only stores secrets needs (`channels`, `triggers`). */
export type SecretSealer = Pick<SecretCipher, "seal">;
/** What a function that only uses secrets needs (`channel-webhooks`, `trigger-engine`). */
export type SecretOpener = Pick<SecretCipher, "open">;

/**
 * A sealed secret that does not open: another context (tenant or purpose), another key, or
 * a changed ciphertext. No retry helps; an unavailable key service is a different error.
 */
export class SecretOpenError extends Error {
  override name = "SecretOpenError";
}

/** The context as KMS takes it (`EncryptionContext`), and as the local adapter authenticates it. */
export function encryptionContext(context: SecretContext): Record<string, string> {
  return { purpose: context.purpose, tenant: context.tenant };
}

export function isSealed(secret: StoredSecret): secret is SealedSecret {
  return typeof secret !== "string";
}

/** The plaintext of a stored secret: opened when sealed, as is when legacy plaintext. */
export async function openStoredSecret(
  opener: SecretOpener,
  secret: StoredSecret,
  context: SecretContext,
): Promise<string> {
  return isSealed(secret) ? opener.open(secret, context) : secret;
}
