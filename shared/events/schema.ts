/**
 * The unified conversation event, defined once in zod. Types come from `z.infer`; the
 * OpenAPI document and docs/events.md (`npm run docs:events`) are generated from these schemas.
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
    type: oneOf(CHANNEL_TYPES, "channel.type").meta({ description: "The channel the event happened on" }),
    integration_id: str(128)
      .meta({ description: "The provider's own id of the integration, e.g. a WhatsApp phone_number_id" })
      .optional(),
    metadata: ChannelMetadataSchema.optional(),
  })
  .meta({ id: "Channel", description: "Where the event happened" });

export const AuthorSchema = z
  .strictObject({
    type: oneOf(AUTHOR_TYPES, "author.type"),
    id: str(256)
      .meta({ description: "The person's or bot's id, e.g. the customer's id in your systems" })
      .optional(),
    display_name: str(256).meta({ description: "The name people see" }).optional(),
    external_ids: z
      .record(z.string().max(64), z.string().max(256))
      .meta({ description: 'Maps a system to the person\'s id there, e.g. { "whatsapp": "16505551234" }' })
      .optional(),
  })
  .meta({ id: "Author", description: "Who acted (or, in recipients, to whom)" });

export const SourceSchema = z
  .strictObject({
    system: z
      .string()
      .regex(/^[a-z0-9_.-]{1,32}$/, "must be 1-32 characters of a-z 0-9 _ . -")
      .meta({
        example: "whatsapp",
        description: "The source system, e.g. whatsapp, sunco, twilio, web_widget, api",
      }),
    event_id: str(512)
      .meta({ description: "The event's id in the source system; derives the event id when id is absent" })
      .optional(),
    raw_type: str(128).meta({ description: "The source system's own name for the event type" }).optional(),
  })
  .meta({ id: "Source", description: "Where the event came from (whatsapp, sunco, web_widget, api, …)" });

export const CausedBySchema = z
  .strictObject({
    trigger_id: str(128).meta({ description: "The trigger whose action created the event" }).optional(),
    event_id: IdSchema.meta({ description: "The event that set the trigger off" }),
    depth: z.number().int().min(1).max(3).meta({
      description:
        "1 when the cause was not itself caused, the cause's depth + 1 otherwise; events of depth 3 fire no triggers",
    }),
    root_event_id: IdSchema.optional().meta({
      description:
        "The event from outside the log (depth 0) that this causation tree grew from: every action it causes, at any depth, counts against its budget",
    }),
  })
  .meta({ id: "CausedBy", description: "Set by the log on events that automations created" });

const url = z.string().min(1).max(2048).meta({ format: "uri" });
const mediaUrl = url.meta({ description: "Where the media can be fetched" });
const bytesCount = z.number().int().nonnegative().meta({ description: "Bytes" });
/** An id of another message: as its source system knows it, or the event id for messages posted through the API. */
const messageRef = (description: string) => str(512).meta({ description });
const MESSAGE_REF =
  "The referenced message's id as its source system knows it (e.g. WhatsApp's wamid…), or its event id for messages posted through the API";

export const ActionSchema = z
  .strictObject({
    type: oneOf(["reply", "postback", "link", "webview", "location_request"] as const, "action.type"),
    text: str(1024).meta({ description: "The label shown" }),
    payload: z
      .string()
      .max(4096)
      .meta({ description: "Comes back as PostbackReceived.data.payload when pressed" })
      .optional(),
    uri: url.meta({ description: "For link and webview actions" }).optional(),
  })
  .meta({ id: "Action", description: "A button or quick reply" });
const actions = z.array(ActionSchema).max(20).optional();

export const AttachmentSchema = z
  .strictObject({
    media_url: mediaUrl,
    media_type: str(256).meta({ description: "MIME type, e.g. application/pdf" }),
    file_name: str(512).optional(),
    size: bytesCount.optional(),
    width: z.number().int().nonnegative().meta({ description: "Pixels" }).optional(),
    height: z.number().int().nonnegative().meta({ description: "Pixels" }).optional(),
  })
  .meta({ id: "Attachment", description: "A file sent along with the message content" });

