/**
 * Lambda entry point: `/v1/triggers`. The routes are in shared/http/routes/triggers.ts.
 */
import { loadSecretCipher, loadTableName } from "#shared/config.ts";
import { httpFunction } from "#shared/http/http-function.ts";
import { TRIGGER_ROUTES } from "#shared/http/routes/triggers.ts";
import { createDocumentClient } from "#shared/store/dynamo/client.ts";
import { DynamoTriggerStore } from "#shared/store/dynamo/triggers.ts";
import { defaultTriggerDeps } from "#shared/usecases/triggers.ts";

export const handler = httpFunction(
  TRIGGER_ROUTES,
  defaultTriggerDeps(
    new DynamoTriggerStore(createDocumentClient(), loadTableName()),
    await loadSecretCipher(),
  ),
);
