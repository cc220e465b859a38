/**
 * Channel adapters, pure: every fixture file (byte-identical copies of ../shared/fixtures)
 * maps to the right unified events, which pass the event schema; signature verification
 * rejects any single-byte change; timestamp edge cases.
 */
import { createHmac } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Mapping } from "#shared/channels/mapped.ts";
import { matchesSha256, sha256Hex, verifyHubSignature } from "#shared/channels/signature.ts";
import { mapSunco } from "#shared/channels/sunco.ts";
import { mapWhatsApp, statusSourceId, whatsappConversationId } from "#shared/channels/whatsapp.ts";
import type { EventInput } from "#shared/events/schema.ts";
import { validateEventInput } from "#shared/events/validate.ts";
import { deriveEventId } from "#shared/usecases/ingest.ts";

const FIXTURES = join(import.meta.dirname, "..", "fixtures");
const raw = (provider: string, file: string) => readFileSync(join(FIXTURES, provider, file));
const files = (provider: string) => readdirSync(join(FIXTURES, provider)).filter((f) => f.endsWith(".json"));

/** Maps a fixture and validates every event as the ingest path would. */
function mapped(provider: "whatsapp" | "sunco", file: string): { mapping: Mapping; events: EventInput[] } {
  const body = JSON.parse(raw(provider, file).toString("utf8")) as unknown;
  const mapping = provider === "whatsapp" ? mapWhatsApp(body) : mapSunco(body);
  const events = mapping.events.map((m) => {
    const v = validateEventInput(m.event, m.path);
    if (!v.ok) throw new Error(`${file}: ${JSON.stringify(v.errors)}`);
    return v.value;
  });
  return { mapping, events };
}

function one(provider: "whatsapp" | "sunco", file: string): EventInput {
  const { mapping, events } = mapped(provider, file);
  expect(mapping.rejected).toEqual([]);
  expect(events).toHaveLength(1);
  return events[0] as EventInput;
}

const PNID = "106540352242922";
const WA = "16505551234";
const CONV = whatsappConversationId(PNID, WA);
const WAMID_A = "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=";
const WAMID_B = "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=";
const CONTEXT_ID = "wamid.HBgLMTQxMjU1NTA4MjkVAgASGBQzQUNCNjk5RDUwNUZGMUZEM0VBRAA=";

/** Expected WhatsApp message events: type, content or data, occurred_at, provider id. */
const WHATSAPP_MESSAGES: Record<
  string,
  { type: string; body: Record<string, unknown>; at: string; wamid: string }
