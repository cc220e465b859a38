/**
 * Tenant ids. They are slugs because they end up inside table keys delimited by `#`
 * (`T#{tenant}#…`); the API-key CLI refuses any other, and the key module asserts it.
 */
export const TENANT_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
