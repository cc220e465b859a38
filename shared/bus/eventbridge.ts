/**
 * EventBridge adapter of the {@link EventPublisher} port.
 */
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import type { BusEntry } from "./contract.ts";
import type { EventPublisher } from "./publisher.ts";

export class EventBridgePublisher implements EventPublisher {
  constructor(private readonly client: EventBridgeClient = new EventBridgeClient({ maxAttempts: 3 })) {}

  async put(entries: BusEntry[]): Promise<{ failed: number[] }> {
    const out = await this.client.send(new PutEventsCommand({ Entries: entries }));
    const failed: number[] = [];
    (out.Entries ?? []).forEach((entry, i) => {
      if (entry.ErrorCode || !entry.EventId) failed.push(i);
    });
    // A response shorter than the request means the missing entries were not accepted.
    for (let i = out.Entries?.length ?? 0; i < entries.length; i++) failed.push(i);
    return { failed };
  }
}