> = {
  "text.json": {
    type: "MessageReceived",
    body: { message: { content: { type: "text", text: "Does it come in another color?" } } },
    at: "2025-06-08T20:59:43.000Z",
    wamid: WAMID_A,
  },
  "text_reply_with_context.json": {
    type: "MessageReceived",
    body: {
      message: { content: { type: "text", text: "Does it come in another color?" }, reply_to: CONTEXT_ID },
    },
    at: "2025-06-08T20:59:43.000Z",
    wamid: WAMID_A,
  },
  "image_with_caption.json": {
    type: "MessageReceived",
    body: {
      message: {
        content: {
          type: "image",
          media_url: "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=133...",
          media_type: "image/jpeg",
          text: "Taj Mahal",
        },
      },
      metadata: {
        media_id: "1003383421387256",
        media_sha256: "SfInY0gGKTsJlUWbwxC1k+FAD0FZHvzwfpvO0zX0GUI=",
      },
    },
    at: "2025-04-11T04:08:16.000Z",
    wamid: WAMID_A,
  },
  "document.json": {
    type: "MessageReceived",
    body: {
      message: {
        content: {
          type: "file",
          media_url: "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=133...",
          media_type: "application/pdf",
          file_name: "receipt.pdf",
          text: "my receipt",
        },
      },
    },
    at: "2025-04-11T04:08:16.000Z",
    wamid: WAMID_A,
  },
  "audio_voice.json": {
    type: "MessageReceived",
    body: {
      message: {
        content: {
          type: "audio",
          media_url: "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=133...",
          media_type: "audio/ogg; codecs=opus",
        },
      },
      metadata: expect.objectContaining({ voice: true, media_id: "1908647269898587" }),
    },
    at: "2025-04-11T04:08:16.000Z",
    wamid: WAMID_A,
  },
  "location.json": {
    type: "MessageReceived",
    body: {
      message: {
        content: {
          type: "location",
          latitude: 37.44221496582,
          longitude: -122.16165924072,
          name: "Philz Coffee",
          address: "101 Forest Ave, Palo Alto, CA 94301",
        },
      },
      metadata: { location_url: "https://philzcoffee.com/" },
    },
    at: "2025-04-11T04:08:16.000Z",
    wamid: WAMID_B,
  },
  "contacts.json": {
    type: "MessageReceived",
    body: {
      message: { content: { type: "unsupported", raw_type: "contacts" } },
      metadata: { contacts: "Barbara J. Johnson: +1 (415) 555-0829" },
    },
    at: "2025-04-11T04:08:16.000Z",
    wamid: WAMID_A,
  },
  "interactive_button_reply.json": {
    type: "PostbackReceived",
    body: {
      data: {
        payload: "cancel-button",
        text: "Cancel",
        message_id: "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3MEM2RUJFNkI0RENGQTVDRjUA",
      },
    },
    at: "2025-06-15T22:05:36.000Z",
    wamid: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTZBQzg0MzQ4QjRCM0NGNkVGOAA=",
  },
  "interactive_list_reply.json": {
    type: "PostbackReceived",
    body: {
      data: { payload: "priority_express", text: "Priority Mail Express", message_id: CONTEXT_ID },
      metadata: { interactive_type: "list_reply", description: "Next Day to 2 Days" },
    },
    at: "2025-06-13T22:42:55.000Z",
    wamid: WAMID_B,
  },
  "template_quick_reply_button.json": {
    type: "PostbackReceived",
    body: { data: { payload: "Unsubscribe", text: "Unsubscribe", message_id: CONTEXT_ID } },
    at: "2025-06-16T16:24:05.000Z",
    wamid: WAMID_B,
  },
  "reaction.json": {
    type: "MessageReceived",
    body: { message: { content: { type: "reaction", emoji: "👍", message_id: CONTEXT_ID } } },
    at: "2025-06-08T21:52:24.000Z",
    wamid: WAMID_B,
  },
  "unsupported.json": {
    type: "MessageReceived",
    body: {
      message: { content: { type: "unsupported", raw_type: "unsupported" } },
      metadata: { unsupported_type: "edit", error_code: 131051, error_title: "Message type unknown" },
    },
    at: "2025-06-16T16:18:22.000Z",
    wamid: WAMID_B,
  },
};

const WHATSAPP_STATUSES: Record<
  string,
  { type: string; data: Record<string, unknown>; at: string; status: string }
> = {
  "status_delivered.json": {
    type: "MessageDelivered",
    data: { message_id: "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3MTE5MjVBOTE3MDk5QUVFM0YA" },
    at: "2025-06-18T16:22:53.000Z",
    status: "delivered",
  },
  "status_read.json": {
    type: "MessageRead",
    data: { message_id: WAMID_B },
    at: "2025-06-15T23:27:53.000Z",
    status: "read",
  },
  "status_failed.json": {
    type: "MessageFailed",
    data: {
      message_id: "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI0QUQ2MjA4NEYyRkExNjMyREUA",
      error: {
        code: 131049,
        reason: "In order to maintain a healthy ecosystem engagement, the message failed to be delivered.",
      },
    },
    at: "2025-06-28T20:34:48.000Z",
    status: "failed",
  },
};

