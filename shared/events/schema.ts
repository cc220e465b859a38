/**
 * The unified conversation event (EVENTS.md), defined once in zod. Types come from
 * `z.infer`; the OpenAPI document is generated from these schemas.
 *
 * Two views of one definition: {@link EventInputSchema} validates what clients send
 * (timestamps in any accepted format, log-owned fields forbidden) and
 * {@link StoredEventSchema} describes what the log returns.
 */
import * as z from "zod";
import { normalizeTimestamp } from "../time.ts";

export const ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
export const MAX_EVENT_BYTES = 64 * 1024;
export const MAX_METADATA_BYTES = 4 * 1024;

export const EVENT_TYPES = [
  "MessageReceived",
  "MessageSent",
  "MessageDelivered",
  "MessageRead",
  "MessageFailed",
  "PostbackReceived",
  "ConversationOpened",
  "ConversationClosed",
  "ConversationReopened",
  "ConversationAssigned",
  "ConversationTransferred",
  "ConversationTagged",
  "ConversationUntagged",
  "ConversationRated",
  "CustomerJoined",
  "CustomerLeft",
  "AgentJoined",
  "AgentLeft",
  "BotJoined",
  "BotLeft",
  "ControlPassed",
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const CHANNEL_TYPES = [
  "web",
  "ios",
  "android",
  "whatsapp",
  "messenger",
  "instagram",
  "telegram",
  "line",
  "viber",
  "sms",
  "email",
  "voice",
  "api",
  "other",
] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

export const AUTHOR_TYPES = ["customer", "agent", "bot", "system"] as const;
export type AuthorType = (typeof AUTHOR_TYPES)[number];

const bytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value), "utf8");

const str = (max: number) =>
  z.string().min(1, "must not be empty").max(max, `must be at most ${max} characters`);
export const IdSchema = z
  .string()
  .regex(ID_PATTERN, "must be 1-128 characters of A-Z a-z 0-9 . _ : -")
  .meta({ example: "evt_01HZX3" });

const oneOf = <T extends readonly [string, ...string[]]>(values: T, what: string) =>
  z.enum(values, { error: () => `${what} must be one of: ${values.join(", ")}` });

/** zod transform: a timestamp input to UTC ISO with milliseconds, or an issue saying why not. */
export function toUtcMillis(value: string | number, ctx: z.RefinementCtx): string {
  const result = normalizeTimestamp(value);
  if (!result.ok) {
    ctx.addIssue({ code: "custom", message: result.message });
    return z.NEVER;
  }
  return result.value;
}

/** A timestamp as clients may send it; normalizes to UTC ISO with milliseconds. */
export const TimestampInput = z
  .union([z.string(), z.number()])
  .transform(toUtcMillis)
  .meta({
    description:
      "ISO-8601 date-time with an offset or Z, or unix seconds (< 1e11) / milliseconds as a number or numeric string",
    examples: ["2025-05-23T10:15:30.123Z", 1748000130, "1748000130123"],
  });

/** A timestamp as the log returns it. */
export const TimestampOutput = z.string().meta({
  format: "date-time",
  description: "UTC ISO-8601 with milliseconds",
  example: "2025-05-23T10:15:30.123Z",
});

const scalarMap = (what: string) =>
  z
    .record(z.string().max(128), z.union([z.string().max(2048), z.number(), z.boolean()]))
    .superRefine((v, ctx) => {
      if (bytes(v) > MAX_METADATA_BYTES)
        ctx.addIssue({ code: "custom", message: `${what} must be at most 4 KB` });
    });

export const MetadataSchema = scalarMap("metadata").meta({
  description: "Free-form string → string/number/boolean map, at most 4 KB serialized",
});
const ChannelMetadataSchema = z
  .record(z.string().max(128), z.json())
  .superRefine((v, ctx) => {
    if (bytes(v) > MAX_METADATA_BYTES)
      ctx.addIssue({ code: "custom", message: "channel.metadata must be at most 4 KB" });
  })
  .meta({ description: "Channel specifics, e.g. WhatsApp phone numbers; at most 4 KB serialized" });

export const ChannelSchema = z
  .strictObject({
    type: oneOf(CHANNEL_TYPES, "channel.type"),
    integration_id: str(128).optional(),
    metadata: ChannelMetadataSchema.optional(),
  })
  .meta({ id: "Channel" });

export const AuthorSchema = z
  .strictObject({
    type: oneOf(AUTHOR_TYPES, "author.type"),
    id: str(256).optional(),
    display_name: str(256).optional(),
    external_ids: z.record(z.string().max(64), z.string().max(256)).optional(),
  })
  .meta({ id: "Author" });

export const SourceSchema = z
  .strictObject({
    system: z
      .string()
      .regex(/^[a-z0-9_.-]{1,32}$/, "must be 1-32 characters of a-z 0-9 _ . -")
      .meta({ example: "whatsapp" }),
    event_id: str(512).optional(),
    raw_type: str(128).optional(),
  })
  .meta({ id: "Source" });

