/**
 * The API's parameter vocabulary, defined once: page sizes, cursors, time bounds, filters and
 * the ids in paths. Route schemas are built from these, so every route that takes
 * `page[size]` or a cursor parses it the same way and the OpenAPI document describes it the
 * same way.
 */
import * as z from "zod";
import type { CursorParam } from "../cursor.ts";
import { IdSchema, toUtcMillis } from "../events/schema.ts";
import { notFoundWhenInvalid } from "./parse.ts";

/** `page[size]`: a whole number from 1 to `max`, `fallback` when absent. */
export const pageSize = (max: number, fallback: number) =>
  z
    .string()
    .regex(/^\d+$/, `page[size] must be a whole number from 1 to ${max}`)
    .transform(Number)
    .pipe(
      z.number().int().min(1, "page[size] must be at least 1").max(max, `page[size] must be at most ${max}`),
    )
    .optional()
    .transform((n) => n ?? fallback)
    .meta({
      description: `Items per page, 1 to ${max}; default ${fallback}`,
      example: String(Math.min(fallback, 50)),
    });

/** An opaque cursor from a previous response, handed on with the field it came in. */
export const cursor = (field: string, description: string) =>
  z
    .string()
    .min(1)
    .transform((value): CursorParam => ({ field, value }))
    .optional()
    .meta({ description });

/** A time bound with the same input rules as `occurred_at`, normalized to UTC milliseconds. */
export const timestamp = (description: string) =>
  z.string().transform(toUtcMillis).optional().meta({ description, example: "2025-05-01T00:00:00Z" });

/** The same, required. */
export const requiredTimestamp = (description: string) =>
  z.string().transform(toUtcMillis).meta({ description, example: "2025-05-01T00:00:00Z" });

/** A comma-separated subset of `values`: deduplicated and sorted, unknown values named. */
export const commaList = <T extends readonly [string, ...string[]]>(values: T, param: string) =>
  z
    .string()
    .transform((raw, ctx) => {
      const parts = [
        ...new Set(
          raw
            .split(",")
            .map((s) => s.trim())
            .filter((s) => s.length > 0),
        ),
      ];
      const bad = parts.filter((p) => !(values as readonly string[]).includes(p));
      if (parts.length === 0 || bad.length > 0) {
        ctx.addIssue({
          code: "custom",
          message: `${param} takes a comma-separated list of: ${values.join(", ")}${bad.length ? `; unknown: ${bad.join(", ")}` : ""}`,
        });
        return z.NEVER;
      }
      return parts.sort() as T[number][];
    })
    .optional()
    .meta({ description: `Comma-separated, any of: ${values.join(", ")}`, example: values[0] });

/** A conversation id in a path: a 400 with the id's rule when malformed. */
export const ConversationIdParam = IdSchema.meta({
  description: "The conversation's id",
  example: "conv_4821",
});

/** An id the API issued (`trg_…`, `ch_…`): a malformed one names nothing, so it is a 404. */
export const issuedId = (pattern: RegExp, noun: string, example: string) =>
  notFoundWhenInvalid(
    z
      .string()
      .regex(pattern)
      .meta({ description: `The ${noun}'s id`, example }),
    noun,
  );