describe("WhatsApp mapping, fixture by fixture", () => {
  it("covers every WhatsApp fixture file", () => {
    expect(files("whatsapp").sort()).toEqual(
      [...Object.keys(WHATSAPP_MESSAGES), ...Object.keys(WHATSAPP_STATUSES), "status_sent.json"].sort(),
    );
  });

  for (const [file, want] of Object.entries(WHATSAPP_MESSAGES)) {
    it(`${file} → ${want.type}`, () => {
      const event = one("whatsapp", file);
      expect(event).toMatchObject({
        id: deriveEventId("whatsapp", want.wamid),
        type: want.type,
        conversation_id: CONV,
        occurred_at: want.at,
        channel: {
          type: "whatsapp",
          integration_id: PNID,
          metadata: {
            business_phone_number: "15550783881",
            phone_number_id: PNID,
            customer_phone_number: WA,
            wa_id: WA,
          },
        },
        author: { type: "customer", id: WA, display_name: "Sheena Nelson", external_ids: { whatsapp: WA } },
        source: { system: "whatsapp", event_id: want.wamid },
      });
      for (const [k, v] of Object.entries(want.body))
        expect((event as Record<string, unknown>)[k]).toEqual(v);
    });
  }

  for (const [file, want] of Object.entries(WHATSAPP_STATUSES)) {
    it(`${file} → ${want.type}`, () => {
      const event = one("whatsapp", file);
      expect(event).toMatchObject({
        id: deriveEventId("whatsapp", statusSourceId(want.data.message_id as string, want.status)),
        type: want.type,
        conversation_id: CONV,
        occurred_at: want.at,
        data: want.data,
        source: { system: "whatsapp", raw_type: `status:${want.status}` },
      });
    });
  }

  it("status_sent.json is ignored (documented), not rejected", () => {
    const { mapping } = mapped("whatsapp", "status_sent.json");
    expect(mapping.events).toEqual([]);
    expect(mapping.rejected).toEqual([]);
    expect(mapping.ignored).toHaveLength(1);
  });

  it("a status and the message it reports on get different ids", () => {
    expect(one("whatsapp", "status_read.json").id).not.toBe(one("whatsapp", "location.json").id);
  });

  it("media without url refers to the media id; unknown interactive types are unsupported", () => {
    const body = JSON.parse(raw("whatsapp", "image_with_caption.json").toString()) as {
      entry: { changes: { value: { messages: Record<string, unknown>[] } }[] }[];
    };
    const msgs = body.entry[0]?.changes[0]?.value.messages as Record<string, unknown>[];
    const image = msgs[0] as Record<string, Record<string, unknown>>;
    delete image.image?.url;
    msgs.push({
      from: WA,
      id: "wamid.other",
      timestamp: "1750000000",
      type: "interactive",
      interactive: { type: "nfm_reply" },
    });
    const { events, mapping } = (() => {
      const mapping = mapWhatsApp(body);
      return { mapping, events: mapping.events.map((m) => m.event) };
    })();
    expect(mapping.rejected).toEqual([]);
    expect((events[0]!.message as { content: unknown }).content).toMatchObject({
      media_url: "whatsapp-media:1003383421387256",
    });
    expect((events[1]!.message as { content: unknown }).content).toEqual({
      type: "unsupported",
      raw_type: "interactive:nfm_reply",
    });
  });
});

const SUNCO_CONV = "f52b01137aa6c250bc7251fa";
const SUNCO_EVENT = "5f74a0d52b5315fc007e798a";

