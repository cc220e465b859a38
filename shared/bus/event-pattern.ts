/**
 * Amazon EventBridge event patterns, matched in process: the local event bus and tenant
 * triggers must select exactly the events that a real EventBridge rule with the same pattern
 * would, so a pattern can move between the two without surprises. No maintained JavaScript
 * library does this, so the semantics below follow the AWS documentation ("Creating event
 * patterns", "Content filtering in Amazon EventBridge event patterns", "Comparison operators")
 * and, where the documentation is silent, the engine EventBridge runs: aws/event-ruler
 * (`JsonRuleCompiler`, `ACFinder`, `ByteMachine`, `CIDR`, `ComparableNumber`).
 *
 * What a pattern means:
 * - fields AND together, the values in a field's list OR together, `$or` ORs whole
 *   sub-patterns and ANDs with its siblings;
 * - a list matches an event array when any element matches any value;
 * - values compare by JSON type: `"5"` never equals `5`, `null` never equals `""`; numbers
 *   compare as numbers (`300` equals `300.0` and `3e2`);
 * - `exists` looks at leaves only: an object or an empty array is not a value, `null` is;
 * - objects inside one event array are matched array-consistently: two fields of one pattern
 *   never match in two different elements of the same array.
 *
 * Deliberate differences from EventBridge (each a corner that no sane pattern relies on):
 * - keys that contain dots are not conflated with nesting (`{"a.b": …}` is not `{"a": {"b": …}}`);
 * - a field that a `$or` branch repeats from its siblings must satisfy both, where EventBridge
 *   keeps whichever came last in the JSON text;
 * - numbers compare at full double precision, where EventBridge quantizes to 6 decimals;
 * - `$or` expansions above {@link MAX_PATTERN_COMBINATIONS} and nesting deeper than
 *   {@link MAX_PATTERN_DEPTH} are rejected, to bound the work one tenant's pattern can cause.
 *
 * Where the documentation is stricter than the engine, the documentation wins, so that a
 * pattern accepted here is accepted by EventBridge: `anything-but` takes a single `prefix` or
 * `suffix`, not a list.
 *
 * @example
 * ```ts
 * const pattern = {
 *   source: ["conversation-log"],
 *   "detail-type": [{ prefix: "Message" }],
 *   detail: { event: { channel: { type: [{ "anything-but": ["email", "sms"] }] } } },
 * };
 * validatePattern(pattern); // []
 * matchesPattern(pattern, {
 *   source: "conversation-log",
 *   "detail-type": "MessageReceived",
 *   detail: { event: { channel: { type: "whatsapp" } } },
 * }); // true
 * validatePattern({ detail: { tags: [{ prefix: 5 }] } });
 * // ['detail.tags: "prefix" must be a string or {"equals-ignore-case": "<string>"} (got the number 5)']
 * ```
 *
 * @module
 */

/** A literal a field can be compared to. */
export type ExactValue = string | number | boolean | null;

export type NumericOperator = "<" | "<=" | "=" | ">" | ">=";

/** `[op, n]`, or a range: a lower bound followed by an upper bound, e.g. `[">", 0, "<=", 5]`. */
export type NumericCondition =
  | readonly [NumericOperator, number]
  | readonly [">" | ">=", number, "<" | "<=", number];

export type AnythingButCondition =
  | string
  | number
  | readonly string[]
  | readonly number[]
  | { readonly prefix: string }
  | { readonly suffix: string }
  | { readonly "equals-ignore-case": string | readonly string[] }
  | { readonly wildcard: string | readonly string[] };

export type OperatorCondition =
  | { readonly prefix: string | { readonly "equals-ignore-case": string } }
  | { readonly suffix: string | { readonly "equals-ignore-case": string } }
  | { readonly "equals-ignore-case": string }
  | { readonly wildcard: string }
  | { readonly "anything-but": AnythingButCondition }
  | { readonly numeric: NumericCondition }
  | { readonly exists: boolean }
  | { readonly cidr: string };

/** One entry of a field's list: a literal or a single-operator object. */
export type MatchCondition = ExactValue | OperatorCondition;

/**
 * An event pattern. The static type documents the shape; {@link validatePattern} is the
 * authority, since patterns usually arrive as JSON.
 */
export interface EventPattern {
  readonly $or?: readonly EventPattern[];
  readonly [field: string]: readonly MatchCondition[] | EventPattern | readonly EventPattern[] | undefined;
}

/** A pattern checked once, to match many events. */
export interface CompiledEventPattern {
  matches(event: unknown): boolean;
}

/** Thrown by {@link compilePattern} and {@link matchesPattern} for a pattern that does not validate. */
export class InvalidEventPatternError extends Error {
  readonly issues: readonly string[];

  constructor(issues: readonly string[]) {
    super(`Invalid event pattern: ${issues.join("; ")}`);
    this.name = "InvalidEventPatternError";
    this.issues = issues;
  }
}

