/**
 * Lambda entry point: `/v1/triggers` and their run logs. The routes are in
 * shared/http/routes/triggers.ts.
 */
import { loadAutomationLimits, loadConfig, loadCursorCodec, loadSecretCipher } from "#shared/config.ts";
import { httpFunction } from "#shared/http/http-function.ts";
import { TRIGGER_ROUTES } from "#shared/http/routes/triggers.ts";
import { createDocumentClient } from "#shared/store/dynamo/client.ts";
import { DynamoTriggerRunStore } from "#shared/store/dynamo/trigger-runs.ts";
import { DynamoTriggerStore } from "#shared/store/dynamo/triggers.ts";
import { defaultTriggerDeps } from "#shared/usecases/triggers.ts";

const config = await loadConfig();
const db = createDocumentClient();

const deps = defaultTriggerDeps(
  {
    triggers: new DynamoTriggerStore(db, config.tableName),
    runs: new DynamoTriggerRunStore(db, config.tableName),
    cursors: await loadCursorCodec(),
    secrets: await loadSecretCipher(),
  },
  loadAutomationLimits().triggersPerTenant,
);

// The cursor secrets are re-read every few minutes, so a rotation needs no redeploy.
export const handler = httpFunction(TRIGGER_ROUTES, deps).before(async () => {
  deps.cursors = await loadCursorCodec();
});