const SUNCO: Record<string, { type: string; at: string; fields: Record<string, unknown> }> = {
  "conversation_create.json": {
    type: "ConversationOpened",
    at: "2020-09-30T15:14:29.834Z",
    fields: {
      data: {},
      channel: { type: "web", integration_id: "5ecff63ffc3ab25f4561c8a0" },
      author: { type: "customer", id: "26508c10541a4b0ff472e5e2" },
      metadata: { creation_reason: "prechatCapture" },
    },
  },
  "conversation_join.json": {
    type: "CustomerJoined",
    at: "2020-09-30T15:14:29.834Z",
    fields: { data: { participant: { type: "customer", id: "26508c10541a4b0ff472e5e2" } } },
  },
  "conversation_leave.json": {
    type: "CustomerLeft",
    at: "2020-09-30T15:14:29.834Z",
    fields: { data: { participant: { type: "customer", id: "26508c10541a4b0ff472e5e2" } } },
  },
  "conversation_message_text_business_agent.json": {
    type: "MessageSent",
    at: "2020-09-30T13:46:02.733Z",
    fields: { author: { type: "agent" }, message: { content: { type: "text", text: "Hello!" } } },
  },
  "conversation_message_text_business_ai.json": {
    type: "MessageSent",
    at: "2020-09-30T13:46:02.733Z",
    fields: { author: { type: "bot" }, message: { content: { type: "text", text: "Hello!" } } },
  },
  "conversation_message_text_buttons_business.json": {
    type: "MessageSent",
    at: "2020-09-30T13:46:02.733Z",
    fields: {
      channel: { type: "api", metadata: { source_type: "api:conversations" } },
      message: {
        content: {
          type: "text",
          text: "Hello!",
          actions: [
            { type: "postback", text: "Select", payload: "TACOS" },
            { type: "link", text: "More info", uri: "https://example.org" },
          ],
        },
      },
    },
  },
  "conversation_message_text_quick_replies_business.json": {
    type: "MessageSent",
    at: "2020-09-30T13:46:02.733Z",
    fields: {
      message: {
        content: {
          type: "text",
          text: "Hello!",
          actions: [
            { type: "reply", text: "Tacos", payload: "TACOS" },
            { type: "reply", text: "Ramen", payload: "RAMEN" },
          ],
        },
      },
    },
  },
  "conversation_message_reply_button_response_user.json": {
    type: "MessageReceived",
    // source.originalMessageTimestamp wins over message.received.
    at: "2020-09-30T18:00:56.000Z",
    fields: {
      channel: {
        type: "telegram",
        integration_id: "5ec69c6e12dda33be985cb1a",
        metadata: { source_type: "telegram", original_message_id: "374" },
      },
      author: {
        type: "customer",
        id: "26508c10541a4b0ff472e5e2",
        display_name: "Steve Rogers",
        external_ids: { sunco: "26508c10541a4b0ff472e5e2", sunco_external_id: "912382197" },
      },
      message: { content: { type: "text", text: "Tacos" } },
      metadata: { payload: "TACOS", sunco_message_id: "5f74c7d84a146f3abd72af1d" },
    },
  },
  "conversation_message_text_user_web.json": {
    type: "MessageReceived",
    at: "2020-02-25T18:06:37.547Z",
    fields: {
      conversation_id: "13f32c6cf7d0d38e6e0eba93",
      id: deriveEventId("sunco", "0ca7d56ba7b2e081e479fe9e"),
      source: { system: "sunco", event_id: "0ca7d56ba7b2e081e479fe9e", raw_type: "conversation:message" },
      channel: { type: "web", integration_id: "5d83a25d9916b64a83ed25e8" },
      author: {
        type: "customer",
        id: "cbec0073faeda4dfcd21d0f1",
        display_name: "Web User cbec0073faeda4dfcd21d0f1",
      },
      message: { content: { type: "text", text: "Hello world" } },
    },
  },
  "conversation_message_image_business.json": {
    type: "MessageSent",
    at: "2020-09-30T13:46:02.733Z",
    fields: {
      message: {
        content: {
          type: "image",
          media_url: "https://example.org/image.jpg",
          media_type: "image/jpg",
          alt_text: "A wonderful image",
          text: "Hello!",
        },
      },
    },
  },
  "conversation_message_file_business.json": {
    type: "MessageSent",
    at: "2020-09-30T13:46:02.733Z",
    fields: {
      message: {
        content: {
          type: "file",
          media_url: "https://example.org/FAQ.pdf",
          media_type: "application/pdf",
          size: 627328,
          text: "Here's our FAQ!",
        },
      },
    },
  },
  "conversation_message_carousel_business.json": {
    type: "MessageSent",
    at: "2020-09-30T13:46:02.733Z",
    fields: {
      message: {
        content: {
          type: "carousel",
          items: ["TACOS", "RAMEN"].map((payload, i) => ({
            title: i === 0 ? "Tacos" : "Ramen",
            description: i === 0 ? "Get your tacos today!" : "Get your ramen today!",
            media_url: "https://example.org/image.jpg",
            actions: [
              { type: "postback", text: "Select", payload },
              { type: "link", text: "More info", uri: "https://example.org" },
            ],
          })),
        },
      },
    },
  },
  "conversation_message_location_business.json": {
    type: "MessageSent",
    at: "2020-09-30T13:46:02.733Z",
    fields: {
      message: {
        content: {
          type: "location",
          latitude: 45.5261583,
          longitude: -73.595346,
          name: "Zendesk Montréal",
          address: "5333 avenue Casgrain",
        },
      },
    },
  },
  "conversation_message_form_business.json": {
    type: "MessageSent",
    at: "2020-09-30T13:46:02.733Z",
    fields: {
      message: {
        content: {
          type: "form",
          fields: [
            { type: "text", name: "full_name", label: "Your name?" },
            { type: "email", name: "email_address", label: "Your email?" },
          ],
        },
      },
      metadata: { submitted: false, block_chat_input: true, sunco_message_id: "5f748c1a2b5315fc007e7977" },
    },
  },
  "conversation_message_formresponse_user.json": {
    type: "MessageReceived",
    at: "2020-09-30T18:00:56.820Z",
    fields: {
      message: {
        content: {
          type: "form_response",
          fields: [
            { type: "text", name: "full_name", label: "Your name?", value: "Steve Rogers" },
            { type: "email", name: "email_address", label: "Your email?", value: "steve.rogers@example.org" },
          ],
        },
        reply_to: "5f748c1a2b5315fc007e7977",
      },
    },
  },
  "conversation_postback.json": {
    type: "PostbackReceived",
    at: "2020-09-30T15:14:29.834Z",
    fields: {
      data: { payload: "Greet" },
      channel: { type: "telegram", integration_id: "5ec69c6e12dda33be985cb1a" },
      author: { type: "customer", id: "26508c10541a4b0ff472e5e2" },
    },
  },
  "conversation_read.json": {
    type: "MessageRead",
    at: "2020-09-30T15:14:29.834Z",
    fields: {
      data: {},
      author: { type: "customer", id: "b5a0f8de1fd4198a96faa0af" },
      channel: { type: "web" },
    },
  },
  "conversation_message_delivery_user.json": {
    type: "MessageDelivered",
    at: "2020-09-30T15:14:29.834Z",
    fields: {
      data: { message_id: "5f74b82c56be263abf0ffd50" },
      channel: { type: "sms", integration_id: "5ecc061987d4d413774a8131" },
      metadata: { external_message_id: "SM900c83b124b6467eb6db835a969d7374", is_final_event: true },
    },
  },
  "conversation_message_delivery_failure.json": {
    type: "MessageFailed",
    at: "2020-09-30T15:14:29.834Z",
    fields: {
      data: {
        message_id: "5f74be6256be263abf0ffd5f",
        error: { code: "uncategorized_error", reason: "Unsupported message type `form`" },
      },
    },
  },
  "switchboard_pass_control.json": {
    type: "ControlPassed",
    at: "2020-09-30T15:14:29.834Z",
    fields: {
      data: { to: { type: "integration", id: "5eecde2dcdbffb08f5c3ed37" } },
      metadata: { switchboard_integration_name: "bot", integration_type: "custom" },
    },
  },
};

