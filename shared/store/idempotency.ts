/**
 * The port of Idempotency-Key records (commands). The DynamoDB adapter is
 * `dynamo/idempotency.ts`.
 */

/** What an Idempotency-Key holds: the request it was first used with and the event it appends. */
export interface IdempotencyRecord {
  /** Hash of method, route, path parameters and body. */
  fingerprint: string;
  /** When the command was first accepted: the appended event's `occurred_at`. */
  acceptedAt: string;
  /** The appended event's id, fixed at reservation so every retry appends the same event. */
  eventId: string;
}

export interface IdempotencyStore {
  /**
   * Reserves the client's Idempotency-Key with this record unless an unexpired record holds
   * it, which is then returned. Atomic: of concurrent reservations, exactly one wins.
   */
  reserve(
    tenant: string,
    idempotencyKey: string,
    record: IdempotencyRecord,
    expiresAtSeconds: number,
  ): Promise<{ reserved: true } | { reserved: false; existing: IdempotencyRecord }>;
}