/** Upper bound on the sub-patterns that `$or` can expand into. */
export const MAX_PATTERN_COMBINATIONS = 1000;
/** Upper bound on how deeply objects nest in a pattern. */
export const MAX_PATTERN_DEPTH = 64;

/**
 * Every problem with a pattern, as `path: what is wrong` messages fit for an API's 400 response;
 * an empty array means the pattern is valid. It rejects what EventBridge rejects.
 */
export function validatePattern(pattern: unknown): string[] {
  return analyze(pattern).issues;
}

export function isEventPattern(pattern: unknown): pattern is EventPattern {
  return analyze(pattern).issues.length === 0;
}

/**
 * Checks a pattern once so that matching many events does no re-validation.
 * @throws InvalidEventPatternError when {@link validatePattern} reports any issue.
 */
export function compilePattern(pattern: unknown): CompiledEventPattern {
  const { issues, root } = analyze(pattern);
  if (issues.length > 0 || root === undefined) throw new InvalidEventPatternError(issues);
  const branches = expand(root, []).map((branch) =>
    [...branch].sort((a, b) => compareStrings(a.order, b.order) || compareStrings(a.key, b.key)),
  );
  const trie = newTrieNode();
  for (const branch of branches) for (const constraint of branch) addToTrie(trie, constraint);
  return {
    matches(event: unknown): boolean {
      const value = toJsonValue(event);
      if (!isObject(value)) return false;
      const fields = collectFields(value, trie);
      return branches.some((branch) => matchBranch(branch, fields));
    },
  };
}

/**
 * Whether `event` (a JSON object, e.g. an EventBridge event envelope) matches `pattern`.
 * Hot paths should {@link compilePattern} once instead.
 * @throws InvalidEventPatternError when the pattern is invalid: a broken pattern is a bug to
 *   surface, not a silent "never matches".
 */
export function matchesPattern(pattern: unknown, event: unknown): boolean {
  return compilePattern(pattern).matches(event);
}

// ---------------------------------------------------------------------------------------------
// Analysis: validation and compilation in one pass, so the two can never disagree.

type Leaf = string | number | boolean | null;
type Test = (value: Leaf) => boolean;
type Segment = string | number;

interface LeafEntry {
  readonly kind: "leaf";
  readonly name: string;
  readonly tests: readonly Test[];
  readonly allowsAbsence: boolean;
}
interface NestedEntry {
  readonly kind: "nested";
  readonly name: string;
  readonly node: ObjectNode;
}
interface OrEntry {
  readonly kind: "or";
  readonly alternatives: readonly ObjectNode[];
}
interface ObjectNode {
  readonly entries: readonly (LeafEntry | NestedEntry | OrEntry)[];
}

const OPERATORS = [
  "anything-but",
  "cidr",
  "equals-ignore-case",
  "exists",
  "numeric",
  "prefix",
  "suffix",
  "wildcard",
] as const;

/**
 * EventBridge refuses these as field names inside `$or` (event-ruler's
 * RESERVED_FIELD_NAMES_IN_OR_RELATIONSHIP): a mistyped operator there would silently become a
 * field name.
 */
const RESERVED_IN_OR = new Set<string>([
  "exactly",
  ...OPERATORS,
  "=",
  "<",
  "<=",
  ">",
  ">=",
  "regex",
  "not-wildcard",
  "not-equals-ignore-case",
  "date-after",
  "date-on-or-after",
  "date-before",
  "date-on-or-before",
  "in-date-range",
  "ip-address-in-range",
  "ip-address-not-in-range",
]);

/** EventBridge's numbers live in ±5e9 with 6 decimals (event-ruler `ComparableNumber`). */
const NUMBER_LIMIT = 5e9;
const MAX_DECIMALS = 6;

function analyze(pattern: unknown): { issues: string[]; root: ObjectNode | undefined } {
  const issues: string[] = [];
  if (!isPlainObject(pattern)) {
    issues.push(`event pattern must be a JSON object (got ${describe(pattern)})`);
    return { issues, root: undefined };
  }
  if (Object.keys(pattern).length === 0) {
    issues.push("event pattern must not be empty: name at least one field to match");
    return { issues, root: undefined };
  }
  const root = analyzeObject(pattern, [], false, 1, issues, new Set([pattern]));
  if (issues.length === 0) {
    const combinations = countCombinations(root);
    if (combinations > MAX_PATTERN_COMBINATIONS) {
      issues.push(
        `event pattern is too complex: its "$or" alternatives expand to ${combinations} combinations (at most ${MAX_PATTERN_COMBINATIONS} are allowed)`,
      );
    }
  }
  return { issues, root };
}