describe("SunCo mapping, fixture by fixture", () => {
  it("covers every SunCo fixture file", () => {
    expect(files("sunco").sort()).toEqual(Object.keys(SUNCO).sort());
  });

  for (const [file, want] of Object.entries(SUNCO)) {
    it(`${file} → ${want.type}`, () => {
      const event = one("sunco", file);
      expect(event).toMatchObject({
        id: deriveEventId("sunco", SUNCO_EVENT),
        conversation_id: SUNCO_CONV,
        source: { system: "sunco", event_id: SUNCO_EVENT },
        type: want.type,
        occurred_at: want.at,
        ...want.fields,
      });
    });
  }

  it("keeps unknown content as unsupported and records unknown event types as rejections", () => {
    const body = JSON.parse(raw("sunco", "conversation_message_text_user_web.json").toString()) as {
      events: Record<string, unknown>[];
    };
    const first = body.events[0] as { payload: { message: { content: unknown } } };
    const msg = structuredClone(first);
    msg.payload.message.content = { type: "hologram" };
    body.events.push(
      { ...msg, id: "other-1" },
      {
        id: "other-2",
        type: "conversation:remove",
        payload: { conversation: { id: "13f32c6cf7d0d38e6e0eba93" } },
      },
    );
    const mapping = mapSunco(body);
    expect(mapping.events).toHaveLength(2);
    expect((mapping.events[1]!.event.message as { content: unknown }).content).toEqual({
      type: "unsupported",
      raw_type: "hologram",
    });
    expect(mapping.rejected).toEqual([
      expect.objectContaining({ path: "events[2]", reason: expect.stringContaining("not mapped") }),
    ]);
  });
});

