/**
 * A stand-in for the EventBridge service at the SDK's transport boundary: it answers each
 * PutEvents with what the test says, so the adapter's request and response handling run for real.
 */
import type {
  EventBridgeClient,
  PutEventsCommandInput,
  PutEventsCommandOutput,
} from "@aws-sdk/client-eventbridge";

export class EventBridgeTestDouble {
  readonly sent: unknown[] = [];

  constructor(
    client: EventBridgeClient,
    answer: (input: PutEventsCommandInput) => Omit<PutEventsCommandOutput, "$metadata">,
  ) {
    client.middlewareStack.add(
      (_next, context) => async (args) => {
        this.sent.push(
          context.commandName === "PutEventsCommand" ? (args as { input: unknown }).input : undefined,
        );
        return {
          output: { $metadata: {}, ...answer((args as { input: PutEventsCommandInput }).input) },
          response: {},
        };
      },
      { step: "initialize", name: "eventBridgeTestDouble" },
    );
  }
}