function analyzeObject(
  object: Record<string, unknown>,
  path: Segment[],
  insideOr: boolean,
  depth: number,
  issues: string[],
  ancestors: Set<unknown>,
): ObjectNode {
  const entries: (LeafEntry | NestedEntry | OrEntry)[] = [];
  if (depth > MAX_PATTERN_DEPTH) {
    issues.push(`${renderPath(path)}: patterns may nest at most ${MAX_PATTERN_DEPTH} objects deep`);
    return { entries };
  }
  for (const name of Object.keys(object)) {
    const value = object[name];
    if (name === "$or") {
      const alternatives = analyzeOr(value, [...path, "$or"], depth, issues, ancestors);
      if (alternatives) entries.push({ kind: "or", alternatives });
      continue;
    }
    const fieldPath = [...path, name];
    if (insideOr && RESERVED_IN_OR.has(name)) {
      issues.push(
        `${renderPath(fieldPath)}: "${name}" is a reserved word and cannot be a field name inside "$or"`,
      );
      continue;
    }
    if (Array.isArray(value)) {
      const leaf = analyzeList(value, fieldPath, issues);
      if (leaf) entries.push({ kind: "leaf", name, ...leaf });
    } else if (isPlainObject(value)) {
      if (ancestors.has(value)) {
        issues.push(`${renderPath(fieldPath)}: the pattern contains a circular reference`);
      } else if (Object.keys(value).length === 0) {
        issues.push(`${renderPath(fieldPath)}: a nested object must not be empty`);
      } else {
        const inner = new Set(ancestors).add(value);
        const node = analyzeObject(value, fieldPath, insideOr, depth + 1, issues, inner);
        entries.push({ kind: "nested", name, node });
      }
    } else {
      issues.push(
        `${renderPath(fieldPath)}: must be a list of match values (e.g. ["value"]) or a nested object (got ${describe(value)})`,
      );
    }
  }
  return { entries };
}

function analyzeOr(
  value: unknown,
  path: Segment[],
  depth: number,
  issues: string[],
  ancestors: Set<unknown>,
): ObjectNode[] | undefined {
  if (!Array.isArray(value)) {
    issues.push(
      `${renderPath(path)}: must be an array of at least two pattern objects (got ${describe(value)})`,
    );
    return undefined;
  }
  if (value.length < 2) {
    issues.push(`${renderPath(path)}: must list at least two pattern objects (got ${value.length})`);
    return undefined;
  }
  const alternatives: ObjectNode[] = [];
  value.forEach((alternative: unknown, index) => {
    const altPath = [...path, index];
    if (!isPlainObject(alternative)) {
      issues.push(`${renderPath(altPath)}: must be a pattern object (got ${describe(alternative)})`);
    } else if (ancestors.has(alternative)) {
      issues.push(`${renderPath(altPath)}: the pattern contains a circular reference`);
    } else if (Object.keys(alternative).length === 0) {
      issues.push(`${renderPath(altPath)}: must not be an empty object`);
    } else {
      const inner = new Set(ancestors).add(alternative);
      alternatives.push(analyzeObject(alternative, altPath, true, depth + 1, issues, inner));
    }
  });
  return alternatives;
}

function analyzeList(
  list: readonly unknown[],
  path: Segment[],
  issues: string[],
): { tests: Test[]; allowsAbsence: boolean } | undefined {
  const where = renderPath(path);
  if (list.length === 0) {
    issues.push(`${where}: the list of match values must not be empty`);
    return undefined;
  }
  const tests: Test[] = [];
  let allowsAbsence = false;
  for (const item of list) {
    if (typeof item === "string") {
      tests.push(exactString(item));
    } else if (typeof item === "number") {
      if (Number.isFinite(item)) tests.push((value) => value === item);
      else issues.push(`${where}: numbers must be finite (got ${describe(item)})`);
    } else if (typeof item === "boolean" || item === null) {
      tests.push((value) => value === item);
    } else if (isPlainObject(item)) {
      const condition = analyzeOperator(item, where, issues);
      if (condition === "absent") allowsAbsence = true;
      else if (condition) tests.push(condition);
    } else {
      issues.push(
        `${where}: match values must be strings, numbers, booleans, null or operator objects (got ${describe(item)})`,
      );
    }
  }
  return { tests, allowsAbsence };
}

