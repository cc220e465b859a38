/**
 * Every URL the API hands out is built here: pagination links, the API's public root (for
 * channel webhook URLs and the OpenAPI document's `servers`), and the reference page's link to
 * the document. They all start from the URL the client called, so the stage prefix on AWS
 * (`/prod/v1/...`), a custom domain's base path, and the local gateway's host all survive.
 */
import type { APIGatewayProxyEvent } from "aws-lambda";
import { header, queryParams } from "./request.ts";

export interface Links {
  /** The API's public root, stage prefix or base path included, without a trailing slash. */
  readonly base: string;
  /**
   * This request's URL with some query parameters set (a string) or removed (`null`), every
   * other parameter kept: `self({ "page[after]": cursor, "page[before]": null })`.
   */
  self(changes: Record<string, string | null>): string;
}

/** The URL the client called, as the client sees it (scheme, host, stage prefix). */
function publicUrl(event: APIGatewayProxyEvent): URL {
  // Only a plain scheme: anything else in the header must not redirect links.
  const forwarded = header(event, "x-forwarded-proto")?.toLowerCase();
  const proto = forwarded === "http" || forwarded === "https" ? forwarded : "https";
  const host = event.requestContext?.domainName ?? header(event, "host") ?? "localhost";
  // requestContext.path carries the stage prefix on AWS (`/prod/v1/events`); event.path does not.
  const path = event.requestContext?.path ?? event.path;
  try {
    return new URL(`${proto}://${host}${path}`);
  } catch {
    return new URL(`${proto}://localhost${path}`);
  }
}

export function linksOf(event: APIGatewayProxyEvent): Links {
  const url = publicUrl(event);
  const full = url.pathname;
  // What precedes the route's own path is the stage prefix (or a custom domain's base path).
  const own = event.path ?? "";
  const prefix = own && full.endsWith(own) ? full.slice(0, full.length - own.length) : "";
  const base = `${url.origin}${prefix}`.replace(/\/+$/, "");
  return {
    base,
    self(changes) {
      const link = new URL(url.toString());
      link.search = "";
      const params: Record<string, string | null> = { ...queryParams(event), ...changes };
      for (const [k, v] of Object.entries(params)) if (v !== null) link.searchParams.set(k, v);
      return link.toString();
    },
  };
}
