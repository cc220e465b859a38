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
 * - a field is its dot-joined path, in the pattern and in the event alike: `{"a.b": […]}` is
 *   `{"a": {"b": […]}}`, and either matches `{"a": {"b": …}}` or `{"a.b": …}`;
 * - a field given twice for one branch (beside a `$or` and inside one of its branches, or as
 *   `"a.b"` and as `"a": {"b"}`) keeps its last definition in the JSON text, as EventBridge does;
 * - a list matches an event array when any element matches any value;
 * - values compare by JSON type: `"5"` never equals `5`, `null` never equals `""`; numbers
 *   compare as numbers (`300` equals `300.0` and `3e2`);
 * - an exact string that is an IPv4 or IPv6 address matches the same address in any spelling
 *   (`10.0.0.1` matches `10.00.0.1`, `2001:db8::1` matches `2001:DB8:0:0:0:0:0:1`), as
 *   event-ruler turns such strings into address ranges;
 * - `anything-but` takes a value, a list of strings or of numbers, or a `prefix`, `suffix`,
 *   `equals-ignore-case` or `wildcard` with one string or a list of them;
 * - `exists` looks at leaves only: an object or an empty array is not a value, `null` is;
 * - objects inside one event array are matched array-consistently: two fields of one pattern
 *   never match in two different elements of the same array.
 *
 * Limits. A pattern over any of these is invalid ({@link validatePattern} says which, and a
 * trigger's `when` gets a 400 field error):
 * - {@link MAX_PATTERN_DEPTH} (64): objects nested in a pattern, and the names in one field's
 *   dot-joined path;
 * - {@link MAX_PATTERN_COMBINATIONS} (1000): the sub-patterns `$or` expands into;
 * - {@link MAX_PATTERN_VALUES} (1000): match values in the whole pattern, and
 *   {@link MAX_LIST_VALUES} (256) in one field's list (each item of an `anything-but` list
 *   counts);
 * - {@link MAX_STRING_LENGTH} (1024): characters in one string match value or operand;
 * - {@link MAX_WILDCARDS} (16): `*` in one `wildcard` value.
 * EventBridge's own pattern budget is its size (2048 characters by default, adjustable); the
 * triggers API keeps patterns to 4096 (`MAX_PATTERN_CHARS` in shared/triggers/schema.ts).
 *
 * Cost. Every string operator runs in time linear in its operand, or in the value for a
 * wildcard and for reading an IP address (see each function's comment; no regular expression
 * ever reads event text). The event is walked once, only along the paths the pattern names,
 * without recursion. Lists of exact values are answered from an index of the field's values,
 * other lists test each value once. Array-consistent matching is a search over the arrays'
 * elements, memoized, split into groups of fields that share no array, and pruned by the
 * fields that must pass in the element chosen: linear in the values for the shapes events
 * have. It can still be made to grow faster (the same field reached through two arrays by
 * dotted keys, hundreds of `$or` branches over a large array), so each evaluation has a work
 * budget, {@link MAX_MATCH_WORK}: one that would need more stops, and the event does not
 * match. Against a 256 KB event, no valid pattern takes 50 ms (`npm run bench -- --only
 * matcher`, BENCHMARKS.md).
 *
 * Deliberate differences from EventBridge (each a corner that no sane pattern relies on):
 * - numbers compare at full double precision, where EventBridge quantizes to 6 decimals;
 * - case is folded per code point, where event-ruler folds per UTF-16 unit (they differ only
 *   for letters outside the Basic Multilingual Plane, such as Deseret);
 * - the limits above, and the work budget: a pattern over a limit is rejected, an event over
 *   the budget does not match.
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
  | { readonly prefix: string | readonly string[] }
  | { readonly suffix: string | readonly string[] }
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
  /** The same answer, with what it cost in {@link MAX_MATCH_WORK} units: for benchmarks and tests. */
  measure(event: unknown): MatchMeasure;
}