const mediaType = str(256).meta({ description: "MIME type, e.g. image/jpeg" }).optional();
/** What every form field has, asked or answered. */
const formField = {
  type: str(64).meta({ description: "The kind of field, e.g. text, number, select" }),
  name: str(256).meta({ description: "The field's key" }),
  label: str(1024).meta({ description: "What the customer sees" }),
};

const itemSchema = z
  .strictObject({
    title: str(1024),
    description: z.string().max(4096).optional(),
    media_url: url.optional(),
    actions,
  })
  .meta({ description: "A card of a carousel or an entry of a list" });
const caption = z.string().max(4096).meta({ description: "Caption" });
const durationMs = z.number().int().nonnegative().meta({ description: "Milliseconds" });

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
      z
        .strictObject({
          type: z.literal("text"),
          text: str(32_768).meta({ description: "The message text" }),
          actions,
        })
        .meta({ description: "Text, optionally with buttons or quick replies" }),
      z
        .strictObject({
          type: z.literal("image"),
          media_url: mediaUrl,
          media_type: mediaType,
          alt_text: z
            .string()
            .max(1024)
            .meta({ description: "Describes the image for people who cannot see it" })
            .optional(),
          text: caption.optional(),
          actions,
        })
        .meta({ description: "An image (stickers too)" }),
      z
        .strictObject({
          type: z.literal("file"),
          media_url: mediaUrl,
          media_type: mediaType,
          file_name: str(512).optional(),
          size: bytesCount.optional(),
          text: caption.optional(),
        })
        .meta({ description: "A document" }),
      z
        .strictObject({
          type: z.literal("audio"),
          media_url: mediaUrl,
          media_type: mediaType,
          duration_ms: durationMs.optional(),
        })
        .meta({ description: "A voice note or audio file" }),
      z
        .strictObject({
          type: z.literal("video"),
          media_url: mediaUrl,
          media_type: mediaType,
          duration_ms: durationMs.optional(),
        })
        .meta({ description: "A video" }),
      z
        .strictObject({
          type: z.literal("location"),
          latitude: z.number().min(-90).max(90).meta({ description: "Degrees" }),
          longitude: z.number().min(-180).max(180).meta({ description: "Degrees" }),
          name: z.string().max(1024).optional(),
          address: z.string().max(2048).optional(),
        })
        .meta({ description: "A shared location" }),
      z
        .strictObject({ type: z.literal("carousel"), items: z.array(itemSchema).min(1).max(10) })
        .meta({ description: "Cards side by side, each with its own actions" }),
      z
        .strictObject({ type: z.literal("list"), items: z.array(itemSchema).min(1).max(10), actions })
        .meta({ description: "Entries one under the other, plus actions for the whole list" }),
      z
        .strictObject({
          type: z.literal("form"),
          fields: z
            .array(
              z.strictObject({
                ...formField,
                options: z
                  .array(z.strictObject({ name: str(256), label: str(1024) }))
                  .max(100)
                  .meta({ description: "The choices of a select field" })
                  .optional(),
              }),
            )
            .min(1)
            .max(50),
        })
        .meta({ description: "A form the customer is asked to fill in" }),
      z
        .strictObject({
          type: z.literal("form_response"),
          fields: z
            .array(
              z.strictObject({
                ...formField,
                value: z
                  .union([z.string().max(4096), z.number(), z.boolean(), z.array(z.string().max(1024))])
                  .meta({ description: "The answer" }),
              }),
            )
            .min(1)
            .max(50),
        })
        .meta({ description: "The customer's answers to a form" }),
      z
        .strictObject({
          type: z.literal("template"),
          name: str(512).meta({ description: "The template's name at the provider" }),
          language: str(32).meta({ description: "The template's language, e.g. en_US" }),
          components: z
            .array(z.json())
            .max(50)
            .meta({ description: "The provider's template components, as free JSON" })
            .optional(),
        })
        .meta({ description: "A pre-approved template message (e.g. WhatsApp templates)" }),
      z
        .strictObject({
          type: z.literal("reaction"),
          emoji: str(64).meta({ description: "Absent when the reaction was removed" }).optional(),
          message_id: messageRef(MESSAGE_REF),
        })
        .meta({ description: "An emoji reaction to a message" }),
      z
        .strictObject({
          type: z.literal("unsupported"),
          raw_type: str(128).meta({ description: "The provider's content type" }),
        })
        .meta({
          description:
            "A channel message the log cannot represent yet: kept, never dropped; details go to metadata",
        }),
    ],
    { error: () => `content.type must be one of: ${CONTENT_TYPES.join(", ")}` },
  )
  .meta({ id: "MessageContent", description: "What the message says or shows, selected by type" });

