/**
 * Lambda entry point: conversation commands (tag, untag, close, reopen). Parse → command
 * use case → respond. An accepted command, first call or Idempotency-Key replay alike,
 * answers 201 with the appended event.
 */
import type { APIGatewayProxyEvent } from "aws-lambda";
import { loadTableName } from "#shared/config.ts";
import { type HttpResult, httpFunction, json } from "#shared/http/handler.ts";
import type { Caller } from "#shared/http/request.ts";
import { header, jsonBody } from "#shared/http/request.ts";
import { createDocumentClient } from "#shared/store/dynamo/client.ts";
import { DynamoEventStore } from "#shared/store/dynamo/events.ts";
import { DynamoIdempotencyStore } from "#shared/store/dynamo/idempotency.ts";
import { type CommandKind, runCommand } from "#shared/usecases/commands.ts";
import { defaultIngestDeps } from "#shared/usecases/ingest.ts";

const db = createDocumentClient();
const tableName = loadTableName();
const deps = {
  ingest: defaultIngestDeps(new DynamoEventStore(db, tableName)),
  idempotency: new DynamoIdempotencyStore(db, tableName),
};

function command(kind: CommandKind) {
  return async (event: APIGatewayProxyEvent, caller: Caller): Promise<HttpResult> => {
    const key = header(event, "idempotency-key");
    const tag = event.pathParameters?.tag;
    const stored = await runCommand(deps, caller.tenant, {
      kind,
      conversationId: event.pathParameters?.conversation_id ?? "",
      ...(tag !== undefined ? { tag } : {}),
      // Commands without fields of their own may come without a body.
      body: event.body ? jsonBody(event) : undefined,
      ...(key !== undefined ? { idempotencyKey: key } : {}),
    });
    return json(201, { event: stored });
  };
}

export const handler = httpFunction("commands", {
  "POST /v1/conversations/{conversation_id}/tags": command("tag"),
  "DELETE /v1/conversations/{conversation_id}/tags/{tag}": command("untag"),
  "POST /v1/conversations/{conversation_id}/close": command("close"),
  "POST /v1/conversations/{conversation_id}/reopen": command("reopen"),
});