/** A test for a present value, `"absent"` for `{"exists": false}`, undefined when invalid. */
function analyzeOperator(
  condition: Record<string, unknown>,
  where: string,
  issues: string[],
): Test | "absent" | undefined {
  const keys = Object.keys(condition);
  const [operator] = keys;
  if (operator === undefined) {
    issues.push(`${where}: an operator object must not be empty; use one of ${OPERATORS.join(", ")}`);
    return undefined;
  }
  if (keys.length > 1) {
    issues.push(
      `${where}: an operator object holds exactly one operator (got ${keys.map((k) => `"${k}"`).join(", ")})`,
    );
    return undefined;
  }
  const operand = condition[operator];
  const fail = (message: string): undefined => {
    issues.push(`${where}: ${message}`);
    return undefined;
  };
  switch (operator) {
    case "prefix":
    case "suffix": {
      const affix = analyzeAffix(operator, operand, fail);
      if (affix === undefined) return undefined;
      if (affix.ignoreCase) {
        const variants = caseVariants(affix.text);
        return operator === "prefix"
          ? (value) => typeof value === "string" && foldedPrefix(variants, value)
          : (value) => typeof value === "string" && foldedSuffix(variants, value);
      }
      const text = affix.text;
      return operator === "prefix"
        ? (value) => typeof value === "string" && value.startsWith(text)
        : (value) => typeof value === "string" && value.endsWith(text);
    }
    case "equals-ignore-case": {
      if (typeof operand !== "string")
        return fail(`"equals-ignore-case" must be a string (got ${describe(operand)})`);
      const variants = caseVariants(operand);
      return (value) => typeof value === "string" && foldedEquals(variants, value);
    }
    case "wildcard": {
      if (typeof operand !== "string") return fail(`"wildcard" must be a string (got ${describe(operand)})`);
      const glob = parseWildcard(operand);
      if (typeof glob === "string") return fail(`"wildcard" ${glob}`);
      return (value) => typeof value === "string" && globMatches(glob, value);
    }
    case "exists": {
      if (typeof operand !== "boolean")
        return fail(`"exists" must be true or false (got ${describe(operand)})`);
      return operand ? () => true : "absent";
    }
    case "numeric": {
      const range = analyzeNumeric(operand, fail);
      if (range === undefined) return undefined;
      return (value) =>
        typeof value === "number" &&
        (range.lowOpen ? value > range.low : value >= range.low) &&
        (range.highOpen ? value < range.high : value <= range.high);
    }
    case "cidr": {
      if (typeof operand !== "string") {
        return fail(`"cidr" must be a string such as "10.0.0.0/24" (got ${describe(operand)})`);
      }
      const block = parseCidr(operand);
      if (typeof block === "string")
        return fail(`"cidr" value ${JSON.stringify(operand)} is invalid: ${block}`);
      return (value) => typeof value === "string" && inCidr(block, value);
    }
    case "anything-but": {
      const excluded = analyzeAnythingBut(operand, fail);
      if (excluded === undefined) return undefined;
      return (value) => !excluded(value);
    }
    default:
      return fail(`unknown operator "${operator}" (supported: ${OPERATORS.join(", ")})`);
  }
}

function analyzeAffix(
  operator: "prefix" | "suffix",
  operand: unknown,
  fail: (message: string) => undefined,
): { text: string; ignoreCase: boolean } | undefined {
  if (typeof operand === "string") return { text: operand, ignoreCase: false };
  const expected = `"${operator}" must be a string or {"equals-ignore-case": "<string>"}`;
  if (!isPlainObject(operand)) return fail(`${expected} (got ${describe(operand)})`);
  const keys = Object.keys(operand);
  if (keys.length !== 1 || keys[0] !== "equals-ignore-case") {
    return fail(
      `${expected} (got an object with ${keys.length === 0 ? "no keys" : `"${keys.join('", "')}"`})`,
    );
  }
  const text = operand["equals-ignore-case"];
  if (typeof text !== "string") {
    return fail(`"${operator}": "equals-ignore-case" must be a string (got ${describe(text)})`);
  }
  return { text, ignoreCase: true };
}

interface NumericRange {
  low: number;
  lowOpen: boolean;
  high: number;
  highOpen: boolean;
}

/**
 * EventBridge's grammar: `[op, n]`, or a lower bound (`>`/`>=`) followed by an upper bound
 * (`<`/`<=`); one-sided ranges stop at ±5e9, so `[">", 5e9]` is empty and rejected.
 */
function analyzeNumeric(operand: unknown, fail: (message: string) => undefined): NumericRange | undefined {
  const example = `e.g. [">", 0, "<=", 5]`;
  if (!Array.isArray(operand))
    return fail(`"numeric" must be an array, ${example} (got ${describe(operand)})`);
  const items: readonly unknown[] = operand;
  const isOperator = (v: unknown): v is NumericOperator =>
    v === "<" || v === "<=" || v === "=" || v === ">" || v === ">=";
  const first = items[0];
  if (!isOperator(first)) {
    return fail(
      items.length === 0
        ? `"numeric" must not be empty, ${example}`
        : `"numeric" must start with one of "<", "<=", "=", ">", ">=" (got ${describe(first)})`,
    );
  }
  const firstValue = numericOperand(first, items[1], fail);
  if (firstValue === undefined) return undefined;
  const range: NumericRange = { low: -NUMBER_LIMIT, lowOpen: false, high: NUMBER_LIMIT, highOpen: false };
  if (first === "=") Object.assign(range, { low: firstValue, high: firstValue });
  else if (first === ">" || first === ">=") Object.assign(range, { low: firstValue, lowOpen: first === ">" });
  else Object.assign(range, { high: firstValue, highOpen: first === "<" });

  if (items.length > 2) {
    if (first !== ">" && first !== ">=") {
      return fail(
        `"numeric" allows nothing after "${first}" ${firstValue}; write a range as [">", low, "<", high]`,
      );
    }
    const second = items[2];
    if (second !== "<" && second !== "<=") {
      return fail(
        `"numeric" range must continue with "<" or "<=" after its lower bound (got ${describe(second)})`,
      );
    }
    const secondValue = numericOperand(second, items[3], fail);
    if (secondValue === undefined) return undefined;
    if (items.length > 4)
      return fail(`"numeric" has too many elements; the longest form is [">", low, "<=", high]`);
    Object.assign(range, { high: secondValue, highOpen: second === "<" });
  }
  if (first !== "=" && range.low >= range.high) {
    return fail(
      `"numeric" range is empty: its lower bound ${range.low} must be below its upper bound ${range.high}`,
    );
  }
  return range;
}

