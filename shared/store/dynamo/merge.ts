/**
 * Lazy k-way merge of ordered DynamoDB Queries: the paging engine shared by every read that
 * spreads one logical order over several partitions (the `byTime` shards of a month bucket,
 * the `byUpdated` shards of a tenant) or reads one partition page by page (a timeline).
 * Each stream is asked only for what the page still needs, and more only when the merge
 * drains it.
 */
import { type DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from "@aws-sdk/lib-dynamodb";
import type { Item } from "./items.ts";

/**
 * Lazily pages through one Query, skipping the item at `after` (the cursor's own item, which
 * inclusive key bounds return). Without filters, the first request asks for exactly what
 * the page needs, so a single-stream page is one Query.
 */
export class QueryStream {
  readonly #buffer: Item[] = [];
  #next: Item | undefined;
  #done = false;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly input: QueryCommandInput,
    /** The item's position in the merged order (a sort-key value). */
    readonly position: (item: Item) => string,
    private readonly after?: string,
  ) {}

  /** The next item, fetching up to `want` more (plus the cursor item) when the buffer is empty. */
  async peek(want: number): Promise<Item | undefined> {
    while (this.#buffer.length === 0 && !this.#done) {
      const out = await this.db.send(
        new QueryCommand({
          ...this.input,
          // +1 for the cursor item, which the inclusive key bounds return.
          Limit: want + 1,
          ExclusiveStartKey: this.#next,
        }),
      );
      for (const item of out.Items ?? []) {
        if (this.after === undefined || this.position(item) !== this.after) this.#buffer.push(item);
      }
      this.#next = out.LastEvaluatedKey;
      this.#done = !this.#next;
    }
    return this.#buffer[0];
  }

  shift(): void {
    this.#buffer.shift();
  }
}

/**
 * Lazily merges ordered streams, yielding items in the merged order. `want` tells how many
 * more items the reader expects, so each Query asks for about its share of them.
 */
export async function* mergeStreams(
  streams: QueryStream[],
  direction: "asc" | "desc",
  want: () => number,
): AsyncGenerator<Item> {
  const asc = direction === "asc";
  for (;;) {
    const share = Math.max(1, Math.ceil(want() / streams.length));
    const heads = await Promise.all(streams.map((s) => s.peek(share)));
    let best = -1;
    let bestPos = "";
    for (const [i, head] of heads.entries()) {
      if (!head) continue;
      const pos = (streams[i] as QueryStream).position(head);
      if (best < 0 || (asc ? pos < bestPos : pos > bestPos)) {
        best = i;
        bestPos = pos;
      }
    }
    if (best < 0) return;
    (streams[best] as QueryStream).shift();
    yield heads[best] as Item;
  }
}

/**
 * Merges ordered streams into one page of `limit` items, plus whether more exist. Positions
 * are unique across streams, so the merged order is total and stable across pages.
 */
export async function mergePage<T>(
  streams: QueryStream[],
  read: { direction: "asc" | "desc"; limit: number },
  convert: (item: Item) => T,
): Promise<{ items: T[]; hasMore: boolean }> {
  const items: T[] = [];
  // +1: one item beyond the page tells whether more exist.
  for await (const item of mergeStreams(streams, read.direction, () => read.limit - items.length + 1)) {
    if (items.length === read.limit) return { items, hasMore: true };
    items.push(convert(item));
  }
  return { items, hasMore: false };
}