describe("timestamps", () => {
  const withTimestamp = (ts: unknown) => {
    const body = JSON.parse(raw("whatsapp", "text.json").toString()) as {
      entry: { changes: { value: { messages: Record<string, unknown>[] } }[] }[];
    };
    (body.entry[0]?.changes[0]?.value.messages[0] as Record<string, unknown>).timestamp = ts;
    const [item] = mapWhatsApp(body).events;
    return validateEventInput(item?.event);
  };

  it.each([
    ["0", "1970-01-01T00:00:00.000Z"],
    ["1", "1970-01-01T00:00:01.000Z"],
    ["1749416383", "2025-06-08T20:59:43.000Z"],
    ["99999999999", "5138-11-16T09:46:39.000Z"],
    // Milliseconds (at or above 1e11) are read as milliseconds, never as seconds.
    ["1749416383123", "2025-06-08T20:59:43.123Z"],
  ])("unix-second string %s → %s", (ts, iso) => {
    const v = withTimestamp(ts);
    expect(v.ok && v.value.occurred_at).toBe(iso);
  });

  it.each([[""], ["abc"], ["-1"], ["1e9"], [null]])(
    "rejects %j (the item becomes a rejection, not a guess)",
    (ts) => {
      expect(withTimestamp(ts).ok).toBe(false);
    },
  );

  it("SunCo: originalMessageTimestamp, else message.received, else createdAt", () => {
    const body = JSON.parse(
      raw("sunco", "conversation_message_reply_button_response_user.json").toString(),
    ) as {
      events: {
        createdAt: string;
        payload: { message: { received?: string; source: Record<string, unknown> } };
      }[];
    };
    const ev = body.events[0] as (typeof body.events)[number];
    const at = () => validateEventInput(mapSunco(body).events[0]?.event);
    expect((at() as { value: EventInput }).value.occurred_at).toBe("2020-09-30T18:00:56.000Z");
    delete ev.payload.message.source.originalMessageTimestamp;
    expect((at() as { value: EventInput }).value.occurred_at).toBe("2020-09-30T18:00:56.820Z");
    delete ev.payload.message.received;
    expect((at() as { value: EventInput }).value.occurred_at).toBe("2020-09-30T15:14:29.834Z");
    ev.createdAt = "2020-09-30T17:14:29.834+02:00";
    expect((at() as { value: EventInput }).value.occurred_at).toBe("2020-09-30T15:14:29.834Z");
  });
});

describe("signatures", () => {
  const text = raw("whatsapp", "text.json");
  const sign = (body: Buffer, secret = "test_app_secret") =>
    `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;

  it("matches the known example of the fixtures README", () => {
    expect(
      verifyHubSignature(
        text,
        "sha256=1c041e1c07f50386213ac582d2e17d24d70f1ed42949a6e5a5607057b805b5fc",
        "test_app_secret",
      ),
    ).toBe(true);
  });

  it("rejects a missing, malformed or other-secret signature", () => {
    expect(verifyHubSignature(text, undefined, "test_app_secret")).toBe(false);
    expect(verifyHubSignature(text, "", "test_app_secret")).toBe(false);
    expect(verifyHubSignature(text, sign(text).replace("sha256=", "sha1="), "test_app_secret")).toBe(false);
    expect(verifyHubSignature(text, `${sign(text)}00`, "test_app_secret")).toBe(false);
    expect(verifyHubSignature(text, sign(text, "other"), "test_app_secret")).toBe(false);
  });

  it("property: any single-byte change in the body fails verification", () => {
    const header = sign(text);
    fc.assert(
      fc.property(fc.nat({ max: text.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, delta) => {
        const changed = Buffer.from(text);
        changed[at] = ((changed[at] as number) + delta) % 256;
        return !verifyHubSignature(changed, header, "test_app_secret");
      }),
      { numRuns: 500 },
    );
  });

  it("property: any body verifies against its own signature, for any secret", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), fc.string({ minLength: 1 }), (bytes, secret) => {
        const body = Buffer.from(bytes);
        return verifyHubSignature(body, sign(body, secret), secret);
      }),
    );
  });

  it("compares SunCo secrets by hash, exactly", () => {
    const stored = sha256Hex("s3cret-value");
    expect(matchesSha256("s3cret-value", stored)).toBe(true);
    expect(matchesSha256("s3cret-valuE", stored)).toBe(false);
    expect(matchesSha256("", stored)).toBe(false);
    expect(matchesSha256(undefined, stored)).toBe(false);
  });
});