function numericOperand(
  operator: NumericOperator,
  value: unknown,
  fail: (message: string) => undefined,
): number | undefined {
  if (typeof value !== "number") {
    return fail(`"numeric" operator "${operator}" must be followed by a number (got ${describe(value)})`);
  }
  const problem = numberProblem(value);
  return problem === undefined ? value : fail(`"numeric" value ${value} ${problem}`);
}

/** Why EventBridge cannot compare this number, if it cannot. */
function numberProblem(value: number): string | undefined {
  if (!Number.isFinite(value) || Math.abs(value) > NUMBER_LIMIT) {
    return "is out of range: EventBridge compares numbers from -5e9 to 5e9";
  }
  if (decimalPlaces(value) > MAX_DECIMALS) return `has more than ${MAX_DECIMALS} decimal places`;
  return undefined;
}

function decimalPlaces(value: number): number {
  const [mantissa = "", exponent = "0"] = String(Math.abs(value)).split("e");
  const fraction = mantissa.split(".")[1]?.length ?? 0;
  return Math.max(0, fraction - Number(exponent));
}

/** Returns the test for values that anything-but EXCLUDES. */
function analyzeAnythingBut(operand: unknown, fail: (message: string) => undefined): Test | undefined {
  // Exclusions only ever hit values of their own JSON type: anything-but "5" still matches 5,
  // and every anything-but matches null and booleans (event-ruler's ByteMachine).
  if (typeof operand === "string") return (value) => value === operand;
  if (typeof operand === "number") {
    const problem = numberProblem(operand);
    if (problem !== undefined) return fail(`"anything-but" value ${operand} ${problem}`);
    return (value) => value === operand;
  }
  if (Array.isArray(operand)) {
    const items: readonly unknown[] = operand;
    if (items.length === 0) return fail(`"anything-but" list must not be empty`);
    if (items.every((item) => typeof item === "string")) {
      const set = new Set<unknown>(items);
      return (value) => typeof value === "string" && set.has(value);
    }
    if (items.every((item) => typeof item === "number")) {
      for (const item of items) {
        const problem = numberProblem(item as number);
        if (problem !== undefined) return fail(`"anything-but" value ${item} ${problem}`);
      }
      const set = new Set<unknown>(items);
      return (value) => typeof value === "number" && set.has(value);
    }
    const odd = items.find((item) => typeof item !== "string" && typeof item !== "number");
    return fail(
      odd === undefined
        ? `"anything-but" list must hold only strings or only numbers, not both`
        : `"anything-but" list must hold only strings or only numbers (got ${describe(odd)})`,
    );
  }
  const expected = `"anything-but" must be a string, a number, a list of strings or numbers, or an object with "prefix", "suffix", "equals-ignore-case" or "wildcard"`;
  if (!isPlainObject(operand)) return fail(`${expected} (got ${describe(operand)})`);
  const keys = Object.keys(operand);
  const [operator] = keys;
  if (operator === undefined || keys.length > 1) {
    return fail(
      `${expected} (got an object with ${keys.length === 0 ? "no keys" : `"${keys.join('", "')}"`})`,
    );
  }
  const inner = operand[operator];
  switch (operator) {
    case "prefix":
    case "suffix": {
      // The AWS docs: anything-but works with a single prefix, not a list.
      if (typeof inner !== "string") {
        return fail(`"anything-but": "${operator}" must be a single string (got ${describe(inner)})`);
      }
      if (inner === "") return fail(`"anything-but": "${operator}" must not be empty`);
      return operator === "prefix"
        ? (value) => typeof value === "string" && value.startsWith(inner)
        : (value) => typeof value === "string" && value.endsWith(inner);
    }
    case "equals-ignore-case": {
      const texts = stringOrStrings(inner, `"anything-but": "equals-ignore-case"`, fail);
      if (texts === undefined) return undefined;
      const all = texts.map(caseVariants);
      return (value) => typeof value === "string" && all.some((variants) => foldedEquals(variants, value));
    }
    case "wildcard": {
      const texts = stringOrStrings(inner, `"anything-but": "wildcard"`, fail);
      if (texts === undefined) return undefined;
      const globs: Glob[] = [];
      for (const text of texts) {
        const glob = parseWildcard(text);
        if (typeof glob === "string") return fail(`"anything-but": "wildcard" ${glob}`);
        globs.push(glob);
      }
      return (value) => typeof value === "string" && globs.some((glob) => globMatches(glob, value));
    }
    default:
      return fail(`${expected} (got unsupported "${operator}")`);
  }
}

