/**
 * The local stand-in for the publisher's event source mapping: it reads DynamoDB Local's
 * Streams API and calls the exact publish handler with Lambda-format batches.
 *
 * As the deployed mapping does, it applies the shared filter (`PUBLISH_STREAM_FILTER`) with
 * the EventBridge-compatible matcher, honours `batchItemFailures` (retrying from the lowest
 * failed record), and checkpoints per shard. The checkpoint is durable (a JSON file, written
 * atomically after each processed batch), so a restart neither loses events nor re-delivers
 * more than the batch that was in flight.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { DescribeTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  type _Record,
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type Shard,
} from "@aws-sdk/client-dynamodb-streams";
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from "aws-lambda";
import { compilePattern } from "#shared/bus/event-pattern.ts";
import { PUBLISH_STREAM_FILTER } from "#shared/bus/rules.ts";
import { logger } from "#shared/logger.ts";

export type StreamHandler = (
  event: DynamoDBStreamEvent,
  context: Context,
) => Promise<DynamoDBBatchResponse | undefined>;

export interface StreamPollerOptions {
  endpoint: string;
  tableName: string;
  handler: StreamHandler;
  context: () => Context;
  /** Durable checkpoint file; without it, checkpoints live in memory. */
  checkpointFile?: string;
  batchSize?: number;
  idleMs?: number;
}

type Checkpoints = { streamArn: string; shards: Record<string, string> };

const filter = compilePattern(PUBLISH_STREAM_FILTER);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A stream record as the Lambda event source mapping delivers it. */
function toLambdaRecord(r: _Record, streamArn: string): DynamoDBRecord {
  const d = r.dynamodb ?? {};
  return {
    eventID: r.eventID,
    eventName: r.eventName as DynamoDBRecord["eventName"],
    eventVersion: r.eventVersion ?? "1.1",
    eventSource: "aws:dynamodb",
    awsRegion: r.awsRegion ?? "local",
    eventSourceARN: streamArn,
    dynamodb: {
      ...(d.ApproximateCreationDateTime
        ? { ApproximateCreationDateTime: Math.floor(d.ApproximateCreationDateTime.getTime() / 1000) }
        : {}),
      Keys: d.Keys as NonNullable<DynamoDBRecord["dynamodb"]>["Keys"],
      ...(d.NewImage ? { NewImage: d.NewImage as NonNullable<DynamoDBRecord["dynamodb"]>["NewImage"] } : {}),
      ...(d.OldImage ? { OldImage: d.OldImage as NonNullable<DynamoDBRecord["dynamodb"]>["OldImage"] } : {}),
      SequenceNumber: d.SequenceNumber,
      SizeBytes: d.SizeBytes,
      StreamViewType: d.StreamViewType as NonNullable<DynamoDBRecord["dynamodb"]>["StreamViewType"],
    },
  };
}

export class StreamPoller {
  readonly #streams: DynamoDBStreamsClient;
  readonly #dynamo: DynamoDBClient;
  #checkpoints: Checkpoints = { streamArn: "", shards: {} };
  #stopping = false;
  #loop: Promise<void> | undefined;
  /** Records handed to the handler, counted by sequence number (for tests and the bench). */
  delivered = 0;

  constructor(private readonly options: StreamPollerOptions) {
    const config = { endpoint: options.endpoint, region: process.env.AWS_REGION ?? "local", maxAttempts: 3 };
    this.#streams = new DynamoDBStreamsClient(config);
    this.#dynamo = new DynamoDBClient(config);
  }