export const CausedBySchema = z
  .strictObject({
    trigger_id: str(128).optional(),
    event_id: IdSchema,
    depth: z.number().int().min(1).max(3),
  })
  .meta({ id: "CausedBy" });

const url = z.string().min(1).max(2048).meta({ format: "uri" });

export const ActionSchema = z
  .strictObject({
    type: oneOf(["reply", "postback", "link", "webview", "location_request"] as const, "action.type"),
    text: str(1024),
    payload: z.string().max(4096).optional(),
    uri: url.optional(),
  })
  .meta({ id: "Action" });
const actions = z.array(ActionSchema).max(20).optional();

export const AttachmentSchema = z
  .strictObject({
    media_url: url,
    media_type: str(256),
    file_name: str(512).optional(),
    size: z.number().int().nonnegative().optional(),
    width: z.number().int().nonnegative().optional(),
    height: z.number().int().nonnegative().optional(),
  })
  .meta({ id: "Attachment" });

const mediaType = str(256).optional();
/** What every form field has, asked or answered. */
const formField = { type: str(64), name: str(256), label: str(1024) };

const itemSchema = z.strictObject({
  title: str(1024),
  description: z.string().max(4096).optional(),
  media_url: url.optional(),
  actions,
});

export const CONTENT_TYPES = [
  "text",
  "image",
  "file",
  "audio",
  "video",
  "location",
  "carousel",
  "list",
  "form",
  "form_response",
  "template",
  "reaction",
  "unsupported",
] as const;

export const ContentSchema = z
  .discriminatedUnion(
    "type",
    [
      z.strictObject({ type: z.literal("text"), text: str(32_768), actions }),
      z.strictObject({
        type: z.literal("image"),
        media_url: url,
        media_type: mediaType,
        alt_text: z.string().max(1024).optional(),
        text: z.string().max(4096).optional(),
        actions,
      }),
      z.strictObject({
        type: z.literal("file"),
        media_url: url,
        media_type: mediaType,
        file_name: str(512).optional(),
        size: z.number().int().nonnegative().optional(),
        text: z.string().max(4096).optional(),
      }),
      z.strictObject({
        type: z.literal("audio"),
        media_url: url,
        media_type: mediaType,
        duration_ms: z.number().int().nonnegative().optional(),
      }),
      z.strictObject({
        type: z.literal("video"),
        media_url: url,
        media_type: mediaType,
        duration_ms: z.number().int().nonnegative().optional(),
      }),
      z.strictObject({
        type: z.literal("location"),
        latitude: z.number().min(-90).max(90),
        longitude: z.number().min(-180).max(180),
        name: z.string().max(1024).optional(),
        address: z.string().max(2048).optional(),
      }),
      z.strictObject({ type: z.literal("carousel"), items: z.array(itemSchema).min(1).max(10) }),
      z.strictObject({ type: z.literal("list"), items: z.array(itemSchema).min(1).max(10), actions }),
      z.strictObject({
        type: z.literal("form"),
        fields: z
          .array(
            z.strictObject({
              ...formField,
              options: z
                .array(z.strictObject({ name: str(256), label: str(1024) }))
                .max(100)
                .optional(),
            }),
          )
          .min(1)
          .max(50),
      }),
      z.strictObject({
        type: z.literal("form_response"),
        fields: z
          .array(
            z.strictObject({
              ...formField,
              value: z.union([z.string().max(4096), z.number(), z.boolean(), z.array(z.string().max(1024))]),
            }),
          )
          .min(1)
          .max(50),
      }),
      z.strictObject({
        type: z.literal("template"),
        name: str(512),
        language: str(32),
        components: z.array(z.json()).max(50).optional(),
      }),
      z.strictObject({ type: z.literal("reaction"), emoji: str(64).optional(), message_id: str(512) }),
      z.strictObject({ type: z.literal("unsupported"), raw_type: str(128) }),
    ],
    { error: () => `content.type must be one of: ${CONTENT_TYPES.join(", ")}` },
  )
  .meta({ id: "MessageContent" });

export const MessageSchema = z
  .strictObject({
    content: ContentSchema,
    attachments: z.array(AttachmentSchema).max(20).optional(),
    reply_to: str(512).optional(),
  })
  .meta({ id: "Message" });

const ref = <T extends readonly [string, ...string[]]>(types: T, what: string) =>
  z.strictObject({ type: oneOf(types, `${what}.type`), id: str(256) });
const participant = z.strictObject({
  participant: z.strictObject({
    type: oneOf(AUTHOR_TYPES, "participant.type"),
    id: str(256),
    display_name: str(256).optional(),
  }),
});
const tags = z.strictObject({ tags: z.array(str(128)).min(1).max(50) });
const CONTROL = ["agent", "bot", "group", "integration"] as const;