function stringOrStrings(
  value: unknown,
  what: string,
  fail: (message: string) => undefined,
): readonly string[] | undefined {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) {
    const items: readonly unknown[] = value;
    if (items.length === 0) return fail(`${what} list must not be empty`);
    const odd = items.find((item) => typeof item !== "string");
    if (odd !== undefined) return fail(`${what} list must hold only strings (got ${describe(odd)})`);
    return items as readonly string[];
  }
  return fail(`${what} must be a string or a list of strings (got ${describe(value)})`);
}

function countCombinations(node: ObjectNode): number {
  let total = 1;
  for (const entry of node.entries) {
    if (entry.kind === "nested") total *= countCombinations(entry.node);
    else if (entry.kind === "or")
      total *= entry.alternatives.reduce((sum, alt) => sum + countCombinations(alt), 0);
  }
  return total;
}

// ---------------------------------------------------------------------------------------------
// Strings: exact, case-folded, wildcard.

/** Pattern strings that are IP addresses compare as addresses, as EventBridge turns them into CIDR ranges. */
function exactString(text: string): Test {
  const address = parseIp(text);
  if (address === undefined) return (value) => value === text;
  return (value) => {
    if (value === text) return true;
    if (typeof value !== "string") return false;
    const other = parseIp(value);
    return (
      other !== undefined && other.length === address.length && other.every((byte, i) => byte === address[i])
    );
  };
}

/**
 * Per pattern code point, its lower- and upper-case forms: EventBridge folds case character by
 * character (event-ruler's EqualsIgnoreCaseParser), so "ß" matches "SS" but not "ss".
 */
function caseVariants(text: string): string[][] {
  return Array.from(text, (char) => [...new Set([char.toLowerCase(), char.toUpperCase()])]);
}

/** Offsets in `text` where the folded pattern, starting at `start`, can end. */
function foldedEnds(variants: readonly string[][], text: string, start: number): Set<number> {
  let positions = new Set([start]);
  for (const options of variants) {
    const next = new Set<number>();
    for (const position of positions) {
      for (const option of options) if (text.startsWith(option, position)) next.add(position + option.length);
    }
    if (next.size === 0) return next;
    positions = next;
  }
  return positions;
}

function foldedEquals(variants: readonly string[][], text: string): boolean {
  return foldedEnds(variants, text, 0).has(text.length);
}

function foldedPrefix(variants: readonly string[][], text: string): boolean {
  return foldedEnds(variants, text, 0).size > 0;
}

function foldedSuffix(variants: readonly string[][], text: string): boolean {
  for (let start = text.length; start >= 0; start--) {
    if (foldedEnds(variants, text, start).has(text.length)) return true;
  }
  return false;
}

/** The literal pieces between unescaped `*`s. */
type Glob = readonly string[];

/** A glob, or why EventBridge rejects it: `**` is refused, `\` escapes only `*` and `\`. */
function parseWildcard(text: string): Glob | string {
  const pieces: string[] = [];
  let piece = "";
  for (let i = 0; i < text.length; i++) {
    const char = text.charAt(i);
    if (char === "*") {
      if (text.charAt(i + 1) === "*") {
        return `value ${JSON.stringify(text)} has consecutive "*" at position ${i}, which EventBridge does not allow`;
      }
      pieces.push(piece);
      piece = "";
    } else if (char === "\\") {
      const next = text.charAt(i + 1);
      if (next !== "*" && next !== "\\") {
        return `value ${JSON.stringify(text)} has an invalid escape at position ${i}: "\\" may only escape "*" or "\\"`;
      }
      piece += next;
      i++;
    } else {
      piece += char;
    }
  }
  pieces.push(piece);
  return pieces;
}