export const MessageSchema = z
  .strictObject({
    content: ContentSchema,
    attachments: z
      .array(AttachmentSchema)
      .max(20)
      .meta({ description: "Files sent with the content" })
      .optional(),
    reply_to: messageRef(`The message this one replies to. ${MESSAGE_REF}`).optional(),
  })
  .meta({ id: "Message", description: "The payload of MessageReceived and MessageSent" });

const ref = <T extends readonly [string, ...string[]]>(types: T, what: string) =>
  z.strictObject({ type: oneOf(types, `${what}.type`), id: str(256) });
const participant = z.strictObject({
  participant: z
    .strictObject({
      type: oneOf(AUTHOR_TYPES, "participant.type"),
      id: str(256),
      display_name: str(256).optional(),
    })
    .meta({ description: "Who joined or left" }),
});
const tags = (description: string) =>
  z.strictObject({ tags: z.array(str(128)).min(1).max(50).meta({ description }) });
const CONTROL = ["agent", "bot", "group", "integration"] as const;

/** What each event type means; shown in the OpenAPI document and docs/events.md. */
const EVENT_DESCRIPTIONS: Record<EventType, string> = {
  MessageReceived: "An inbound message from the customer",
  MessageSent: "An outbound message from an agent, a bot or the system",
  MessageDelivered: "The channel delivered a message",
  MessageRead: "The recipient read a message",
  MessageFailed: "Delivering a message failed",
  PostbackReceived: "The customer pressed a button or a quick reply",
  ConversationOpened: "A conversation started",
  ConversationClosed: "The conversation was closed or resolved",
  ConversationReopened: "The conversation was reopened after it was closed",
  ConversationAssigned: "The conversation was routed to an agent, a group or a bot",
  ConversationTransferred: "The conversation moved between agents, groups or channels",
  ConversationTagged: "Tags were added",
  ConversationUntagged: "Tags were removed",
  ConversationRated: "The customer rated their satisfaction",
  CustomerJoined: "A customer joined the conversation",
  CustomerLeft: "A customer left the conversation",
  AgentJoined: "An agent joined the conversation",
  AgentLeft: "An agent left the conversation",
  BotJoined: "A bot joined the conversation",
  BotLeft: "A bot left the conversation",
  ControlPassed: "Control passed between a bot, an agent, a group or an integration (switchboard hand-off)",
};