export interface MatchMeasure {
  readonly matches: boolean;
  readonly work: number;
  /** The event needed more than {@link MAX_MATCH_WORK}, so it does not match. */
  readonly overBudget: boolean;
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
/** Upper bound on how deeply objects nest in a pattern, and on the names in a field's dot-joined path. */
export const MAX_PATTERN_DEPTH = 64;
/** Upper bound on the match values of a whole pattern (each item of an `anything-but` list counts). */
export const MAX_PATTERN_VALUES = 1000;
/** Upper bound on the match values in one field's list (each item of an `anything-but` list counts). */
export const MAX_LIST_VALUES = 256;
/** Upper bound on the characters (UTF-16 units) of a string match value or operand. */
export const MAX_STRING_LENGTH = 1024;
/** Upper bound on the `*` of one `wildcard` value. */
export const MAX_WILDCARDS = 16;
/**
 * The work one event may cost one compiled pattern, in units of roughly 10 to 30 ns of CPU on
 * the benchmark machine (a value tested by a field's list, an element or a state of the
 * array-consistent search, characters scanned by a wildcard: see COST): an evaluation that
 * would cost more stops, and the event does not match. An event of the product (64 KB at most,
 * arrays of at most a few dozen elements) needs a few thousand units against a trigger; only
 * events built to be expensive come near it. Collecting the event's values, linear in the
 * event, is not counted.
 */
export const MAX_MATCH_WORK = 300_000;

/**
 * Every problem with a pattern, as `path: what is wrong` messages fit for an API's 400 response;
 * an empty array means the pattern is valid. It rejects what EventBridge rejects, and what is
 * over this module's limits.
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
  const program = compileProgram(root);
  const measure = (event: unknown): MatchMeasure => {
    const value = toJsonValue(event);
    if (!isObject(value)) return { matches: false, work: 0, overBudget: false };
    const evaluation = new Evaluation(program, collectFields(value, program));
    try {
      const matches = program.branches.some((branch) => matchBranch(branch, evaluation));
      return { matches, work: evaluation.work, overBudget: false };
    } catch (error) {
      if (error === OVER_BUDGET) return { matches: false, work: evaluation.work, overBudget: true };
      throw error;
    }
  };
  return { matches: (event) => measure(event).matches, measure };
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
type Segment = string | number;

/** A field's list, compiled: what it accepts, and whether it also accepts the field's absence. */
interface ListSpec {
  readonly test: ListTest;
  readonly allowsAbsence: boolean;
  /** Identical lists of one field share their results, even across `$or` branches. */
  readonly key: string;
  /** A list of exact values only: looked up in the event's values instead of testing each. */
  readonly exact: ExactValues | undefined;
}

interface ExactValues {
  readonly strings: ReadonlySet<string>;
  /** {@link addressKey}s of the IP addresses among the strings. */
  readonly addresses: ReadonlySet<string>;
  readonly others: ReadonlySet<unknown>;
}

interface LeafEntry extends ListSpec {
  readonly kind: "leaf";
  readonly name: string;
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
  /** In the order of the JSON text: the last definition of a field wins. */
  readonly entries: readonly (LeafEntry | NestedEntry | OrEntry)[];
}

/**
 * One operator of a list. `weight` is what testing one value costs, in {@link MAX_MATCH_WORK}
 * units, when it does not grow with the value; a test whose cost grows with the value (a
 * wildcard scanning it) charges that itself.
 */
interface Op {
  readonly test: (field: Field, evaluation: Evaluation) => boolean;
  readonly weight: number;
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

interface Analysis {
  readonly issues: string[];
  /** Match values seen so far, against {@link MAX_PATTERN_VALUES}. */
  values: number;
}

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
  const analysis: Analysis = { issues, values: 0 };
  const root = analyzeObject(pattern, [], 0, false, 1, analysis, new Set([pattern]));
  if (analysis.values > MAX_PATTERN_VALUES) {
    issues.push(
      `event pattern is too complex: it has ${analysis.values} match values (at most ${MAX_PATTERN_VALUES} are allowed)`,
    );
  }
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

/** `names`: how many names the field path so far holds once its keys are split at dots. */
function analyzeObject(
  object: Record<string, unknown>,
  path: Segment[],
  names: number,
  insideOr: boolean,
  depth: number,
  analysis: Analysis,
  ancestors: Set<unknown>,
): ObjectNode {
  const { issues } = analysis;
  const entries: (LeafEntry | NestedEntry | OrEntry)[] = [];
  if (depth > MAX_PATTERN_DEPTH) {
    issues.push(`${renderPath(path)}: patterns may nest at most ${MAX_PATTERN_DEPTH} objects deep`);
    return { entries };
  }
  for (const name of Object.keys(object)) {
    const value = object[name];
    if (name === "$or") {
      const alternatives = analyzeOr(value, [...path, "$or"], names, depth, analysis, ancestors);
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
    const fieldNames = names + countDots(name) + 1;
    if (Array.isArray(value)) {
      if (fieldNames > MAX_PATTERN_DEPTH) {
        issues.push(
          `${renderPath(fieldPath)}: a field's path may hold at most ${MAX_PATTERN_DEPTH} names, counting the names that dots join (got ${fieldNames})`,
        );
        continue;
      }
      const list = analyzeList(value, fieldPath, analysis);
      if (list) entries.push({ kind: "leaf", name, ...list });
    } else if (isPlainObject(value)) {
      if (ancestors.has(value)) {
        issues.push(`${renderPath(fieldPath)}: the pattern contains a circular reference`);
      } else if (Object.keys(value).length === 0) {
        issues.push(`${renderPath(fieldPath)}: a nested object must not be empty`);
      } else {
        const inner = new Set(ancestors).add(value);
        const node = analyzeObject(value, fieldPath, fieldNames, insideOr, depth + 1, analysis, inner);
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
  names: number,
  depth: number,
  analysis: Analysis,
  ancestors: Set<unknown>,
): ObjectNode[] | undefined {
  const { issues } = analysis;
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
      alternatives.push(analyzeObject(alternative, altPath, names, true, depth + 1, analysis, inner));
    }
  });
  return alternatives;
}

/** Reports a string operand over {@link MAX_STRING_LENGTH}; true when it is within it. */
type LengthCheck = (text: string, what: string) => boolean;

function analyzeList(list: readonly unknown[], path: Segment[], analysis: Analysis): ListSpec | undefined {
  const { issues } = analysis;
  const where = renderPath(path);
  if (list.length === 0) {
    issues.push(`${where}: the list of match values must not be empty`);
    return undefined;
  }
  const before = issues.length;
  const strings = new Set<string>();
  const addresses = new Set<string>();
  const others = new Set<unknown>();
  const ops: Op[] = [];
  const tally = { values: 0 };
  let allowsAbsence = false;
  const withinLength: LengthCheck = (text, what) => {
    if (text.length <= MAX_STRING_LENGTH) return true;
    issues.push(
      `${where}: ${what} must be at most ${MAX_STRING_LENGTH} characters long (got ${text.length}: ${describe(text)})`,
    );
    return false;
  };
  for (const item of list) {
    if (typeof item === "string") {
      tally.values += 1;
      if (!withinLength(item, "a match value")) continue;
      const address = parseIp(item);
      if (address === undefined) strings.add(item);
      else addresses.add(addressKey(address));
    } else if (typeof item === "number") {
      tally.values += 1;
      if (Number.isFinite(item)) others.add(item);
      else issues.push(`${where}: numbers must be finite (got ${describe(item)})`);
    } else if (typeof item === "boolean" || item === null) {
      tally.values += 1;
      others.add(item);
    } else if (isPlainObject(item)) {
      const condition = analyzeOperator(item, where, issues, tally, withinLength);
      if (condition === "absent") allowsAbsence = true;
      else if (condition) ops.push(condition);
    } else {
      tally.values += 1;
      issues.push(
        `${where}: match values must be strings, numbers, booleans, null or operator objects (got ${describe(item)})`,
      );
    }
  }
  analysis.values += tally.values;
  if (tally.values > MAX_LIST_VALUES) {
    issues.push(
      `${where}: a field's list may hold at most ${MAX_LIST_VALUES} match values (got ${tally.values})`,
    );
  }
  if (issues.length > before) return undefined;
  return {
    test: listTest(strings, addresses, others, ops),
    allowsAbsence,
    key: JSON.stringify(list),
    exact: ops.length === 0 ? { strings, addresses, others } : undefined,
  };
}

/**
 * A list's test, O(1) for its exact values (hashed) plus its operators' own costs. The work
 * is charged to the evaluation's budget.
 */
type ListTest = (field: Field, evaluation: Evaluation) => boolean;

function listTest(
  strings: ReadonlySet<string>,
  addresses: ReadonlySet<string>,
  others: ReadonlySet<unknown>,
  ops: readonly Op[],
): ListTest {
  return (field, evaluation) => {
    evaluation.charge(COST.test);
    const value = field.value;
    if (typeof value === "string") {
      if (strings.has(value)) return true;
      if (addresses.size > 0) {
        const key = addressKeyOf(field);
        if (key !== undefined && addresses.has(key)) return true;
      }
    } else if (others.has(value)) {
      return true;
    }
    for (const op of ops) {
      evaluation.charge(op.weight);
      if (op.test(field, evaluation)) return true;
    }
    return false;
  };
}

/**
 * What the matcher's steps cost in {@link MAX_MATCH_WORK} units, calibrated on the benchmark
 * machine (`npm run bench -- --only matcher`, whose cases each spend the budget one way) so
 * that spending all of it takes 10 to 20 ms, whatever it is spent on.
 */
const COST = {
  /** A value tested by a field's list (the list's hashed exact values included). */
  test: 8,
  /** A slot of the array-element trie visited. */
  slot: 4,
  /** A candidate choice looked at by the array-consistent search. */
  option: 16,
  /** A branch of the pattern tried (its groups, the maps that sort them out). */
  branch: 64,
  /** A search state (its memo key, its map of choices, the garbage they leave). */
  state: 256,
  /** Code points of a case-folded operand per unit. */
  foldedPerUnit: 4,
  /** Characters a wildcard's search passes over per unit (indexOf's worst case is ~7 ns each). */
  scanPerUnit: 1,
} as const;

/** Work units of an operand: one, plus one per 64 characters it may compare. */
function weightOf(chars: number, perUnit = 64): number {
  return 1 + Math.floor(chars / perUnit);
}

/** An operator, `"absent"` for `{"exists": false}`, undefined when invalid. */
function analyzeOperator(
  condition: Record<string, unknown>,
  where: string,
  issues: string[],
  tally: { values: number },
  withinLength: LengthCheck,
): Op | "absent" | undefined {
  const keys = Object.keys(condition);
  const [operator] = keys;
  tally.values += 1;
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
  const stringOp = (test: (value: string, evaluation: Evaluation) => boolean, weight: number): Op => ({
    test: (field, evaluation) => typeof field.value === "string" && test(field.value, evaluation),
    weight,
  });
  switch (operator) {
    case "prefix":
    case "suffix": {
      const affix = analyzeAffix(operator, operand, fail);
      if (affix === undefined || !withinLength(affix.text, `"${operator}"`)) return undefined;
      if (affix.ignoreCase) {
        const folded = fold(affix.text);
        const weight = weightOf(folded.lower.length, COST.foldedPerUnit);
        return operator === "prefix"
          ? stringOp((value) => foldedPrefix(folded, value), weight)
          : stringOp((value) => foldedSuffix(folded, value), weight);
      }
      const text = affix.text;
      // startsWith / endsWith: O(|text|).
      return operator === "prefix"
        ? stringOp((value) => value.startsWith(text), weightOf(text.length))
        : stringOp((value) => value.endsWith(text), weightOf(text.length));
    }
    case "equals-ignore-case": {
      if (typeof operand !== "string")
        return fail(`"equals-ignore-case" must be a string (got ${describe(operand)})`);
      if (!withinLength(operand, `"equals-ignore-case"`)) return undefined;
      const folded = fold(operand);
      return stringOp(
        (value) => foldedEquals(folded, value),
        weightOf(folded.lower.length, COST.foldedPerUnit),
      );
    }
    case "wildcard": {
      if (typeof operand !== "string") return fail(`"wildcard" must be a string (got ${describe(operand)})`);
      if (!withinLength(operand, `"wildcard"`)) return undefined;
      const glob = parseWildcard(operand);
      if (typeof glob === "string") return fail(`"wildcard" ${glob}`);
      return stringOp((value, evaluation) => globMatches(glob, value, evaluation), 1);
    }
    case "exists": {
      if (typeof operand !== "boolean")
        return fail(`"exists" must be true or false (got ${describe(operand)})`);
      return operand ? { test: () => true, weight: 1 } : "absent";
    }
    case "numeric": {
      const range = analyzeNumeric(operand, fail);
      if (range === undefined) return undefined;
      return {
        test: ({ value }) =>
          typeof value === "number" &&
          (range.lowOpen ? value > range.low : value >= range.low) &&
          (range.highOpen ? value < range.high : value <= range.high),
        weight: 1,
      };
    }
    case "cidr": {
      if (typeof operand !== "string") {
        return fail(`"cidr" must be a string such as "10.0.0.0/24" (got ${describe(operand)})`);
      }
      if (!withinLength(operand, `"cidr"`)) return undefined;
      const block = parseCidr(operand);
      if (typeof block === "string")
        return fail(`"cidr" value ${JSON.stringify(operand)} is invalid: ${block}`);
      return { test: (field) => inCidr(block, addressOf(field)), weight: 1 };
    }
    case "anything-but": {
      tally.values -= 1;
      const excluded = analyzeAnythingBut(operand, fail, tally, withinLength);
      if (excluded === undefined) return undefined;
      return { test: (field, evaluation) => !excluded.test(field, evaluation), weight: excluded.weight };
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

/**
 * What anything-but EXCLUDES, as an operator. Exclusions only ever hit values of their own JSON
 * type: anything-but "5" still matches 5, and every anything-but matches null and booleans
 * (event-ruler's ByteMachine). Plain strings compare as strings, never as IP addresses.
 */
function analyzeAnythingBut(
  operand: unknown,
  fail: (message: string) => undefined,
  tally: { values: number },
  withinLength: LengthCheck,
): Op | undefined {
  const exact = (test: (field: Field) => boolean): Op => ({ test, weight: 1 });
  if (typeof operand === "string") {
    tally.values += 1;
    if (!withinLength(operand, `"anything-but"`)) return undefined;
    return exact(({ value }) => value === operand);
  }
  if (typeof operand === "number") {
    tally.values += 1;
    const problem = numberProblem(operand);
    if (problem !== undefined) return fail(`"anything-but" value ${operand} ${problem}`);
    return exact(({ value }) => value === operand);
  }
  if (Array.isArray(operand)) {
    const items: readonly unknown[] = operand;
    tally.values += Math.max(1, items.length);
    if (items.length === 0) return fail(`"anything-but" list must not be empty`);
    if (items.every((item) => typeof item === "string")) {
      for (const item of items as readonly string[])
        if (!withinLength(item, `"anything-but"`)) return undefined;
      const set = new Set<unknown>(items);
      return exact(({ value }) => typeof value === "string" && set.has(value));
    }
    if (items.every((item) => typeof item === "number")) {
      for (const item of items) {
        const problem = numberProblem(item as number);
        if (problem !== undefined) return fail(`"anything-but" value ${item} ${problem}`);
      }
      const set = new Set<unknown>(items);
      return exact(({ value }) => typeof value === "number" && set.has(value));
    }
    const odd = items.find((item) => typeof item !== "string" && typeof item !== "number");
    return fail(
      odd === undefined
        ? `"anything-but" list must hold only strings or only numbers, not both`
        : `"anything-but" list must hold only strings or only numbers (got ${describe(odd)})`,
    );
  }
  tally.values += 1;
  const expected = `"anything-but" must be a string, a number, a list of strings or numbers, or an object with "prefix", "suffix", "equals-ignore-case" or "wildcard"`;
  if (!isPlainObject(operand)) return fail(`${expected} (got ${describe(operand)})`);
  const keys = Object.keys(operand);
  const [operator] = keys;
  if (operator === undefined || keys.length > 1) {
    return fail(
      `${expected} (got an object with ${keys.length === 0 ? "no keys" : `"${keys.join('", "')}"`})`,
    );
  }
  if (
    operator !== "prefix" &&
    operator !== "suffix" &&
    operator !== "equals-ignore-case" &&
    operator !== "wildcard"
  ) {
    return fail(`${expected} (got unsupported "${operator}")`);
  }
  const what = `"anything-but": "${operator}"`;
  const texts = stringOrStrings(operand[operator], what, fail);
  if (texts === undefined) return undefined;
  tally.values += texts.length - 1;
  for (const text of texts) if (!withinLength(text, what)) return undefined;
  const chars = texts.reduce((sum, text) => sum + text.length, 0);
  const strings = (test: (value: string) => boolean, weight: number): Op => ({
    test: ({ value }) => typeof value === "string" && test(value),
    weight: weight + texts.length - 1,
  });
  switch (operator) {
    case "prefix":
    case "suffix": {
      // event-ruler: "Null prefix/suffix not allowed".
      if (texts.some((text) => text === "")) return fail(`${what} must not be empty`);
      // Each startsWith / endsWith is O(|text|): O(Σ|texts|) in all.
      return operator === "prefix"
        ? strings((value) => texts.some((text) => value.startsWith(text)), weightOf(chars))
        : strings((value) => texts.some((text) => value.endsWith(text)), weightOf(chars));
    }
    case "equals-ignore-case": {
      const all = texts.map(fold);
      return strings(
        (value) => all.some((folded) => foldedEquals(folded, value)),
        weightOf(chars, COST.foldedPerUnit),
      );
    }
    case "wildcard": {
      const globs: Glob[] = [];
      for (const text of texts) {
        const glob = parseWildcard(text);
        if (typeof glob === "string") return fail(`${what} ${glob}`);
        globs.push(glob);
      }
      // Each glob is linear in the value, so a list costs one pass per glob.
      return {
        test: ({ value }, evaluation) =>
          typeof value === "string" && globs.some((glob) => globMatches(glob, value, evaluation)),
        weight: texts.length,
      };
    }
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

function countDots(name: string): number {
  let dots = 0;
  for (let at = name.indexOf("."); at >= 0; at = name.indexOf(".", at + 1)) dots++;
  return dots;
}

// ---------------------------------------------------------------------------------------------
// Strings: case-folded and wildcard matching, each linear.

/**
 * A string to compare ignoring case: per code point, its lower- and upper-case forms.
 * EventBridge folds case character by character (event-ruler's EqualsIgnoreCaseParser), so
 * "ß" matches "SS" (its upper case) but not "ss".
 */
interface Folded {
  readonly lower: readonly string[];
  readonly upper: readonly string[];
  /** Per code point, its forms as single UTF-16 units when both are one (else -1): the fast path. */
  readonly lowerUnit: Int32Array;
  readonly upperUnit: Int32Array;
  /** Shortest and longest length, in UTF-16 units, of a string the pattern can match. */
  readonly min: number;
  readonly max: number;
}

function fold(text: string): Folded {
  const lower: string[] = [];
  const upper: string[] = [];
  let min = 0;
  let max = 0;
  for (const char of text) {
    const lo = char.toLowerCase();
    const up = char.toUpperCase();
    lower.push(lo);
    upper.push(up);
    min += Math.min(lo.length, up.length);
    max += Math.max(lo.length, up.length);
  }
  const single = (i: number) => (lower[i]?.length === 1 && upper[i]?.length === 1 ? 1 : 0);
  const unit = (forms: string[]) =>
    Int32Array.from(forms, (form, i) => (single(i) ? form.charCodeAt(0) : -1));
  return { lower, upper, lowerUnit: unit(lower), upperUnit: unit(upper), min, max };
}

/**
 * Where in `text` the folded pattern, read from `start`, can end; O(|pattern|). Two forms of
 * one code point can both fit at one offset only if one is a proper prefix of the other, which
 * no Unicode code point has (a unit test checks every one): so the walk follows one offset, and
 * hands over to {@link foldedEndsFrom}, which follows several, only if some future case mapping
 * breaks that.
 */
function foldedEnds(folded: Folded, text: string, start: number): number[] {
  let at = start;
  for (let i = 0; i < folded.lower.length; i++) {
    const lu = folded.lowerUnit[i] as number;
    if (lu >= 0) {
      const code = text.charCodeAt(at);
      if (code !== lu && code !== folded.upperUnit[i]) return [];
      at++;
      continue;
    }
    const lo = folded.lower[i] as string;
    const up = folded.upper[i] as string;
    if (text.startsWith(lo, at)) {
      if (up.length !== lo.length && text.startsWith(up, at)) return foldedEndsFrom(folded, text, i, [at]);
      at += lo.length;
    } else if (up !== lo && text.startsWith(up, at)) {
      at += up.length;
    } else {
      return [];
    }
  }
  return [at];
}

/** {@link foldedEnds} from code point `i` on, following every offset: O(|pattern|²) at worst. */
function foldedEndsFrom(folded: Folded, text: string, from: number, start: number[]): number[] {
  let offsets = start;
  for (let i = from; i < folded.lower.length && offsets.length > 0; i++) {
    const lo = folded.lower[i] as string;
    const up = folded.upper[i] as string;
    const next: number[] = [];
    for (const at of offsets) {
      if (text.startsWith(lo, at)) next.push(at + lo.length);
      if (up !== lo && text.startsWith(up, at) && !next.includes(at + up.length)) next.push(at + up.length);
    }
    offsets = next;
  }
  return offsets;
}

/** The same, backwards from the end of `text`: where the pattern can start. O(|pattern|). */
function foldedStarts(folded: Folded, text: string): boolean {
  let at = text.length;
  for (let i = folded.lower.length - 1; i >= 0; i--) {
    const lu = folded.lowerUnit[i] as number;
    if (lu >= 0) {
      const code = text.charCodeAt(at - 1);
      if (code !== lu && code !== folded.upperUnit[i]) return false;
      at--;
      continue;
    }
    const lo = folded.lower[i] as string;
    const up = folded.upper[i] as string;
    const a = at - lo.length;
    const b = at - up.length;
    if (a >= 0 && text.startsWith(lo, a)) {
      // Both forms fit only if one is a proper suffix of the other: see foldedEnds.
      if (up.length !== lo.length && b >= 0 && text.startsWith(up, b))
        return foldedStartsFrom(folded, text, i, [at]);
      at = a;
    } else if (up !== lo && b >= 0 && text.startsWith(up, b)) {
      at = b;
    } else {
      return false;
    }
  }
  return true;
}

/** {@link foldedStarts} from code point `i` down, following every offset: O(|pattern|²) at worst. */
function foldedStartsFrom(folded: Folded, text: string, from: number, start: number[]): boolean {
  let offsets = start;
  for (let i = from; i >= 0 && offsets.length > 0; i--) {
    const lo = folded.lower[i] as string;
    const up = folded.upper[i] as string;
    const next: number[] = [];
    for (const at of offsets) {
      const a = at - lo.length;
      if (a >= 0 && text.startsWith(lo, a)) next.push(a);
      const b = at - up.length;
      if (up !== lo && b >= 0 && text.startsWith(up, b) && !next.includes(b)) next.push(b);
    }
    offsets = next;
  }
  return offsets.length > 0;
}

/** O(1) when the lengths rule it out, else O(|pattern|): the value is never read past that. */
function foldedEquals(folded: Folded, text: string): boolean {
  if (text.length < folded.min || text.length > folded.max) return false;
  return foldedEnds(folded, text, 0).includes(text.length);
}

/** O(|pattern|): only the value's first `folded.max` units are read. */
function foldedPrefix(folded: Folded, text: string): boolean {
  return text.length >= folded.min && foldedEnds(folded, text, 0).length > 0;
}

/** O(|pattern|): only the value's last `folded.max` units are read. */
function foldedSuffix(folded: Folded, text: string): boolean {
  return text.length >= folded.min && foldedStarts(folded, text);
}

/** The literal pieces between unescaped `*`s. */
type Glob = readonly string[];

/**
 * A glob, or why it is refused: `**` (EventBridge), an escape other than `\*` and `\\`
 * (EventBridge), more than {@link MAX_WILDCARDS} `*` (this module's limit). O(|text|).
 */
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
  if (pieces.length - 1 > MAX_WILDCARDS) {
    return `value ${JSON.stringify(text)} has ${pieces.length - 1} "*" (at most ${MAX_WILDCARDS} are allowed)`;
  }
  return pieces;
}

/**
 * O(|text| + |glob|). The first piece must start the text and the last end it; the middle
 * pieces are found left to right with indexOf, each search starting where the previous piece
 * ended, so no character is scanned by two searches that both succeed, and the one search that
 * fails ends the match. The leftmost placement of a piece leaves the most room for the rest, so
 * this greedy walk never backtracks and is exact. (V8's indexOf is linear in the text: linear
 * search for short pieces, Boyer-Moore-Horspool falling back to Boyer-Moore for long ones.)
 */
function globMatches(glob: Glob, text: string, evaluation: Evaluation): boolean {
  const first = glob[0] ?? "";
  if (glob.length === 1) return text === first;
  const last = glob[glob.length - 1] ?? "";
  if (text.length < first.length + last.length || !text.startsWith(first) || !text.endsWith(last))
    return false;
  const end = text.length - last.length;
  let position = first.length;
  for (let i = 1; i < glob.length - 1; i++) {
    const piece = glob[i] ?? "";
    const found = text.indexOf(piece, position);
    // The characters this search passed over, at one unit each: the worst case of indexOf.
    evaluation.charge(
      Math.floor(((found < 0 ? text.length : found + piece.length) - position) / COST.scanPerUnit),
    );
    if (found < 0 || found + piece.length > end) return false;
    position = found + piece.length;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// IP addresses, read as event-ruler's CIDR class does: its pre-checks
// (`[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+`, `[0-9a-fA-F:]*:[0-9a-fA-F:]*`), then Java's
// InetAddress (sun.net.util.IPAddressUtil textToNumericFormatV4 / V6). Hand-written scanners,
// one pass each with early exits: no regular expression reads the value.

/**
 * Four decimal parts of at most 255, at most 15 characters in all (Java refuses longer text);
 * leading zeros are decimal, so "10.00.0.1" is 10.0.0.1. O(1): at most 16 characters are read.
 */
function parseIpv4(text: string): Uint8Array | undefined {
  if (text.length > 15) return undefined;
  const bytes = new Uint8Array(4);
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x2e) {
      if (digits === 0 || part === 3 || value > 255) return undefined;
      bytes[part++] = value;
      value = 0;
      digits = 0;
    } else if (code >= 0x30 && code <= 0x39) {
      value = value * 10 + (code - 0x30);
      digits++;
    } else {
      return undefined;
    }
  }
  if (part !== 3 || digits === 0 || value > 255) return undefined;
  bytes[3] = value;
  return bytes;
}

function hexDigit(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x61 && code <= 0x66) return code - 0x57;
  if (code >= 0x41 && code <= 0x46) return code - 0x37;
  return -1;
}

/**
 * Java's inet_pton6 on hex digits and colons only (no scope, no embedded IPv4): groups of any
 * number of hex digits worth at most 0xffff, one `::`, exactly 16 bytes. IPv4-mapped addresses
 * (::ffff:a00:1) come back as IPv4, as Java returns them. O(|text|), one pass: it stops at the
 * first character that cannot belong to an address, or at the ninth group.
 */
function parseIpv6(text: string): Uint8Array | undefined {
  const length = text.length;
  if (length < 2) return undefined;
  const bytes = new Uint8Array(16);
  let i = 0;
  let j = 0;
  let gap = -1;
  let sawDigit = false;
  let group = 0;
  if (text.charCodeAt(0) === 0x3a) {
    if (text.charCodeAt(1) !== 0x3a) return undefined;
    i = 1;
  }
  while (i < length) {
    const code = text.charCodeAt(i++);
    const digit = hexDigit(code);
    if (digit >= 0) {
      group = (group << 4) | digit;
      if (group > 0xffff) return undefined;
      sawDigit = true;
      continue;
    }
    if (code !== 0x3a) return undefined;
    if (!sawDigit) {
      if (gap !== -1) return undefined;
      gap = j;
      continue;
    }
    if (i === length || j + 2 > 16) return undefined;
    bytes[j++] = group >> 8;
    bytes[j++] = group & 0xff;
    sawDigit = false;
    group = 0;
  }
  if (sawDigit) {
    if (j + 2 > 16) return undefined;
    bytes[j++] = group >> 8;
    bytes[j++] = group & 0xff;
  }
  if (gap !== -1) {
    if (j === 16) return undefined;
    const moved = j - gap;
    for (let k = 1; k <= moved; k++) {
      bytes[16 - k] = bytes[gap + moved - k] as number;
      bytes[gap + moved - k] = 0;
    }
    j = 16;
  }
  if (j !== 16) return undefined;
  const mapped =
    bytes.subarray(0, 10).every((byte) => byte === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  return mapped ? bytes.slice(12) : bytes;
}

/** The address a string spells, if it is an IPv4 or IPv6 literal. O(|text|). */
function parseIp(text: string): Uint8Array | undefined {
  return parseIpv4(text) ?? parseIpv6(text);
}

/** Equal addresses, equal keys; IPv4 and IPv6 keys differ by length. */
function addressKey(address: Uint8Array): string {
  return String.fromCharCode(...address);
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

/** O(1): at most 16 bytes compared (the address was parsed once per value, see addressOf). */
function inCidr(block: CidrBlock, ip: Uint8Array | undefined): boolean {
  if (ip === undefined || ip.length !== block.network.length) return false;
  return ip.every((byte, i) => (byte & (block.mask[i] ?? 0)) === block.network[i]);
}

// ---------------------------------------------------------------------------------------------
// Compilation: `$or` expanded into branches, field names into a trie of dot-separated names.

/** One leaf requirement of a `$or`-free branch. */
interface Constraint {
  /** Index into per-event tables. */
  readonly id: number;
  /** The dot-joined path: what EventBridge calls the field. */
  readonly name: string;
  /** The name's node in the name trie, whose id indexes the event's fields. */
  readonly field: number;
  readonly test: ListTest;
  readonly allowsAbsence: boolean;
  readonly exact: ExactValues | undefined;
}

/** A node of the trie of field names split at dots; `field` is set where a name ends. */
interface NameNode {
  readonly children: Map<string, NameNode>;
  field: number;
}

interface Program {
  /** Each branch's constraints, in EventBridge's order: by name, in code-unit order. */
  readonly branches: readonly (readonly Constraint[])[];
  readonly names: NameNode;
  readonly fieldCount: number;
  readonly constraintCount: number;
}

function compileProgram(root: ObjectNode): Program {
  const names: NameNode = { children: new Map(), field: -1 };
  let fieldCount = 0;
  const constraints = new Map<string, Constraint>();
  const constraintOf = (name: string, list: ListSpec): Constraint => {
    const key = `${name}\u0000${list.key}`;
    let constraint = constraints.get(key);
    if (constraint === undefined) {
      let node = names;
      for (const part of name.split(".")) {
        let child = node.children.get(part);
        if (child === undefined) {
          child = { children: new Map(), field: -1 };
          node.children.set(part, child);
        }
        node = child;
      }
      if (node.field < 0) node.field = fieldCount++;
      constraint = {
        id: constraints.size,
        name,
        field: node.field,
        test: list.test,
        allowsAbsence: list.allowsAbsence,
        exact: list.exact,
      };
      constraints.set(key, constraint);
    }
    return constraint;
  };

  // As event-ruler's JsonRuleCompiler: fields are written, in the order of the JSON text, into
  // every branch built so far; `$or` copies the branches once per alternative. A field written
  // twice into a branch keeps its last definition.
  type Rule = Map<string, Constraint>;
  const walk = (node: ObjectNode, prefix: string | undefined, rules: Rule[]): Rule[] => {
    let current = rules;
    for (const entry of node.entries) {
      if (entry.kind === "or") {
        const base = current;
        current = entry.alternatives.flatMap((alternative) =>
          walk(
            alternative,
            prefix,
            base.map((rule) => new Map(rule)),
          ),
        );
        continue;
      }
      const name = prefix === undefined ? entry.name : `${prefix}.${entry.name}`;
      if (entry.kind === "nested") {
        current = walk(entry.node, name, current);
      } else {
        const constraint = constraintOf(name, entry);
        for (const rule of current) rule.set(name, constraint);
      }
    }
    return current;
  };
  const branches = walk(root, undefined, [new Map()]).map((rule) =>
    [...rule.values()].sort((a, b) => compareStrings(a.name, b.name)),
  );
  return { branches, names, fieldCount, constraintCount: constraints.size };
}

// ---------------------------------------------------------------------------------------------
// The event's fields.

/** An event array element a value sits in, innermost first: [array id, element index]. */
interface Link {
  readonly array: number;
  readonly index: number;
  readonly parent: Link | undefined;
}

/**
 * A value, and the array element it sits in when it sits in one: a Field is its own innermost
 * Link (no second object per array element), `array` -1 when it is in no array.
 */
interface Field {
  readonly value: Leaf;
  readonly array: number;
  readonly index: number;
  readonly parent: Link | undefined;
  /** The address the value spells, parsed at most once: null when it spells none. */
  address: Uint8Array | null | undefined;
  addressKey: string | null | undefined;
}

function addressOf(field: Field): Uint8Array | undefined {
  if (field.address === undefined) {
    field.address = typeof field.value === "string" ? (parseIp(field.value) ?? null) : null;
  }
  return field.address ?? undefined;
}

function addressKeyOf(field: Field): string | undefined {
  if (field.addressKey === undefined) {
    const address = addressOf(field);
    field.addressKey = address === undefined ? null : addressKey(address);
  }
  return field.addressKey ?? undefined;
}

/**
 * The event's leaves at the names the pattern uses, each with the array elements it sits in.
 * Keys are split at dots, so `{"a.b": 1}` and `{"a": {"b": 1}}` both give `a.b`. Only objects
 * on the pattern's paths are entered, and each key of those is looked at once: O(size of the
 * event's part the pattern looks at). Arrays are walked with an explicit stack, element by
 * element in document order, so any nesting depth is fine; objects recurse, at most once per
 * name of the pattern's longest path.
 */
function collectFields(event: Record<string, unknown>, program: Program): Field[][] {
  const fields: Field[][] = Array.from({ length: program.fieldCount }, () => []);
  const frames: {
    array: readonly unknown[];
    id: number;
    next: number;
    node: NameNode;
    link: Link | undefined;
  }[] = [];
  const onPath = new Set<unknown>();
  let nextArrayId = 0;
  /** A value at `node`, inside element `index` of array `array` (-1: none) under `link`. */
  const visit = (
    raw: unknown,
    node: NameNode,
    array: number,
    index: number,
    link: Link | undefined,
  ): void => {
    const value = toJsonValue(raw);
    if (value === undefined) return;
    if (Array.isArray(value)) {
      if (onPath.has(value)) throw new TypeError("event contains a circular reference");
      onPath.add(value);
      const inner = array < 0 ? link : { array, index, parent: link };
      frames.push({ array: value, id: nextArrayId++, next: 0, node, link: inner });
    } else if (isObject(value)) {
      const inner = array < 0 ? link : { array, index, parent: link };
      for (const key in value) {
        if (!Object.hasOwn(value, key)) continue;
        let child = node.children.get(key);
        if (child === undefined && key.includes(".")) child = followDots(node, key);
        if (child !== undefined) visit(value[key], child, -1, -1, inner);
      }
    } else if (node.field >= 0 && isLeaf(value)) {
      // Every property set up front: one hidden class for all fields.
      const field: Field = { value, array, index, parent: link, address: undefined, addressKey: undefined };
      (fields[node.field] as Field[]).push(field);
    }
  };
  visit(event, program.names, -1, -1, undefined);
  for (let top = frames.at(-1); top !== undefined; top = frames.at(-1)) {
    if (top.next >= top.array.length) {
      onPath.delete(top.array);
      frames.pop();
    } else {
      const index = top.next++;
      visit(top.array[index], top.node, top.id, index, top.link);
    }
  }
  return fields;
}

/** The node a dotted key leads to, or undefined. O(|key|). */
function followDots(node: NameNode, key: string): NameNode | undefined {
  let current: NameNode | undefined = node;
  let start = 0;
  while (current !== undefined) {
    const dot = key.indexOf(".", start);
    current = current.children.get(dot < 0 ? key.slice(start) : key.slice(start, dot));
    if (dot < 0) return current;
    start = dot + 1;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Matching.

/** Thrown inside an evaluation that runs over {@link MAX_MATCH_WORK}. */
const OVER_BUDGET = Symbol("over the matcher's work budget");

/**
 * Slots of event array elements, by array id: the element indexes in increasing order (the
 * event is walked in document order), and their slots. Found by binary search; dense arrays
 * of numbers cost far less to build than maps or sparse arrays.
 */
type Elements = Map<number, Children>;

/**
 * An element below a slot: a Slot when it holds nested arrays or several values, or just the
 * index of its one value (most elements: no object per element).
 */
type Child = Slot | number;

interface Children {
  readonly indexes: number[];
  readonly items: Child[];
}

/** Where element `index` is in `children`, or -1. O(1) for the last one, else O(log elements). */
function positionOf(children: Children, index: number): number {
  const { indexes } = children;
  let high = indexes.length - 1;
  if (high >= 0 && indexes[high] === index) return high;
  let low = 0;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const at = indexes[middle] as number;
    if (at === index) return middle;
    if (at < index) low = middle + 1;
    else high = middle - 1;
  }
  return -1;
}

function childAt(children: Children, index: number): Child | undefined {
  const at = positionOf(children, index);
  return at < 0 ? undefined : children.items[at];
}

/** Adds element `index`: O(1) in document order, the order the event is walked in. */
function addChild(children: Children, index: number, child: Child): void {
  const { indexes, items } = children;
  let at = indexes.length;
  // Out of document order: cannot happen with a depth-first walk, kept correct anyway.
  while (at > 0 && (indexes[at - 1] as number) > index) at--;
  if (at === indexes.length) {
    indexes.push(index);
    items.push(child);
  } else {
    indexes.splice(at, 0, index);
    items.splice(at, 0, child);
  }
}

/** The same, for the few elements that hold a passing value. */
type Passing = Map<number, Map<number, Child>>;

/**
 * The values of one field name in one event, as a trie of the array elements they sit in: a
 * slot per element path, holding the values that end there (an element whose only content is
 * one value is just that value's index). Built once per name and event, in O(values × array
 * depth), and shared by every constraint on that name.
 */
interface Shape {
  readonly fields: readonly Field[];
  readonly root: Slot;
  /** Each value's slot: where it ends, or, for an element's one value, the slot above. */
  readonly owners: readonly Slot[];
  /** Per value: 1 when it is its element's one value (a number child of its owner). */
  readonly single: Uint8Array;
  /** Every event array that holds a value. */
  readonly arrays: ReadonlySet<number>;
  readonly slotCount: number;
  /** Built when a second exact list asks (see Evaluation.settle). */
  index: ValueIndex | undefined;
  exactLists: number;
}

interface Slot {
  readonly id: number;
  readonly parent: Slot | undefined;
  /** Which element of which array of the parent this slot is (-1 for the root). */
  readonly array: number;
  readonly index: number;
  /** The first value that ends here (-1: none), and any others (arrays of arrays). */
  first: number;
  more: number[] | undefined;
  arrays: Elements | undefined;
}

/** One constraint's view of a shape: which values pass, found lazily or all at once. */
interface Candidates {
  readonly shape: Shape;
  /** Per value: 0 untested, 1 passes, -1 fails. Unused when settled. */
  results: Int8Array | undefined;
  /** Per slot id: 1 when a value below passes, -1 when none does, 0 when not known yet. */
  pass: Int8Array | undefined;
  /**
   * Every result is known (a list of exact values, looked up in the value index): the passing
   * values, and per slot the elements below that hold one. Unmarked slots hold none.
   */
  readonly settled: Settled | undefined;
}

interface Settled {
  readonly hits: ReadonlySet<number>;
  /** Slot ids with a passing value below (or at) them. */
  readonly marked: ReadonlySet<number>;
  /** Per slot id, the elements below that hold a passing value. */
  readonly passing: ReadonlyMap<number, Passing>;
}

/** One event against one compiled pattern: shared by all its branches. */
class Evaluation {
  #work = 0;
  readonly #candidates: (Candidates | undefined)[];
  readonly #shapes: (Shape | undefined)[];

  constructor(
    program: Program,
    private readonly fields: readonly Field[][],
  ) {
    this.#candidates = new Array(program.constraintCount);
    this.#shapes = new Array(program.fieldCount);
  }

  get work(): number {
    return this.#work;
  }

  charge(units: number): void {
    this.#work += units;
    if (this.#work > MAX_MATCH_WORK) throw OVER_BUDGET;
  }

  /** O(values × array depth), once per field name and event. */
  shape(field: number): Shape {
    const known = this.#shapes[field];
    if (known !== undefined) return known;
    const fields = this.fields[field] ?? [];
    let ids = 0;
    const slot = (parent: Slot | undefined, array: number, index: number): Slot => ({
      id: ids++,
      parent,
      array,
      index,
      first: -1,
      more: undefined,
      arrays: undefined,
    });
    const root = slot(undefined, -1, -1);
    const arrays = new Set<number>();
    const owners: Slot[] = new Array(fields.length);
    const single = new Uint8Array(fields.length);
    const addValue = (at: Slot, i: number): void => {
      owners[i] = at;
      if (at.first < 0) at.first = i;
      else if (at.more) at.more.push(i);
      else at.more = [i];
    };
    /** Turns element `index`'s one value into a slot, to hold more. */
    const upgrade = (at: Slot, children: Children, position: number, array: number, index: number): Slot => {
      const only = children.items[position] as number;
      const made = slot(at, array, index);
      children.items[position] = made;
      single[only] = 0;
      addValue(made, only);
      return made;
    };
    const path: Link[] = [];
    for (let i = 0; i < fields.length; i++) {
      const value = fields[i] as Field;
      let depth = 0;
      for (let link: Link | undefined = value.array < 0 ? value.parent : value; link; link = link.parent) {
        path[depth++] = link;
      }
      let at = root;
      let placed = false;
      for (let k = depth - 1; k >= 0 && !placed; k--) {
        const link = path[k] as Link;
        const array = link.array;
        const index = link.index;
        arrays.add(array);
        at.arrays ??= new Map();
        let children: Children | undefined = at.arrays.get(array);
        if (children === undefined) {
          children = { indexes: [], items: [] };
          at.arrays.set(array, children);
        }
        const position = positionOf(children, index);
        const child: Child | undefined = position < 0 ? undefined : children.items[position];
        if (child === undefined && k === 0) {
          // The commonest case: an element's one value, kept as a number.
          addChild(children, index, i);
          owners[i] = at;
          single[i] = 1;
          placed = true;
        } else if (child === undefined) {
          const made = slot(at, array, index);
          addChild(children, index, made);
          at = made;
        } else if (typeof child === "number") {
          at = upgrade(at, children, position, array, index);
        } else {
          at = child;
        }
      }
      if (!placed) addValue(at, i);
    }
    const shape: Shape = {
      fields,
      root,
      owners,
      single,
      arrays,
      slotCount: ids,
      index: undefined,
      exactLists: 0,
    };
    this.#shapes[field] = shape;
    return shape;
  }

  candidates(constraint: Constraint): Candidates {
    const known = this.#candidates[constraint.id];
    if (known !== undefined) return known;
    const shape = this.shape(constraint.field);
    const exact = constraint.exact;
    const found: Candidates = {
      shape,
      results: undefined,
      pass: undefined,
      settled: exact === undefined ? undefined : this.#settle(shape, exact),
    };
    this.#candidates[constraint.id] = found;
    return found;
  }

  /**
   * An exact list's results: the first on a name scans its values once (O(values)); later ones
   * look their values up in an index of the name's values, built once: O(list + matching
   * values), however many values the field has. Marks the slots above each passing value.
   */
  #settle(shape: Shape, exact: ExactValues): Settled {
    this.charge(1 + exact.strings.size + exact.addresses.size + exact.others.size);
    const hits = new Set<number>();
    if (shape.index === undefined && shape.exactLists++ === 0) {
      // The first exact list on a name scans its values; an index pays off from the second.
      shape.fields.forEach((field, i) => {
        const value = field.value;
        if (typeof value === "string") {
          if (exact.strings.has(value)) hits.add(i);
          else if (exact.addresses.size > 0) {
            const key = addressKeyOf(field);
            if (key !== undefined && exact.addresses.has(key)) hits.add(i);
          }
        } else if (exact.others.has(value)) {
          hits.add(i);
        }
      });
    } else {
      shape.index ??= buildIndex(shape.fields);
      const { index } = shape;
      const add = (list: readonly number[] | undefined) => {
        for (const i of list ?? []) hits.add(i);
      };
      for (const value of exact.strings) add(index.strings.get(value));
      for (const value of exact.others) add(index.others.get(value));
      if (exact.addresses.size > 0) {
        const addresses = index.addresses();
        for (const key of exact.addresses) add(addresses.get(key));
      }
    }
    const passing = new Map<number, Passing>();
    const marked = new Set<number>();
    const note = (up: Slot, array: number, index: number, child: Child): void => {
      let below = passing.get(up.id);
      if (below === undefined) {
        below = new Map();
        passing.set(up.id, below);
      }
      let elements = below.get(array);
      if (elements === undefined) {
        elements = new Map();
        below.set(array, elements);
      }
      elements.set(index, child);
    };
    for (const i of hits) {
      this.charge(1);
      const owner = shape.owners[i] as Slot;
      if (shape.single[i]) {
        const field = shape.fields[i] as Field;
        const element = (field.array < 0 ? field.parent : field) as Link;
        note(owner, element.array, element.index, i);
      }
      if (marked.has(owner.id)) continue;
      marked.add(owner.id);
      for (let slot = owner, up = slot.parent; up !== undefined; slot = up, up = up.parent) {
        note(up, slot.array, slot.index, slot);
        if (marked.has(up.id)) break;
        marked.add(up.id);
      }
    }
    return { hits, marked, passing };
  }

  /** Whether value `i` passes: each (constraint, value) pair is tested at most once. */
  passes(constraint: Constraint, candidates: Candidates, i: number): boolean {
    if (candidates.settled) return candidates.settled.hits.has(i);
    candidates.results ??= new Int8Array(candidates.shape.fields.length);
    const known = candidates.results[i];
    if (known !== 0) return known === 1;
    const pass = constraint.test(candidates.shape.fields[i] as Field, this);
    candidates.results[i] = pass ? 1 : -1;
    return pass;
  }

  /** Whether a value that ends at `slot` passes. */
  passesAt(constraint: Constraint, candidates: Candidates, slot: Slot): boolean {
    if (slot.first < 0) return false;
    if (this.passes(constraint, candidates, slot.first)) return true;
    for (const i of slot.more ?? []) if (this.passes(constraint, candidates, i)) return true;
    return false;
  }

  /** Whether some value under `start` passes. Each slot is settled once; no recursion. */
  anyPass(constraint: Constraint, candidates: Candidates, start: Slot): boolean {
    if (candidates.settled) return candidates.settled.marked.has(start.id);
    candidates.pass ??= new Int8Array(candidates.shape.slotCount);
    const pass = candidates.pass;
    if (pass[start.id] !== 0) return pass[start.id] === 1;
    const open: {
      slot: Slot;
      lists: readonly (readonly Child[])[];
      list: number;
      next: number;
    }[] = [];
    const enter = (slot: Slot): boolean => {
      this.charge(COST.slot);
      if (this.passesAt(constraint, candidates, slot)) return true;
      open.push({
        slot,
        lists: slot.arrays ? [...slot.arrays.values()].map((c) => c.items) : [],
        list: 0,
        next: 0,
      });
      return false;
    };
    let found = enter(start);
    while (!found && open.length > 0) {
      const top = open[open.length - 1] as (typeof open)[number];
      const elements = top.lists[top.list];
      if (elements === undefined) {
        pass[top.slot.id] = -1;
        open.pop();
        continue;
      }
      if (top.next >= elements.length) {
        top.list++;
        top.next = 0;
        continue;
      }
      const child = elements[top.next++] as Child;
      if (typeof child === "number") {
        this.charge(COST.slot);
        found = this.passes(constraint, candidates, child);
        continue;
      }
      const state = pass[child.id];
      if (state === 1) {
        found = true;
      } else if (state === 0 && enter(child)) {
        pass[child.id] = 1;
        found = true;
      }
    }
    if (found) {
      pass[start.id] = 1;
      for (const frame of open) pass[frame.slot.id] = 1;
    }
    return found;
  }

  /** Whether a value in `child` (an element) passes. */
  childPasses(constraint: Constraint, candidates: Candidates, child: Child): boolean {
    return typeof child === "number"
      ? this.passes(constraint, candidates, child)
      : this.anyPass(constraint, candidates, child);
  }

  /** Whether an element of `array` below `slot` holds a passing value. */
  anyPassingElement(constraint: Constraint, candidates: Candidates, slot: Slot, array: number): boolean {
    if (candidates.settled) return (candidates.settled.passing.get(slot.id)?.get(array)?.size ?? 0) > 0;
    for (const element of slot.arrays?.get(array)?.items ?? []) {
      this.charge(COST.slot);
      if (this.childPasses(constraint, candidates, element)) return true;
    }
    return false;
  }

  /** Calls `visit` for each element of `array` below `slot` that holds a passing value. */
  forEachPassingElement(
    constraint: Constraint,
    candidates: Candidates,
    slot: Slot,
    array: number,
    visit: (index: number, element: Child) => void,
  ): void {
    if (candidates.settled) {
      for (const [index, element] of candidates.settled.passing.get(slot.id)?.get(array) ?? [])
        visit(index, element);
      return;
    }
    const children = slot.arrays?.get(array);
    if (children === undefined) return;
    for (let k = 0; k < children.items.length; k++) {
      const element = children.items[k] as Child;
      this.charge(COST.slot);
      if (this.childPasses(constraint, candidates, element)) visit(children.indexes[k] as number, element);
    }
  }
}

/** Where each value of one field name occurs. */
interface ValueIndex {
  readonly strings: ReadonlyMap<string, number[]>;
  readonly others: ReadonlyMap<unknown, number[]>;
  /** By address, parsing each string once on first use. */
  addresses(): ReadonlyMap<string, number[]>;
}

/** O(values): one hash insertion per value. */
function buildIndex(fields: readonly Field[]): ValueIndex {
  const strings = new Map<string, number[]>();
  const others = new Map<unknown, number[]>();
  let addresses: Map<string, number[]> | undefined;
  const add = <K>(map: Map<K, number[]>, key: K, i: number): void => {
    const list = map.get(key);
    if (list) list.push(i);
    else map.set(key, [i]);
  };
  fields.forEach((field, i) => {
    if (typeof field.value === "string") add(strings, field.value, i);
    else add(others, field.value, i);
  });
  return {
    strings,
    others,
    addresses() {
      if (addresses === undefined) {
        const map = new Map<string, number[]>();
        fields.forEach((field, i) => {
          const key = addressKeyOf(field);
          if (key !== undefined) add(map, key, i);
        });
        addresses = map;
      }
      return addresses;
    },
  };
}

/**
 * A branch matches when each constraint, taken in EventBridge's order, finds a value whose
 * array elements agree with those already chosen (event-ruler's ACFinder). `exists: false` is
 * judged against the values that agree with the choices made so far, which is why the order
 * is kept: it decides the rare array-of-objects cases exactly as EventBridge does.
 *
 * First, every constraint that cannot be absent must pass somewhere (a necessary condition,
 * settled once per constraint and event). Constraints whose values sit in no array are then
 * settled on their own; the rest split into groups that share no event array, searched
 * separately, since their choices cannot interact.
 */
function matchBranch(branch: readonly Constraint[], evaluation: Evaluation): boolean {
  evaluation.charge(COST.branch);
  const searched: Step[] = [];
  for (const constraint of branch) {
    const candidates = evaluation.candidates(constraint);
    if (candidates.shape.fields.length === 0) {
      if (!constraint.allowsAbsence) return false;
    } else if (!constraint.allowsAbsence || candidates.shape.root.arrays === undefined) {
      // Values outside arrays agree with any choice: there, absence is ruled out too.
      if (!evaluation.anyPass(constraint, candidates, candidates.shape.root)) return false;
      if (candidates.shape.root.arrays !== undefined) searched.push({ constraint, candidates });
    } else {
      searched.push({ constraint, candidates });
    }
  }
  if (searched.length === 0) return true;

  // Union-find over the outermost arrays: two constraints can interact only through them.
  const parent = new Map<number, number>();
  const find = (array: number): number => {
    let root = array;
    for (let up = parent.get(root); up !== undefined && up !== root; up = parent.get(root)) root = up;
    parent.set(array, root);
    return root;
  };
  const outermost = (candidates: Candidates): number[] => [
    ...(candidates.shape.root.arrays as Elements).keys(),
  ];
  for (const { candidates } of searched) {
    const [first, ...rest] = outermost(candidates) as [number, ...number[]];
    const root = find(first);
    for (const other of rest) parent.set(find(other), root);
  }
  const groups = new Map<number, Step[]>();
  for (const item of searched) {
    const group = find(outermost(item.candidates)[0] as number);
    const list = groups.get(group);
    if (list) list.push(item);
    else groups.set(group, [item]);
  }
  for (const group of groups.values()) if (!searchGroup(group, evaluation)) return false;
  return true;
}

/**
 * The array-consistent search over one group, in order. A state is the position and the array
 * elements chosen so far, keeping only arrays that a later constraint still touches; states are
 * memoized. Arrays no later constraint touches are never enumerated: any passing value in them
 * will do. Every step is charged to the evaluation's budget.
 */
function searchGroup(group: readonly Step[], evaluation: Evaluation): boolean {
  return new GroupSearch(group, evaluation).solve(0, new Map());
}

interface Step {
  readonly constraint: Constraint;
  readonly candidates: Candidates;
}

class GroupSearch {
  readonly #memo = new Map<string, boolean>();
  readonly #lastUse = new Map<number, number>();

  constructor(
    private readonly group: readonly Step[],
    private readonly evaluation: Evaluation,
  ) {}

  /** Whether a constraint at or after `from` has a value in `array`. */
  usedFrom(array: number, from: number): boolean {
    let last = this.#lastUse.get(array);
    if (last === undefined) {
      last = -1;
      for (let q = this.group.length - 1; q >= 0; q--) {
        if (this.group[q]?.candidates.shape.arrays.has(array)) {
          last = q;
          break;
        }
      }
      this.#lastUse.set(array, last);
    }
    return last >= from;
  }

  solve(position: number, chosen: ReadonlyMap<number, number>): boolean {
    const step = this.group[position];
    if (step === undefined) return true;
    const kept: [number, number][] = [];
    for (const entry of chosen) if (this.usedFrom(entry[0], position)) kept.push(entry);
    if (kept.length > 1) kept.sort((a, b) => a[0] - b[0]);
    let key = String(position);
    for (const [array, index] of kept) key += `|${array}:${index}`;
    this.evaluation.charge(COST.state + kept.length);
    const known = this.#memo.get(key);
    if (known !== undefined) return known;
    const current = kept.length === chosen.size ? chosen : new Map(kept);
    const result =
      (step.constraint.allowsAbsence &&
        !anyAgreeing(step.candidates.shape.root, current) &&
        this.solve(position + 1, current)) ||
      this.#someOption(position, step, current);
    this.#memo.set(key, result);
    return result;
  }

  /**
   * Tries, until one succeeds, the elements each passing value that agrees with `chosen` would
   * add to the choices. Values that add the same elements are tried once; arrays that no later
   * constraint uses collapse to a single try; only elements holding a passing value are walked.
   */
  #someOption(position: number, step: Step, chosen: ReadonlyMap<number, number>): boolean {
    const { constraint, candidates } = step;
    const evaluation = this.evaluation;
    const tried = new Set<Link | undefined>();
    const slots: Child[] = [candidates.shape.root];
    const adds: (Link | undefined)[] = [undefined];
    while (slots.length > 0) {
      const slot = slots.pop() as Child;
      const added = adds.pop();
      evaluation.charge(COST.option);
      if (typeof slot === "number") {
        // An element's one value.
        if (!tried.has(added) && evaluation.passes(constraint, candidates, slot)) {
          if (this.#try(position, chosen, added, tried)) return true;
        }
        continue;
      }
      if (!tried.has(added) && evaluation.passesAt(constraint, candidates, slot)) {
        if (this.#try(position, chosen, added, tried)) return true;
      }
      if (slot.arrays === undefined) continue;
      for (const [array, elements] of slot.arrays) {
        const index = chosen.get(array);
        if (index !== undefined) {
          const next = childAt(elements, index);
          if (next !== undefined) {
            slots.push(next);
            adds.push(added);
          }
        } else if (!this.usedFrom(array, position + 1)) {
          if (!tried.has(added) && evaluation.anyPassingElement(constraint, candidates, slot, array)) {
            if (this.#try(position, chosen, added, tried)) return true;
          }
        } else {
          const confined = slot === candidates.shape.root ? this.#confinedTo(array, position) : [];
          evaluation.forEachPassingElement(constraint, candidates, slot, array, (i, element) => {
            evaluation.charge(COST.option);
            for (const later of confined) {
              evaluation.charge(COST.slot);
              const there = childAt(later.children, i);
              if (
                there === undefined ||
                !evaluation.childPasses(later.step.constraint, later.step.candidates, there)
              )
                return;
            }
            slots.push(element);
            adds.push({ array, index: i, parent: added });
          });
        }
      }
    }
    return false;
  }

  /**
   * The later constraints that must pass in the element chosen in `array`: those that cannot be
   * absent and have all their values inside that (outermost) array. Choosing an element where
   * one of them has no passing value would be a dead end, so such elements are skipped: a
   * semi-join, which keeps fields of one array of objects linear in the array's length.
   */
  #confinedTo(array: number, position: number): { step: Step; children: Children }[] {
    const confined: { step: Step; children: Children }[] = [];
    for (let q = position + 1; q < this.group.length; q++) {
      const step = this.group[q] as Step;
      const root = step.candidates.shape.root;
      if (step.constraint.allowsAbsence || root.first >= 0 || root.arrays?.size !== 1) continue;
      const children = root.arrays.get(array);
      if (children) confined.push({ step, children });
    }
    return confined;
  }

  #try(
    position: number,
    chosen: ReadonlyMap<number, number>,
    added: Link | undefined,
    tried: Set<Link | undefined>,
  ): boolean {
    tried.add(added);
    if (added === undefined) return this.solve(position + 1, chosen);
    const next = new Map(chosen);
    for (let link: Link | undefined = added; link !== undefined; link = link.parent)
      next.set(link.array, link.index);
    return this.solve(position + 1, next);
  }
}

/** Whether any value (passing or not) agrees with the chosen elements. O(array depth × arrays). */
function anyAgreeing(root: Slot, chosen: ReadonlyMap<number, number>): boolean {
  const stack: Child[] = [root];
  for (let slot = stack.pop(); slot !== undefined; slot = stack.pop()) {
    if (typeof slot === "number" || slot.first >= 0) return true;
    if (slot.arrays === undefined) continue;
    for (const [array, elements] of slot.arrays) {
      const index = chosen.get(array);
      // An array not chosen yet: its (non-empty) subtree agrees with everything chosen.
      if (index === undefined) return true;
      const next = childAt(elements, index);
      if (next !== undefined) stack.push(next);
    }
  }
  return false;
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