  async start(): Promise<void> {
    const table = await this.#dynamo.send(new DescribeTableCommand({ TableName: this.options.tableName }));
    const streamArn = table.Table?.LatestStreamArn;
    if (!streamArn) throw new Error(`table ${this.options.tableName} has no stream`);
    const saved = this.#load();
    // A new table (new stream) starts over; the old checkpoints belong to data that is gone.
    this.#checkpoints = saved?.streamArn === streamArn ? saved : { streamArn, shards: {} };
    this.#loop = this.#run().catch((error: unknown) =>
      logger.error("stream poller stopped", { error: String(error) }),
    );
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    await this.#loop;
    this.#streams.destroy();
    this.#dynamo.destroy();
  }

  #load(): Checkpoints | undefined {
    const file = this.options.checkpointFile;
    if (!file || !existsSync(file)) return undefined;
    return JSON.parse(readFileSync(file, "utf8")) as Checkpoints;
  }

  #save(): void {
    const file = this.options.checkpointFile;
    if (!file) return;
    writeFileSync(`${file}.tmp`, JSON.stringify(this.#checkpoints));
    renameSync(`${file}.tmp`, file);
  }

  async #shards(): Promise<Shard[]> {
    const shards: Shard[] = [];
    let start: string | undefined;
    do {
      const out = await this.#streams.send(
        new DescribeStreamCommand({ StreamArn: this.#checkpoints.streamArn, ExclusiveStartShardId: start }),
      );
      shards.push(...(out.StreamDescription?.Shards ?? []));
      start = out.StreamDescription?.LastEvaluatedShardId;
    } while (start);
    return shards;
  }

  async #run(): Promise<void> {
    const done = new Set<string>();
    while (!this.#stopping) {
      let progressed = false;
      try {
        for (const shard of await this.#shards()) {
          const id = shard.ShardId as string;
          if (done.has(id)) continue;
          // Parents first, so records stay in order across shard rollovers.
          if (
            shard.ParentShardId &&
            !done.has(shard.ParentShardId) &&
            (await this.#isOpen(shard.ParentShardId))
          )
            continue;
          const result = await this.#drain(shard);
          if (result === "closed") done.add(id);
          if (result !== "idle") progressed = true;
        }
      } catch (error) {
        // A transient fault (DynamoDB Local busy or restarting, an expired iterator) must not
        // end fan-out: the checkpoint is durable, so the next pass resumes where this one was.
        logger.warn("stream poller pass failed; retrying", { error: String(error) });
        await sleep(500);
        continue;
      }
      if (!progressed) await sleep(this.options.idleMs ?? 100);
    }
  }

  async #isOpen(shardId: string): Promise<boolean> {
    return (await this.#shards()).some((s) => s.ShardId === shardId);
  }

  /** Reads one shard from its checkpoint until it has nothing new. */
  async #drain(shard: Shard): Promise<"idle" | "progressed" | "closed"> {
    const id = shard.ShardId as string;
    const after = this.#checkpoints.shards[id];
    let iterator = (
      await this.#streams.send(
        new GetShardIteratorCommand({
          StreamArn: this.#checkpoints.streamArn,
          ShardId: id,
          ShardIteratorType: after ? "AFTER_SEQUENCE_NUMBER" : "TRIM_HORIZON",
          ...(after ? { SequenceNumber: after } : {}),
        }),
      )
    ).ShardIterator;
    let progressed = false;
    while (iterator && !this.#stopping) {
      const out = await this.#streams.send(
        new GetRecordsCommand({ ShardIterator: iterator, Limit: this.options.batchSize ?? 100 }),
      );
      const records = out.Records ?? [];
      if (records.length === 0)
        return out.NextShardIterator ? (progressed ? "progressed" : "idle") : "closed";
      const ok = await this.#process(id, records);
      if (!ok) return "progressed"; // retried from the checkpoint on the next pass
      progressed = true;
      iterator = out.NextShardIterator;
    }
    return iterator ? "progressed" : "closed";
  }

  /** Hands a batch to the handler; advances the checkpoint up to the first failed record. */
  async #process(shard: string, records: _Record[]): Promise<boolean> {
    const lambdaRecords = records.map((r) => toLambdaRecord(r, this.#checkpoints.streamArn));
    const matching = lambdaRecords.filter((r) => filter.matches(r));
    let failedFrom: string | undefined;
    if (matching.length > 0) {
      try {
        const response = await this.options.handler({ Records: matching }, this.options.context());
        const failed = (response?.batchItemFailures ?? [])
          .map((f) => f.itemIdentifier)
          .filter(Boolean) as string[];
        if (failed.length > 0) failedFrom = failed.sort(compareSequence)[0];
        this.delivered += matching.length;
      } catch (error) {
        logger.warn("publish handler failed; retrying the batch", { error: String(error), shard });
        failedFrom = matching[0]?.dynamodb?.SequenceNumber;
      }
    }
    if (failedFrom === undefined) {
      this.#checkpoints.shards[shard] = records[records.length - 1]?.dynamodb?.SequenceNumber as string;
      this.#save();
      return true;
    }
    // Keep everything before the first failed record; retry from it after a pause.
    const before = records.filter(
      (r) => compareSequence(r.dynamodb?.SequenceNumber as string, failedFrom) < 0,
    );
    const last = before[before.length - 1]?.dynamodb?.SequenceNumber;
    if (last) {
      this.#checkpoints.shards[shard] = last;
      this.#save();
    }
    await sleep(200);
    return false;
  }
}

/** Stream sequence numbers are decimal strings of varying length. */
function compareSequence(a: string, b: string): number {
  return a.length === b.length ? (a < b ? -1 : a > b ? 1 : 0) : a.length - b.length;
}