/** Type-specific payload: `message` for message events, `data` for all others. */
const TYPE_FIELDS = {
  MessageReceived: { message: MessageSchema },
  MessageSent: { message: MessageSchema },
  MessageDelivered: { data: z.strictObject({ message_id: str(512) }) },
  MessageRead: { data: z.strictObject({ message_id: str(512).optional() }) },
  MessageFailed: {
    data: z.strictObject({
      message_id: str(512),
      error: z.strictObject({ code: z.union([str(128), z.number()]).optional(), reason: str(4096) }),
    }),
  },
  PostbackReceived: {
    data: z.strictObject({
      payload: z.string().max(4096),
      text: z.string().max(4096).optional(),
      message_id: str(512).optional(),
    }),
  },
  ConversationOpened: {
    data: z.strictObject({
      subject: z.string().max(1024).optional(),
      priority: oneOf(["low", "normal", "high", "urgent"] as const, "priority").optional(),
    }),
  },
  ConversationClosed: { data: z.strictObject({ reason: z.string().max(1024).optional() }) },
  ConversationReopened: { data: z.strictObject({}) },
  ConversationAssigned: {
    data: z.strictObject({
      assignee: ref(["agent", "group", "bot"] as const, "assignee"),
      group_id: str(256).optional(),
    }),
  },
  ConversationTransferred: {
    data: z.strictObject({
      from: ref(["agent", "group", "channel"] as const, "from"),
      to: ref(["agent", "group", "channel"] as const, "to"),
    }),
  },
  ConversationTagged: { data: tags },
  ConversationUntagged: { data: tags },
  ConversationRated: {
    data: z.strictObject({ score: z.number().int().min(1).max(5), comment: z.string().max(4096).optional() }),
  },
  CustomerJoined: { data: participant },
  CustomerLeft: { data: participant },
  AgentJoined: { data: participant },
  AgentLeft: { data: participant },
  BotJoined: { data: participant },
  BotLeft: { data: participant },
  ControlPassed: {
    data: z.strictObject({
      from: ref(CONTROL, "from").optional(),
      to: ref(CONTROL, "to"),
      reason: z.string().max(1024).optional(),
    }),
  },
} satisfies Record<EventType, Record<string, z.ZodType>>;

const clientEnvelope = {
  id: IdSchema.optional(),
  conversation_id: IdSchema,
  occurred_at: TimestampInput,
  channel: ChannelSchema,
  author: AuthorSchema,
  recipients: z.array(AuthorSchema).max(50).optional(),
  source: SourceSchema.optional(),
  metadata: MetadataSchema.optional(),
};

const storedEnvelope = {
  id: IdSchema,
  conversation_id: IdSchema,
  occurred_at: TimestampOutput,
  received_at: TimestampOutput,
  sequence: z.string().meta({ description: "Monotonic, lexicographically sortable ingest position (ULID)" }),
  channel: ChannelSchema,
  author: AuthorSchema,
  recipients: z.array(AuthorSchema).optional(),
  source: SourceSchema.optional(),
  metadata: MetadataSchema.optional(),
  caused_by: CausedBySchema.optional(),
};

function variants<E extends z.ZodRawShape>(envelope: E) {
  return EVENT_TYPES.map((type) =>
    z.strictObject({ ...envelope, type: z.literal(type), ...TYPE_FIELDS[type] }),
  );
}

const typeError = () => `type must be one of: ${EVENT_TYPES.join(", ")}`;

/**
 * What a client posts. `id` is optional (derived or generated by the log);
 * `received_at`, `sequence` and `caused_by` are owned by the log and rejected.
 */
export const EventInputSchema = z
  .discriminatedUnion("type", variants(clientEnvelope) as unknown as [z.ZodObject, ...z.ZodObject[]], {
    error: typeError,
  })
  .meta({ id: "EventInput" });

/** An event as stored and returned by the log. */
export const StoredEventSchema = z
  .discriminatedUnion("type", variants(storedEnvelope) as unknown as [z.ZodObject, ...z.ZodObject[]], {
    error: typeError,
  })
  .meta({ id: "Event" });

type Variant<T extends EventType, E> = E & { type: T } & {
  [K in keyof (typeof TYPE_FIELDS)[T]]: (typeof TYPE_FIELDS)[T][K] extends z.ZodType
    ? z.output<(typeof TYPE_FIELDS)[T][K]>
    : never;
};
type Envelope<S extends z.ZodRawShape> = z.output<z.ZodObject<S>>;

/** A validated, normalized client event (timestamps already UTC ms). */
export type EventInput = { [T in EventType]: Variant<T, Envelope<typeof clientEnvelope>> }[EventType];
/** An event as stored by the log. */
export type StoredEvent = { [T in EventType]: Variant<T, Envelope<typeof storedEnvelope>> }[EventType];
export type MessageContent = z.output<typeof ContentSchema>;

/** Fields the log owns: a client sending them gets a 400 naming the field. */
export const LOG_OWNED_FIELDS = ["received_at", "sequence", "caused_by"] as const;
