/** API-key scopes (docs/api.md, "Authentication, tenancy and scopes"). */
export const SCOPES = ["events:write", "events:read", "export:read", "automations:write", "admin"] as const;
export type Scope = (typeof SCOPES)[number];

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}
