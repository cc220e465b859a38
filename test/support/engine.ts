/**
 * The trigger use cases and the engine wired as the functions wire them, on the run's
 * DynamoDB Local: one place for the integration tests that run triggers.
 */
import { DEFAULT_AUTOMATION_LIMITS, loadSecretCipher } from "#shared/config.ts";
import { CursorCodec } from "#shared/cursor.ts";
import { DynamoCausationBudgetStore } from "#shared/store/dynamo/causation-budgets.ts";
import { DynamoTriggerRunStore } from "#shared/store/dynamo/trigger-runs.ts";
import { DynamoTriggerStore } from "#shared/store/dynamo/triggers.ts";
import { defaultIngestDeps } from "#shared/usecases/ingest.ts";
import type { TriggerEngineDeps } from "#shared/usecases/trigger-engine.ts";
import { defaultTriggerDeps, type TriggerDeps } from "#shared/usecases/triggers.ts";
import { HttpWebhookSender } from "#shared/webhooks/sender.ts";
import type { CountingStore } from "./store.ts";

// The cipher the handlers load: the same key (SECRETS_KEY, test/support/env.ts).
export const secrets = await loadSecretCipher();

export function automation(
  h: CountingStore,
  options: { maxTriggers?: number; limits?: TriggerEngineDeps["limits"]; backoffMs?: number } = {},
): { triggers: DynamoTriggerStore; triggerDeps: TriggerDeps; engine: TriggerEngineDeps } {
  const triggers = new DynamoTriggerStore(h.db, h.tableName);
  const runs = new DynamoTriggerRunStore(h.db, h.tableName);
  const cursors = new CursorCodec(process.env.CURSOR_SECRET as string);
  return {
    triggers,
    triggerDeps: defaultTriggerDeps({ triggers, runs, cursors, secrets }, options.maxTriggers),
    engine: {
      ingest: defaultIngestDeps(h.store),
      triggers,
      runs,
      budgets: new DynamoCausationBudgetStore(h.db, h.tableName),
      // Short backoff and timeout: the behaviour under test is the same, the suite stays fast.
      webhooks: new HttpWebhookSender({
        allowLoopback: true,
        backoffMs: options.backoffMs ?? 20,
        timeoutMs: 2000,
      }),
      secrets,
      now: Date.now,
      limits: options.limits ?? DEFAULT_AUTOMATION_LIMITS,
    },
  };
}