function globMatches(glob: Glob, text: string): boolean {
  const first = glob[0] ?? "";
  if (glob.length === 1) return text === first;
  const last = glob[glob.length - 1] ?? "";
  if (text.length < first.length + last.length || !text.startsWith(first) || !text.endsWith(last))
    return false;
  // Leftmost placement of each middle piece leaves the most room for the rest, so greedy is exact.
  const end = text.length - last.length;
  let position = first.length;
  for (let i = 1; i < glob.length - 1; i++) {
    const piece = glob[i] ?? "";
    const found = text.indexOf(piece, position);
    if (found < 0 || found + piece.length > end) return false;
    position = found + piece.length;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// IP addresses, parsed the way event-ruler's CIDR class (via Java's InetAddress) does.

/** Leading zeros are refused: "010" is octal to some parsers and decimal to others. */
const IPV4 = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/;
const IPV6 = /^[0-9a-fA-F:]*:[0-9a-fA-F:]*$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

function parseIp(text: string): Uint8Array | undefined {
  const v4 = IPV4.exec(text);
  if (v4) {
    const bytes = v4.slice(1).map(Number);
    return bytes.every((byte) => byte <= 255) ? Uint8Array.from(bytes) : undefined;
  }
  if (!IPV6.test(text)) return undefined;
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groupsOf = (half: string | undefined): string[] => (half ? half.split(":") : []);
  const head = groupsOf(halves[0]);
  const tail = groupsOf(halves[1]);
  if (![...head, ...tail].every((group) => HEX_GROUP.test(group))) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  const bytes = new Uint8Array(16);
  groups.forEach((group, i) => {
    const word = Number.parseInt(group, 16);
    bytes[i * 2] = word >> 8;
    bytes[i * 2 + 1] = word & 0xff;
  });
  // Java reads IPv4-mapped IPv6 literals (::ffff:a.b.c.d in hex) as plain IPv4.
  const mapped =
    bytes.subarray(0, 10).every((byte) => byte === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  return mapped ? bytes.slice(12) : bytes;
}

interface CidrBlock {
  readonly network: Uint8Array;
  readonly mask: Uint8Array;
}

/** A block, or why EventBridge rejects it. */
function parseCidr(text: string): CidrBlock | string {
  const parts = text.split("/");
  const [address = "", bits = ""] = parts;
  if (parts.length !== 2 || bits === "")
    return `expected an address, one "/" and a prefix length, e.g. "10.0.0.0/24"`;
  if (!/^[+-]?\d+$/.test(bits)) return `the prefix length "${bits}" must be an integer`;
  const length = Number(bits);
  if (length < 0) return "the prefix length must not be negative";
  const ip = parseIp(address);
  if (ip === undefined) return `"${address}" is not an IPv4 or IPv6 address`;
  const maxLength = ip.length * 8 - 1;
  if (length > maxLength) {
    // event-ruler refuses /32 and /128; a single address is an exact value instead.
    return `the prefix length must be at most ${maxLength} for ${ip.length === 4 ? "IPv4" : "IPv6"} (match a single address with an exact value instead)`;
  }
  const mask = new Uint8Array(ip.length);
  for (let i = 0; i < ip.length; i++) {
    const fixed = Math.min(8, Math.max(0, length - i * 8));
    mask[i] = (0xff << (8 - fixed)) & 0xff;
  }
  return { network: ip.map((byte, i) => byte & (mask[i] ?? 0)), mask };
}

function inCidr(block: CidrBlock, text: string): boolean {
  const ip = parseIp(text);
  if (ip === undefined || ip.length !== block.network.length) return false;
  return ip.every((byte, i) => (byte & (block.mask[i] ?? 0)) === block.network[i]);
}

// ---------------------------------------------------------------------------------------------
// Matching.

/** One leaf requirement of a `$or`-free branch, with the event-ruler sort key that orders it. */
interface Constraint {
  readonly path: readonly string[];
  /** Identity of the path; JSON keeps `a.b` and `a`→`b` apart. */
  readonly key: string;
  /** EventBridge walks a rule's fields sorted by their dotted names. */
  readonly order: string;
  readonly tests: readonly Test[];
  readonly allowsAbsence: boolean;
}

/** `$or` is expanded into branches, as EventBridge compiles it into separate sub-rules. */
function expand(node: ObjectNode, path: readonly string[]): Constraint[][] {
  let branches: Constraint[][] = [[]];
  for (const entry of node.entries) {
    let options: Constraint[][];
    if (entry.kind === "leaf") {
      const leafPath = [...path, entry.name];
      const constraint: Constraint = {
        path: leafPath,
        key: JSON.stringify(leafPath),
        order: leafPath.join("."),
        tests: entry.tests,
        allowsAbsence: entry.allowsAbsence,
      };
      options = [[constraint]];
    } else if (entry.kind === "nested") {
      options = expand(entry.node, [...path, entry.name]);
    } else {
      options = entry.alternatives.flatMap((alternative) => expand(alternative, path));
    }
    branches = branches.flatMap((branch) => options.map((option) => [...branch, ...option]));
  }
  return branches;
}

interface TrieNode {
  readonly children: Map<string, TrieNode>;
  key: string | undefined;
}

function newTrieNode(): TrieNode {
  return { children: new Map(), key: undefined };
}

function addToTrie(root: TrieNode, constraint: Constraint): void {
  let node = root;
  for (const name of constraint.path) {
    let child = node.children.get(name);
    if (child === undefined) {
      child = newTrieNode();
      node.children.set(name, child);
    }
    node = child;
  }
  node.key = constraint.key;
}

/** For each enclosing event array: [array id, element index]. */
type Membership = readonly (readonly [number, number])[];

interface Field {
  readonly value: Leaf;
  readonly membership: Membership;
}

interface ArrayChain {
  readonly array: readonly unknown[];
  readonly parent: ArrayChain | undefined;
}

/**
 * The event's leaves at the paths the pattern names, each with the array elements it sits in.
 * Only those paths are walked, so a big event costs what the pattern looks at.
 */
function collectFields(event: Record<string, unknown>, trie: TrieNode): Map<string, Field[]> {
  const fields = new Map<string, Field[]>();
  let nextArrayId = 0;
  interface Work {
    value: unknown;
    node: TrieNode;
    membership: Membership;
    arrays: ArrayChain | undefined;
  }
  const stack: Work[] = [];
  const pushChildren = (object: Record<string, unknown>, work: Omit<Work, "value">): void => {
    for (const [name, child] of work.node.children) {
      if (Object.hasOwn(object, name)) stack.push({ ...work, value: object[name], node: child });
    }
  };
  pushChildren(event, { node: trie, membership: [], arrays: undefined });
  for (let work = stack.pop(); work !== undefined; work = stack.pop()) {
    const value = toJsonValue(work.value);
    if (value === undefined) continue;
    if (Array.isArray(value)) {
      for (let chain = work.arrays; chain !== undefined; chain = chain.parent) {
        if (chain.array === value) throw new TypeError("event contains a circular reference");
      }
      const id = nextArrayId++;
      const arrays: ArrayChain = { array: value, parent: work.arrays };
      // Pushed last to first so that leaves come out in document order.
      for (let index = value.length - 1; index >= 0; index--) {
        const element: unknown = value[index];
        stack.push({
          value: element,
          node: work.node,
          membership: [...work.membership, [id, index]],
          arrays,
        });
      }
    } else if (isObject(value)) {
      pushChildren(value, work);
    } else if (isLeaf(value) && work.node.key !== undefined) {
      const list = fields.get(work.node.key);
      const field: Field = { value, membership: work.membership };
      if (list) list.push(field);
      else fields.set(work.node.key, [field]);
    }
  }
  return fields;
}

/**
 * A branch matches when each constraint, taken in EventBridge's order, finds a leaf whose
 * array elements agree with those already chosen (event-ruler's ACFinder). `exists: false` is
 * judged against the leaves that agree with the choices made so far, which is why the order
 * is kept: it decides the rare array-of-objects cases exactly as EventBridge does.
 */
function matchBranch(branch: readonly Constraint[], fields: ReadonlyMap<string, readonly Field[]>): boolean {
  const candidates = branch.map((constraint) => fields.get(constraint.key) ?? []);
  if (branch.some((constraint, i) => !constraint.allowsAbsence && candidates[i]?.length === 0)) return false;

  // Memoize on the array choices that later constraints can still see, so that events with
  // large unrelated arrays cost a sum, not a product.
  const relevant: Set<number>[] = Array.from({ length: branch.length + 1 }, () => new Set<number>());
  for (let i = branch.length - 1; i >= 0; i--) {
    const ids = new Set(relevant[i + 1]);
    for (const field of candidates[i] ?? []) for (const [id] of field.membership) ids.add(id);
    relevant[i] = ids;
  }
  const memo = new Map<string, boolean>();

  const step = (index: number, chosen: ReadonlyMap<number, number>): boolean => {
    const constraint = branch[index];
    if (constraint === undefined) return true;
    const visible = relevant[index] ?? new Set<number>();
    const memoKey = `${index}|${[...chosen]
      .filter(([id]) => visible.has(id))
      .sort((a, b) => a[0] - b[0])
      .join(";")}`;
    const known = memo.get(memoKey);
    if (known !== undefined) return known;

    const consistent = (candidates[index] ?? []).filter((field) =>
      field.membership.every(([id, element]) => (chosen.get(id) ?? element) === element),
    );
    let result = constraint.allowsAbsence && consistent.length === 0 && step(index + 1, chosen);
    for (const field of consistent) {
      if (result) break;
      if (!constraint.tests.some((test) => test(field.value))) continue;
      const next = new Map(chosen);
      for (const [id, element] of field.membership) next.set(id, element);
      result = step(index + 1, next);
    }
    memo.set(memoKey, result);
    return result;
  };
  return step(0, new Map());
}

// ---------------------------------------------------------------------------------------------
// Small helpers.

/** The value as JSON.stringify would see it; undefined where JSON has nothing. */
function toJsonValue(value: unknown): unknown {
  let current = value;
  if (isObject(current) && typeof current.toJSON === "function") current = current.toJSON();
  if (typeof current === "number") return Number.isFinite(current) ? current : null;
  if (typeof current === "string" || typeof current === "boolean" || current === null) return current;
  if (typeof current === "object") return current;
  return undefined;
}

function isLeaf(value: unknown): value is Leaf {
  return (
    typeof value === "string" || typeof value === "number" || typeof value === "boolean" || value === null
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (!isObject(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") {
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  }
  if (typeof value === "number") return `the number ${value}`;
  if (typeof value === "boolean") return String(value);
  if (isPlainObject(value)) return "an object";
  if (typeof value === "object") return `a ${value.constructor?.name ?? "non-JSON object"}`;
  return `a ${typeof value}`;
}

const IDENTIFIER = /^[A-Za-z_$][\w$-]*$/;

/** `detail.tags`, `$or[1].source`, `detail["a.b"]`: where in the pattern a problem is. */
function renderPath(path: readonly Segment[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (IDENTIFIER.test(segment)) out += out === "" ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out === "" ? "(root)" : out;
}

/** Code-unit order, like Java's String.compareTo that EventBridge sorts field names with. */
function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}
