/**
 * Lambda response streaming outside Lambda. In AWS the Node.js runtime provides the global
 * `awslambda` (`streamifyResponse`, `HttpResponseStream`); the local runtime, tests and
 * bundle checks load the same handlers without it, so this module installs a stand-in with
 * the runtime's wire format: the JSON prelude (status, headers), eight NUL bytes, then the
 * body. The local gateway reads exactly that (infra/local/gateway.ts). In Lambda it does
 * nothing.
 */
import type { Writable } from "node:stream";

/** The runtime's marker of a streaming handler. */
export const STREAMING_HANDLER = Symbol.for("aws.lambda.runtime.handler.streaming");
export const PRELUDE_DELIMITER = Buffer.alloc(8);

interface AwsLambdaGlobal {
  streamifyResponse: <T extends object>(handler: T) => T;
  HttpResponseStream: { from: (stream: Writable, prelude: Record<string, unknown>) => Writable };
}

const runtime = globalThis as { awslambda?: Partial<AwsLambdaGlobal> };

// Other libraries (the SDK's invoke store) may have created `awslambda` with other members.
runtime.awslambda ??= {};
const lambda = runtime.awslambda;
lambda.streamifyResponse ??= (handler) => Object.assign(handler, { [STREAMING_HANDLER]: "response" });
lambda.HttpResponseStream ??= {
  from(stream, prelude) {
    stream.write(JSON.stringify(prelude));
    stream.write(PRELUDE_DELIMITER);
    return stream;
  },
};