/** Type-specific payload: `message` for message events, `data` for all others. */
const TYPE_FIELDS = {
  MessageReceived: { message: MessageSchema },
  MessageSent: { message: MessageSchema },
  MessageDelivered: { data: z.strictObject({ message_id: messageRef(MESSAGE_REF) }) },
  MessageRead: {
    data: z.strictObject({
      message_id: messageRef(
        `Absent when the source reports the whole conversation as read. ${MESSAGE_REF}`,
      ).optional(),
    }),
  },
  MessageFailed: {
    data: z.strictObject({
      message_id: messageRef(MESSAGE_REF),
      error: z
        .strictObject({
          code: z
            .union([str(128), z.number()])
            .meta({ description: "The provider's error code, e.g. WhatsApp's 131047" })
            .optional(),
          reason: str(4096).meta({ description: "Why delivery failed, in the provider's words" }),
        })
        .meta({ description: "What went wrong" }),
    }),
  },
  PostbackReceived: {
    data: z.strictObject({
      payload: z.string().max(4096).meta({ description: "The pressed action's payload" }),
      text: z.string().max(4096).meta({ description: "The pressed action's label" }).optional(),
      message_id: messageRef(`The message that carried the action. ${MESSAGE_REF}`).optional(),
    }),
  },
  ConversationOpened: {
    data: z.strictObject({
      subject: z.string().max(1024).meta({ description: "What the conversation is about" }).optional(),
      priority: oneOf(["low", "normal", "high", "urgent"] as const, "priority").optional(),
    }),
  },
  ConversationClosed: {
    data: z.strictObject({
      reason: z.string().max(1024).meta({ description: "Why it was closed, e.g. solved" }).optional(),
    }),
  },
  ConversationReopened: { data: z.strictObject({}) },
  ConversationAssigned: {
    data: z.strictObject({
      assignee: ref(["agent", "group", "bot"] as const, "assignee").meta({
        description: "Who the conversation is assigned to now",
      }),
      group_id: str(256).meta({ description: "The group the assignee works in" }).optional(),
    }),
  },
  ConversationTransferred: {
    data: z.strictObject({
      from: ref(["agent", "group", "channel"] as const, "from").meta({ description: "Where it was" }),
      to: ref(["agent", "group", "channel"] as const, "to").meta({ description: "Where it is now" }),
    }),
  },
  ConversationTagged: { data: tags("The tags added") },
  ConversationUntagged: { data: tags("The tags removed") },
  ConversationRated: {
    data: z.strictObject({
      score: z.number().int().min(1).max(5).meta({ description: "1 (worst) to 5 (best)" }),
      comment: z.string().max(4096).meta({ description: "The customer's own words" }).optional(),
    }),
  },
  CustomerJoined: { data: participant },
  CustomerLeft: { data: participant },
  AgentJoined: { data: participant },
  AgentLeft: { data: participant },
  BotJoined: { data: participant },
  BotLeft: { data: participant },
  ControlPassed: {
    data: z.strictObject({
      from: ref(CONTROL, "from").meta({ description: "Absent when the source does not say" }).optional(),
      to: ref(CONTROL, "to").meta({ description: "Who has control now" }),
      reason: z.string().max(1024).meta({ description: "Why control passed" }).optional(),
    }),
  },
} satisfies Record<EventType, Record<string, z.ZodType>>;

const ConversationIdSchema = IdSchema.meta({
  description: "The conversation whose timeline the event is on",
});
const recipientsDescription = "Who the event was addressed to, each shaped like author";

const clientEnvelope = {
  id: IdSchema.meta({
    description:
      "Unique per tenant: the idempotency key. When absent, derived from source.system and source.event_id, else a ULID made by the log",
  }).optional(),
  conversation_id: ConversationIdSchema,
  occurred_at: TimestampInput,
  channel: ChannelSchema,
  author: AuthorSchema,
  recipients: z.array(AuthorSchema).max(50).meta({ description: recipientsDescription }).optional(),
  source: SourceSchema.optional(),
  metadata: MetadataSchema.optional(),
};

const storedEnvelope = {
  id: IdSchema.meta({ description: "Unique per tenant: the idempotency key" }),
  conversation_id: ConversationIdSchema,
  occurred_at: TimestampOutput.meta({
    description: "When it happened at the source: UTC ISO-8601 with milliseconds",
  }),
  received_at: TimestampOutput.meta({
    description: "When the log first stored the event: UTC ISO-8601 with milliseconds. Set by the log",
  }),
  sequence: z.string().meta({
    description:
      "Monotonic, lexicographically sortable ingest position (ULID) that orders the change feed. Set by the log",
  }),
  channel: ChannelSchema,
  author: AuthorSchema,
  recipients: z.array(AuthorSchema).meta({ description: recipientsDescription }).optional(),
  source: SourceSchema.optional(),
  metadata: MetadataSchema.optional(),
  caused_by: CausedBySchema.optional(),
};

function variants<E extends z.ZodRawShape>(envelope: E) {
  return EVENT_TYPES.map((type) =>
    z
      .strictObject({ ...envelope, type: z.literal(type), ...TYPE_FIELDS[type] })
      .meta({ description: EVENT_DESCRIPTIONS[type] }),
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
