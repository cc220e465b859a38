/**
 * EventBridge event patterns matched in process (`shared/bus/event-pattern.ts`).
 *
 * The first block replays the examples of the AWS documentation (pattern, an event it matches,
 * an event it must not match), each citing its page; the rest pins each operator's edge cases,
 * array semantics, `$or`, every validation message, and a few properties.
 *
 * Sources:
 * - PATTERNS  https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
 * - FILTERING https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html
 * - OPERATORS https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
 * - NULLS     https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-null-values.html
 * - ARRAYS    https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-arrays.html
 * - RULER     https://github.com/aws/event-ruler (README: the engine EventBridge runs)
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  compilePattern,
  type EventPattern,
  InvalidEventPatternError,
  isEventPattern,
  MAX_LIST_VALUES,
  MAX_MATCH_WORK,
  MAX_PATTERN_COMBINATIONS,
  MAX_PATTERN_DEPTH,
  MAX_PATTERN_VALUES,
  MAX_STRING_LENGTH,
  MAX_WILDCARDS,
  matchesPattern,
  validatePattern,
} from "#shared/bus/event-pattern.ts";
import { patternErrors } from "#shared/triggers/schema.ts";

/** Asserts the pattern is valid, matches every `yes` event and none of the `no` events. */
function check(pattern: unknown, yes: readonly unknown[], no: readonly unknown[]): void {
  expect(validatePattern(pattern)).toEqual([]);
  for (const event of yes)
    expect(matchesPattern(pattern, event), `should match ${JSON.stringify(event)}`).toBe(true);
  for (const event of no)
    expect(matchesPattern(pattern, event), `should not match ${JSON.stringify(event)}`).toBe(false);
}

/** A single-field pattern `{ f: list }` against `{ f: value }` for each value. */
function field(list: readonly unknown[], yes: readonly unknown[], no: readonly unknown[]): void {
  check(
    { f: list },
    yes.map((value) => ({ f: value })),
    no.map((value) => ({ f: value })),
  );
}

// ---------------------------------------------------------------------------------------------
// AWS documentation examples

describe("AWS docs: Creating event patterns (PATTERNS)", () => {
  // The EC2 instance state-change event shown on the page.
  const ec2Event = {
    version: "0",
    id: "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type": "EC2 Instance State-change Notification",
    source: "aws.ec2",
    account: "111122223333",
    time: "2017-12-22T18:43:48Z",
    region: "us-west-1",
    resources: ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
    detail: { "instance-id": "i-1234567890abcdef0", state: "terminated" },
  };

  it("selects EC2 instance-termination events and ignores the fields it does not name", () => {
    check(
      {
        source: ["aws.ec2"],
        "detail-type": ["EC2 Instance State-change Notification"],
        detail: { state: ["terminated"] },
      },
      [ec2Event],
      [
        { ...ec2Event, detail: { ...ec2Event.detail, state: "running" } },
        { ...ec2Event, source: "aws.fargate" },
        { ...ec2Event, detail: undefined },
        { source: "aws.ec2", "detail-type": "EC2 Instance State-change Notification", state: "terminated" },
      ],
    );
  });

  it("matches any of several values of a field", () => {
    check(
      { source: ["aws.ec2", "aws.fargate"] },
      [ec2Event, { source: "aws.fargate" }],
      [{ source: "aws.s3" }, { source: "AWS.EC2" }, {}],
    );
  });

  it("matches nested numeric values (the Macie alert example)", () => {
    const macie = {
      version: "0",
      id: "3e355723-fca9-4de3-9fd7-154c289d6b59",
      "detail-type": "Macie Alert",
      source: "aws.macie",
      account: "123456789012",
      time: "2017-04-24T22:28:49Z",
      region: "us-east-1",
      resources: [
        "arn:aws:macie:us-east-1:123456789012:trigger/trigger_id/alert/alert_id",
        "arn:aws:macie:us-east-1:123456789012:trigger/trigger_id",
      ],
      detail: {
        "notification-type": "ALERT_CREATED",
        name: "Scanning bucket policies",
        tags: ["Custom_Alert", "Insider"],
        "risk-score": 80,
        trigger: { "alert-type": "basic", risk: 8 },
      },
    };
    check(
      {
        source: ["aws.macie"],
        "detail-type": ["Macie Alert"],
        detail: { "risk-score": [80], trigger: { risk: [8] } },
      },
      [macie],
      [
        { ...macie, detail: { ...macie.detail, "risk-score": 79 } },
        { ...macie, detail: { ...macie.detail, trigger: { risk: "8" } } },
      ],
    );
  });
});

describe("AWS docs: null values and empty strings (NULLS)", () => {
  const event = {
    version: "0",
    id: "3e3c153a-8339-4e30-8c35-687ebef853fe",
    "detail-type": "EC2 Instance Launch Successful",
    source: "aws.autoscaling",
    account: "123456789012",
    time: "2015-11-11T21:31:47Z",
    region: "us-east-1",
    resources: [],
    detail: { eventVersion: "", responseElements: null },
  };

  it('matches an empty string with [""] and null with [null]', () => {
    check({ detail: { eventVersion: [""] } }, [event], [{ detail: { eventVersion: "x" } }]);
    check({ detail: { responseElements: [null] } }, [event], [{ detail: { responseElements: "null" } }]);
    check(
      {
        source: ["aws.autoscaling"],
        "detail-type": ["EC2 Instance Launch Successful"],
        detail: { responseElements: [null] },
      },
      [event],
      [],
    );
  });

  it("never treats null and the empty string as interchangeable", () => {
    check({ detail: { eventVersion: [null] } }, [], [event]);
    check({ detail: { responseElements: [""] } }, [], [event]);
  });
});

describe("AWS docs: arrays (ARRAYS)", () => {
  it("matches when the pattern list and the event array intersect", () => {
    check(
      {
        resources: [
          "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
          "arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f",
          "arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f",
        ],
      },
      [
        {
          resources: [
            "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate",
            "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
          ],
        },
      ],
      [{ resources: ["arn:aws:ec2:us-east-1:999999999999:instance/i-b188560f"] }, { resources: [] }],
    );
  });
});

describe("AWS docs: comparison operators table (OPERATORS)", () => {
  it("And: Location is New York and Day is Monday", () => {
    check(
      { Location: ["New York"], Day: ["Monday"] },
      [{ Location: "New York", Day: "Monday" }],
      [{ Location: "New York", Day: "Tuesday" }, { Location: "New York" }],
    );
  });

  it("Anything-but: state is anything but initializing", () => {
    check(
      { state: [{ "anything-but": "initializing" }] },
      [{ state: "running" }],
      [{ state: "initializing" }, {}],
    );
  });

  it("Anything-but (begins with): Region is not in the US", () => {
    check(
      { Region: [{ "anything-but": { prefix: "us-" } }] },
      [{ Region: "eu-west-1" }, { Region: "US-EAST-1" }],
      [{ Region: "us-east-1" }],
    );
  });

  it("Anything-but (ends with): FileName does not end with .png", () => {
    check(
      { FileName: [{ "anything-but": { suffix: ".png" } }] },
      [{ FileName: "photo.jpg" }],
      [{ FileName: "photo.png" }],
    );
  });

  it("Anything-but (ignore case): state is anything but initializing in any casing", () => {
    check(
      { state: [{ "anything-but": { "equals-ignore-case": "initializing" } }] },
      [{ state: "running" }],
      [{ state: "initializing" }, { state: "INITIALIZING" }, { state: "Initializing" }],
    );
  });

  it("Anything-but using a wildcard: FilePath does not include /lib/", () => {
    check(
      { FilePath: [{ "anything-but": { wildcard: "*/lib/*" } }] },
      [{ FilePath: "/usr/bin/node" }, { FilePath: "lib/x" }],
      [{ FilePath: "/usr/lib/node" }],
    );
  });

  it("Begins with: Region is in the US", () => {
    check(
      { Region: [{ prefix: "us-" }] },
      [{ Region: "us-east-1" }],
      [{ Region: "eu-west-1" }, { Region: "US-EAST-1" }],
    );
  });

  it("Begins with (ignore case): service starts with eventb", () => {
    check(
      { service: [{ prefix: { "equals-ignore-case": "eventb" } }] },
      [{ service: "EventBridge" }, { service: "eventbus" }, { service: "EVENTB" }],
      [{ service: "SNS" }, { service: "event" }],
    );
  });

  it("Empty: LastName is empty", () => {
    check({ LastName: [""] }, [{ LastName: "" }], [{ LastName: " " }, { LastName: null }, {}]);
  });

  it("Equals: Name is Alice", () => {
    check({ Name: ["Alice"] }, [{ Name: "Alice" }], [{ Name: "alice" }, { Name: "Alice " }]);
  });

  it("Equals (ignore case): Name is alice in any casing", () => {
    check(
      { Name: [{ "equals-ignore-case": "alice" }] },
      [{ Name: "Alice" }, { Name: "ALICE" }],
      [{ Name: "Alicia" }],
    );
  });

  it("Ends with: FileName ends with .png", () => {
    check({ FileName: [{ suffix: ".png" }] }, [{ FileName: "image.png" }], [{ FileName: "image.PNG" }]);
  });

  it("Ends with (ignore case): service ends with tbridge", () => {
    check(
      { service: [{ suffix: { "equals-ignore-case": "tbridge" } }] },
      [{ service: "EventBridge" }, { service: "EVENTBRIDGE" }],
      [{ service: "EventBus" }],
    );
  });
});

describe("AWS docs: content filtering (FILTERING)", () => {
  it("prefix: time starts with 2017-10-02", () => {
    check(
      { time: [{ prefix: "2017-10-02" }] },
      [{ time: "2017-10-02T18:43:48Z" }],
      [{ time: "2017-10-03T18:43:48Z" }],
    );
  });

  it("prefix with equals-ignore-case: service starts with EventB in any casing", () => {
    check(
      { detail: { service: [{ prefix: { "equals-ignore-case": "EventB" } }] } },
      [
        { detail: { service: "EventBridge" } },
        { detail: { service: "EVENTBRIDGE" } },
        { detail: { service: "eventb" } },
      ],
      [{ detail: { service: "Event" } }],
    );
  });

  it("suffix and suffix with equals-ignore-case: FileName ends with .png", () => {
    check(
      { FileName: [{ suffix: ".png" }] },
      [{ FileName: "a.png" }],
      [{ FileName: "a.PNG" }, { FileName: "a.jpg" }],
    );
    check(
      { detail: { FileName: [{ suffix: { "equals-ignore-case": ".png" } }] } },
      [
        { detail: { FileName: "a.png" } },
        { detail: { FileName: "a.PNG" } },
        { detail: { FileName: "a.Png" } },
      ],
      [{ detail: { FileName: "a.jpg" } }],
    );
  });

  it("anything-but with a string, a number, a list of strings and a list of numbers", () => {
    check(
      { detail: { state: [{ "anything-but": "initializing" }] } },
      [{ detail: { state: "running" } }],
      [{ detail: { state: "initializing" } }],
    );
    check(
      { detail: { "x-limit": [{ "anything-but": 123 }] } },
      [{ detail: { "x-limit": 124 } }],
      [{ detail: { "x-limit": 123 } }],
    );
    check(
      { detail: { state: [{ "anything-but": ["stopped", "overloaded"] }] } },
      [{ detail: { state: "running" } }],
      [{ detail: { state: "stopped" } }, { detail: { state: "overloaded" } }],
    );
    check(
      { detail: { "x-limit": [{ "anything-but": [100, 200, 300] }] } },
      [{ detail: { "x-limit": 301.8 } }],
      [{ detail: { "x-limit": 100 } }, { detail: { "x-limit": 300 } }],
    );
  });

  it("anything-but with a prefix: state does not start with init", () => {
    check(
      { detail: { state: [{ "anything-but": { prefix: "init" } }] } },
      [{ detail: { state: "running" } }],
      [{ detail: { state: "initializing" } }, { detail: { state: "init" } }],
    );
  });

  it("numeric: every field must be in range", () => {
    // The event from the event-ruler README, whose numbers the page's pattern was written for.
    const event = { detail: { "c-count": 5, "d-count": 3, "x-limit": 301.8 } };
    check(
      {
        detail: {
          "c-count": [{ numeric: [">", 0, "<=", 5] }],
          "d-count": [{ numeric: ["<", 10] }],
          "x-limit": [{ numeric: ["=", 3.018e2] }],
        },
      },
      [event],
      [
        { detail: { ...event.detail, "c-count": 0 } },
        { detail: { ...event.detail, "c-count": 6 } },
        { detail: { ...event.detail, "d-count": 10 } },
        { detail: { ...event.detail, "x-limit": 301.9 } },
      ],
    );
  });

  it("IP address matching: 10.0.0.0/24", () => {
    check(
      { detail: { sourceIPAddress: [{ cidr: "10.0.0.0/24" }] } },
      [{ detail: { sourceIPAddress: "10.0.0.0" } }, { detail: { sourceIPAddress: "10.0.0.255" } }],
      [{ detail: { sourceIPAddress: "10.0.1.0" } }, { detail: { sourceIPAddress: "11.0.0.1" } }],
    );
  });

  it("exists: true matches an event that has detail.state, and not one without it", () => {
    check(
      { detail: { state: [{ exists: true }] } },
      [
        {
          version: "0",
          id: "7bf73129-1428-4cd3-a780-95db273d1602",
          "detail-type": "EC2 Instance State-change Notification",
          source: "aws.ec2",
          account: "123456789012",
          time: "2015-11-11T21:29:54Z",
          region: "us-east-1",
          resources: ["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"],
          detail: { "instance-id": "i-abcd1111", state: "pending" },
        },
      ],
      [
        {
          "detail-type": ["EC2 Instance State-change Notification"],
          resources: ["arn:aws:ec2:us-east-1:123456789012:instance/i-02ebd4584a2ebd341"],
          detail: { "c-count": { c1: 100 } },
        },
      ],
    );
  });

  it("exists: false matches when detail.c-count is absent, or is not a leaf", () => {
    check(
      { detail: { "c-count": [{ exists: false }] } },
      [
        {
          "detail-type": ["EC2 Instance State-change Notification"],
          resources: ["arn:aws:ec2:us-east-1:123456789012:instance/i-02ebd4584a2ebd341"],
          detail: { state: ["initializing", "running"] },
        },
        {
          "detail-type": ["EC2 Instance State-change Notification"],
          resources: ["arn:aws:ec2:us-east-1:123456789012:instance/i-02ebd4584a2ebd341"],
          detail: { state: ["initializing", "running"], "c-count": { c1: 100 } },
        },
      ],
      [{ detail: { "c-count": 5 } }, { detail: { "c-count": null } }],
    );
  });

  it("the complex example combining prefix, anything-but and numeric", () => {
    const event = {
      time: "2017-10-02T16:24:49Z",
      detail: { state: "running", "c-count": 5, "d-count": 3, "x-limit": 301.8 },
    };
    check(
      {
        time: [{ prefix: "2017-10-02" }],
        detail: {
          state: [{ "anything-but": "initializing" }],
          "c-count": [{ numeric: [">", 0, "<=", 5] }],
          "d-count": [{ numeric: ["<", 10] }],
          "x-limit": [{ "anything-but": [100, 200, 300] }],
        },
      },
      [event],
      [
        { ...event, detail: { ...event.detail, state: "initializing" } },
        { ...event, detail: { ...event.detail, "x-limit": 200 } },
        { ...event, time: "2017-10-03T00:00:00Z" },
      ],
    );
  });
});

describe("event-ruler README examples (RULER)", () => {
  const event = {
    version: "0",
    id: "ddddd4-aaaa-7777-4444-345dd43cc333",
    "detail-type": "EC2 Instance State-change Notification",
    source: "aws.ec2",
    account: "012345679012",
    time: "2017-10-02T16:24:49Z",
    region: "us-east-1",
    resources: ["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],
    detail: {
      "c-count": 5,
      "d-count": 3,
      "x-limit": 301.8,
      "source-ip": "10.0.0.33",
      "instance-id": "i-000000aaaaaa00000",
      state: "running",
    },
  };

  it("simple matching, suffix, equals-ignore-case and the complex example all match the sample event", () => {
    const patterns: EventPattern[] = [
      {
        "detail-type": ["EC2 Instance State-change Notification"],
        resources: ["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],
        detail: { state: ["initializing", "running"] },
      },
      { source: [{ suffix: "ec2" }] },
      { source: [{ "equals-ignore-case": "AWS.EC2" }] },
      {
        time: [{ prefix: "2017-10-02" }],
        detail: {
          state: [{ "anything-but": "initializing" }],
          "c-count": [{ numeric: [">", 0, "<=", 5] }],
          "d-count": [{ numeric: ["<", 10] }],
          "x-limit": [{ "anything-but": [100, 200, 300] }],
          "source-ip": [{ cidr: "10.0.0.0/8" }],
        },
      },
    ];
    for (const pattern of patterns)
      check(pattern, [event], [{ ...event, detail: {}, source: "x", resources: [] }]);
  });

  it("wildcard: Simple*Service", () => {
    check(
      { source: [{ wildcard: "Simple*Service" }] },
      [{ source: "SimpleService" }, { source: "SimpleQueueService" }],
      [{ source: "SimpleQueue" }, { source: "simpleService" }],
    );
  });

  it("$or: source && (metricName || namespace)", () => {
    check(
      {
        source: ["aws.cloudwatch"],
        $or: [{ metricName: ["CPUUtilization", "ReadLatency"] }, { namespace: ["AWS/EC2", "AWS/ES"] }],
      },
      [
        { source: "aws.cloudwatch", metricName: "ReadLatency" },
        { source: "aws.cloudwatch", namespace: "AWS/ES" },
      ],
      [
        { source: "aws.cloudwatch", metricName: "DiskIO" },
        { source: "aws.ec2", metricName: "CPUUtilization" },
      ],
    );
  });

  it("parallel $or: (metricName || namespace) && (detail.source || detail.detail-type)", () => {
    check(
      {
        $or: [{ metricName: ["CPUUtilization", "ReadLatency"] }, { namespace: ["AWS/EC2", "AWS/ES"] }],
        detail: {
          $or: [{ source: ["aws.cloudwatch"] }, { "detail-type": ["CloudWatch Alarm State Change"] }],
        },
      },
      [
        { metricName: "CPUUtilization", detail: { source: "aws.cloudwatch" } },
        { namespace: "AWS/EC2", detail: { "detail-type": "CloudWatch Alarm State Change" } },
      ],
      [{ metricName: "CPUUtilization" }, { detail: { source: "aws.cloudwatch" } }],
    );
  });

  it("$or with an AND inside, and nested $or", () => {
    const pattern = {
      source: ["aws.cloudwatch"],
      $or: [
        { metricName: ["CPUUtilization", "ReadLatency"] },
        {
          metricType: ["MetricType"],
          namespace: ["AWS/EC2", "AWS/ES"],
          $or: [{ metricId: [1234] }, { spaceId: [1000] }],
        },
        { scope: ["Service"] },
      ],
    };
    check(
      pattern,
      [
        { source: "aws.cloudwatch", scope: "Service" },
        { source: "aws.cloudwatch", metricType: "MetricType", namespace: "AWS/ES", spaceId: 1000 },
        { source: "aws.cloudwatch", metricType: "MetricType", namespace: "AWS/EC2", metricId: 1234 },
      ],
      [
        { source: "aws.cloudwatch", metricType: "MetricType", namespace: "AWS/EC2" },
        { source: "aws.cloudwatch", metricType: "MetricType", metricId: 1234 },
        { scope: "Service" },
      ],
    );
  });

  it("arrays of objects are matched array-consistently (the employees example)", () => {
    const employees = {
      employees: [
        { firstName: "John", lastName: "Doe" },
        { firstName: "Anna", lastName: "Smith" },
        { firstName: "Peter", lastName: "Jones" },
      ],
    };
    const nested = {
      employees: [
        [
          { firstName: "John", lastName: "Doe" },
          { firstName: "Anna", lastName: "Smith" },
        ],
        [{ firstName: "Peter", lastName: "Jones" }],
      ],
    };
    check({ employees: { firstName: ["Anna"] } }, [employees, nested], [{ employees: [] }]);
    check({ employees: { firstName: ["Anna"], lastName: ["Smith"] } }, [employees, nested], []);
    check({ employees: { firstName: ["Anna"], lastName: ["Jones"] } }, [], [employees, nested]);
  });
});

// ---------------------------------------------------------------------------------------------
// Exact values

describe("exact values", () => {
  it("compares strings character by character, with no case folding or trimming", () => {
    field(["abc"], ["abc"], ["ABC", "abc ", " abc", "ab", "abcd", 0, null, true, ["ABC"]]);
    field(["naïve"], ["naïve"], ["naive", "nai\u0308ve"]);
  });

  it("compares numbers as numbers: 300, 300.0 and 3.0e2 are equal", () => {
    const parsed: unknown = JSON.parse('{"f": 300.0}');
    check({ f: [300] }, [parsed, { f: 3.0e2 }, { f: 300 }], [{ f: 300.5 }, { f: "300" }, { f: 301 }]);
    check({ f: [3.0e2] }, [{ f: 300 }], []);
    field([-0], [0, -0], [1]);
    field([0.1], [0.1], [0.10000001]);
  });

  it("keeps exact matching for numbers beyond EventBridge's numeric range (e.g. account ids)", () => {
    field([123456789012], [123456789012], [123456789013, "123456789012"]);
  });

  it("keeps JSON types apart: strings, numbers, booleans and null never equal one another", () => {
    field(["5"], ["5"], [5]);
    field([5], [5], ["5"]);
    field([true], [true], ["true", 1, false]);
    field(["true"], ["true"], [true]);
    field([false], [false], [0, "", null, "false"]);
    field([null], [null], ["null", "", 0, false]);
  });

  it("compares IP address strings as addresses, like EventBridge", () => {
    field(
      ["2001:db8::1"],
      ["2001:db8::1", "2001:0db8:0000:0000:0000:0000:0000:0001", "2001:DB8::1"],
      ["2001:db8::2", "2001:db8::"],
    );
    // event-ruler reads these with Java's InetAddress: leading zeros are decimal, not octal.
    field(
      ["10.0.0.1"],
      ["10.0.0.1", "10.00.0.1", "010.0.0.1", "010.000.000.001", "::ffff:a00:1"],
      ["10.0.0.10", "10.0.0.1 ", "10.0.0.01.", "0010.0000.0000.0001", "10.0.1", 10],
    );
  });

  it("matches textual variants of an address whichever side spells it oddly", () => {
    field(["10.00.0.001"], ["10.0.0.1", "10.0.0.01"], ["10.0.0.2"]);
    // Java accepts any number of leading zeros in an IPv6 group, as long as it is worth 0xffff at most.
    field(["::1"], ["0:0:0:0:0:0:0:1", "0000000000:0:0:0:0:0:0:00001", "::0001"], ["::2", "::10000"]);
    // Longer than 15 characters, dotted text is not an IPv4 address for Java: plain strings.
    field(["0010.0000.0000.0001"], ["0010.0000.0000.0001"], ["10.0.0.1"]);
    field([{ cidr: "010.0.0.0/8" }], ["10.1.2.3", "010.255.0.1"], ["11.0.0.1"]);
  });

  it("matches any value of a list (OR)", () => {
    field(["a", 1, null, true], ["a", 1, null, true], ["b", 2, false, "1"]);
  });
});

// ---------------------------------------------------------------------------------------------
// Structure: AND, nesting, missing fields, arrays

describe("fields, nesting and missing values", () => {
  it("ANDs every field of the pattern", () => {
    check(
      { a: ["1"], b: ["2"], c: { d: ["3"] } },
      [{ a: "1", b: "2", c: { d: "3" }, extra: "ignored" }],
      [
        { a: "1", b: "2" },
        { a: "1", c: { d: "3" } },
        { a: "1", b: "2", c: { d: "4" } },
      ],
    );
  });

  it("requires the same nesting: a nested pattern never matches a leaf, nor a list an object", () => {
    check({ detail: { state: ["x"] } }, [{ detail: { state: "x" } }], [{ detail: "x" }, { state: "x" }, {}]);
    check({ detail: ["x"] }, [{ detail: "x" }], [{ detail: { state: "x" } }, { detail: {} }]);
  });

  it("treats absent, undefined and missing intermediate objects alike", () => {
    check(
      { a: { b: { c: ["x"] } } },
      [{ a: { b: { c: "x" } } }],
      [{}, { a: {} }, { a: { b: {} } }, { a: { b: { c: undefined } } }],
    );
  });

  it("treats a dotted key as the path it spells, in the pattern and in the event", () => {
    check(
      { detail: { state: ["x"] } },
      [{ "detail.state": "x" }, { detail: { state: "x" } }],
      [{ "detail.state": "y" }, { detail: { "state.x": "x" } }],
    );
    check({ "detail.state": ["x"] }, [{ "detail.state": "x" }, { detail: { state: "x" } }], [{ detail: {} }]);
    check(
      { a: { "b.c": ["x"] } },
      [{ "a.b": { c: "x" } }, { a: { b: { c: "x" } } }, { a: { "b.c": "x" } }, { "a.b.c": "x" }],
      [{ a: { b: "x" } }, { "a.b": "x" }],
    );
    // Both spellings in one event: each of their values can match.
    check(
      { "a.b": ["x"] },
      [
        { a: { b: "y" }, "a.b": "x" },
        { a: { b: "x" }, "a.b": "y" },
      ],
      [{ a: { b: "y" }, "a.b": "z" }],
    );
    // Arrays along either spelling, and array consistency across them.
    check({ "a.b": ["x"] }, [{ a: [{ b: "y" }, { b: "x" }] }, { "a.b": ["y", "x"] }], [{ a: [{ b: "y" }] }]);
    check(
      { "items.sku": ["B"], items: { qty: [5] } },
      [
        {
          items: [
            { sku: "A", qty: 1 },
            { sku: "B", qty: 5 },
          ],
        },
      ],
      [
        {
          items: [
            { sku: "A", qty: 5 },
            { sku: "B", qty: 1 },
          ],
        },
      ],
    );
    // Empty names are names too: "" then "x" is ".x".
    check({ "": { x: ["1"] } }, [{ ".x": "1" }, { "": { x: "1" } }], [{ x: "1" }]);
  });

  it("keeps the last definition of a field spelled twice, as EventBridge does", () => {
    check({ "a.b": ["1"], a: { b: ["2"] } }, [{ a: { b: "2" } }], [{ a: { b: "1" } }]);
    check({ a: { b: ["2"] }, "a.b": ["1"] }, [{ a: { b: "1" } }, { "a.b": "1" }], [{ a: { b: "2" } }]);
  });

  it("reads a pattern field named like an operator as a field outside $or", () => {
    check(
      { detail: { prefix: ["x"], numeric: [1] } },
      [{ detail: { prefix: "x", numeric: 1 } }],
      [{ detail: { prefix: "y", numeric: 1 } }],
    );
  });

  it("matches only JSON objects as events", () => {
    const pattern = { a: [{ exists: false }] };
    expect(matchesPattern(pattern, {})).toBe(true);
    for (const event of [null, undefined, "{}", 42, [], [{}], true])
      expect(matchesPattern(pattern, event)).toBe(false);
  });

  it("reads the event as its JSON form: toJSON is used, undefined is absent, non-finite numbers are null", () => {
    const at = new Date("2025-05-23T10:15:30.123Z");
    check({ at: [{ prefix: "2025-05-23T" }] }, [{ at }], [{ at: new Date("2024-01-01T00:00:00Z") }]);
    check({ a: [{ exists: false }] }, [{ a: undefined }, { a: () => 1 }, { a: Symbol("x") }], [{ a: null }]);
    check({ a: [null] }, [{ a: Number.NaN }, { a: Number.POSITIVE_INFINITY }], [{ a: 0 }]);
  });

  it("only looks at own properties", () => {
    const event: Record<string, unknown> = Object.create({ source: "inherited" });
    check({ source: [{ exists: true }] }, [], [event]);
  });

  it("rejects an event array that contains itself instead of looping", () => {
    const loop: unknown[] = [];
    loop.push(loop);
    expect(() => matchesPattern({ a: ["x"] }, { a: loop })).toThrow(TypeError);
  });
});

describe("arrays in events", () => {
  it("matches when any element matches any pattern value", () => {
    field(["b", "z"], [["a", "b"], ["z"], [["b"]], [[["z"]]]], [["a"], [], [["a"]]]);
  });

  it("lets each element be tested by every operator", () => {
    field([{ numeric: [">", 10] }], [[1, 20], [[11]]], [[1, 2], ["20"]]);
    field([{ prefix: "ab" }], [["x", "abc"]], [["x", "ba"]]);
    field([{ exists: true }], [[null], ["a"], [[1]]], []);
  });

  it("treats an empty array, and an array holding only objects, as no value for the field", () => {
    check(
      { f: [{ exists: false }] },
      [{ f: [] }, { f: [[]] }, { f: [{ g: 1 }] }],
      [{ f: [1] }, { f: [null] }],
    );
    check({ f: [{ exists: true }] }, [{ f: ["x", { g: 1 }] }], [{ f: [] }, { f: [{ g: 1 }] }]);
  });

  it("binds two fields of one object to the same array element", () => {
    const event = {
      items: [
        { sku: "A", qty: 1 },
        { sku: "B", qty: 5 },
      ],
    };
    check({ items: { sku: ["B"], qty: [{ numeric: [">", 2] }] } }, [event], []);
    check({ items: { sku: ["A"], qty: [{ numeric: [">", 2] }] } }, [], [event]);
  });

  it("tries later elements when the first candidate element fails a sibling field", () => {
    check(
      { arr: { a: ["1"], b: ["2"] } },
      [
        {
          arr: [
            { a: "1", b: "x" },
            { a: "1", b: "2" },
          ],
        },
        {
          arr: [
            { a: "1", b: "2" },
            { a: "1", b: "x" },
          ],
        },
        { arr: [{ a: "1" }, { a: "0", b: "2" }, { a: "1", b: "2" }] },
      ],
      [
        {
          arr: [
            { a: "1", b: "x" },
            { a: "0", b: "2" },
          ],
        },
      ],
    );
  });

  it("keeps consistency through nested arrays and separate arrays independent", () => {
    const event = {
      orders: [
        { id: "o1", lines: [{ sku: "A" }, { sku: "B" }] },
        { id: "o2", lines: [{ sku: "C" }] },
      ],
      tags: ["vip", "new"],
    };
    check({ orders: { id: ["o1"], lines: { sku: ["B"] } }, tags: ["new"] }, [event], []);
    check({ orders: { id: ["o2"], lines: { sku: ["B"] } } }, [], [event]);
  });

  it("applies anything-but per element: one acceptable element is enough", () => {
    field([{ "anything-but": "x" }], [["x", "y"], ["y"]], [["x"], [], ["x", "x"]]);
  });

  it("judges exists: false against the elements already chosen, in field-name order like EventBridge", () => {
    // No other field chooses an element, so any element carrying x makes x present.
    check({ arr: { x: [{ exists: false }] } }, [{ arr: [{ y: 1 }] }], [{ arr: [{ x: 1 }, { y: 2 }] }]);
    // "a" sorts before "z": the element holding a = "1" is chosen first, and it has no z.
    check(
      { arr: { a: ["1"], z: [{ exists: false }] } },
      [{ arr: [{ a: "1" }, { z: true }] }],
      [{ arr: [{ a: "1", z: true }] }],
    );
    // "b" sorts before "z": its absence is judged before any element is chosen.
    check(
      { arr: { b: [{ exists: false }], z: ["1"] } },
      [{ arr: [{ z: "1" }] }],
      [{ arr: [{ b: true }, { z: "1" }] }],
    );
    // Only the names decide that order, not the order the pattern lists them in.
    check(
      { arr: { z: ["1"], b: [{ exists: false }] } },
      [{ arr: [{ z: "1" }] }],
      [{ arr: [{ b: true }, { z: "1" }] }],
    );
  });

  it("handles large arrays without combinatorial blow-up", () => {
    const rows = Array.from({ length: 3000 }, (_, i) => ({ id: i, kind: i % 2 === 0 ? "even" : "odd" }));
    const event = { a: rows, b: rows.map((row) => ({ ...row })), c: rows.map((row) => row.id) };
    check({ a: { kind: ["odd"] }, b: { kind: ["even"] }, c: [-1] }, [], [event]);
    check({ a: { id: [2999], kind: ["odd"] }, b: { kind: ["even"] }, c: [1500] }, [event], []);
  });
});

// ---------------------------------------------------------------------------------------------
// String operators

describe("prefix and suffix", () => {
  it("match strings only, case-sensitively", () => {
    field([{ prefix: "ab" }], ["ab", "abc"], ["a", "Abc", "xab", 12, null, true]);
    field([{ suffix: "ab" }], ["ab", "xab"], ["b", "xAB", "abx", 12]);
    field([{ prefix: "1" }], ["1"], [1, 12]);
  });

  it("an empty prefix or suffix matches every string and nothing else", () => {
    field([{ prefix: "" }], ["", "anything"], [0, null, false]);
    field([{ suffix: "" }], ["", "anything"], [0, null]);
  });

  it("equals-ignore-case forms fold case character by character", () => {
    field([{ prefix: { "equals-ignore-case": "ÉCO" } }], ["école", "ÉCOLE"], ["ecole"]);
    field(
      [{ suffix: { "equals-ignore-case": "straße" } }],
      ["Hauptstraße", "HAUPTSTRASSE"],
      ["Hauptstrasse"],
    );
    field([{ prefix: { "equals-ignore-case": "" } }], ["", "x"], [1]);
  });
});

describe("equals-ignore-case", () => {
  it("matches the same string in any casing, strings only", () => {
    field(
      [{ "equals-ignore-case": "MessageReceived" }],
      ["messagereceived", "MESSAGERECEIVED"],
      ["MessageReceive", "x", 1],
    );
  });

  it("uses each character's upper and lower case forms (ß matches SS, not ss)", () => {
    field([{ "equals-ignore-case": "ß" }], ["ß", "SS"], ["ss", "S"]);
    field([{ "equals-ignore-case": "" }], [""], [" "]);
  });
});

describe("wildcard", () => {
  it("* matches any run of characters, including none", () => {
    field([{ wildcard: "*" }], ["", "anything"], [1, null]);
    field([{ wildcard: "a*" }], ["a", "abc"], ["ba", ""]);
    field([{ wildcard: "*a" }], ["a", "cba"], ["ab"]);
    field([{ wildcard: "a*b*c" }], ["abc", "aXbYc", "abbc", "acbc"], ["ab", "acb", "abcd"]);
    field(
      [{ wildcard: "arn:aws:events:us-east-1:*:event-bus/*" }],
      ["arn:aws:events:us-east-1:123456789012:event-bus/default"],
      ["arn:aws:events:eu-west-1:123456789012:event-bus/default"],
    );
  });

  it("does not let pieces overlap", () => {
    field([{ wildcard: "ab*ba" }], ["abba", "ab-ba"], ["aba"]);
    field([{ wildcard: "a*a" }], ["aa", "aba"], ["a"]);
  });

  it("without * it is an exact match", () => {
    field([{ wildcard: "abc" }], ["abc"], ["ab", "abcd", "ABC"]);
    field([{ wildcard: "" }], [""], ["x"]);
  });

  it("\\* is a literal asterisk and \\\\ a literal backslash", () => {
    field([{ wildcard: "a\\*b" }], ["a*b"], ["axb", "ab"]);
    field([{ wildcard: "a\\\\*" }], ["a\\", "a\\xyz"], ["a", "axyz"]);
    field([{ wildcard: "\\**" }], ["*", "*abc"], ["abc"]);
  });
});

// ---------------------------------------------------------------------------------------------
// anything-but

describe("anything-but", () => {
  it('excludes only values of its own type: anything-but "5" still matches the number 5', () => {
    field([{ "anything-but": "5" }], [5, "6", null, true, false], ["5"]);
    field([{ "anything-but": 5 }], ["5", 6, 5.5, null], [5, 5.0]);
    field([{ "anything-but": [1, 2] }], ["1", 3], [1, 2]);
    field([{ "anything-but": ["a", "b"] }], ["c", 1, null], ["a", "b"]);
  });

  it("needs the field to be present", () => {
    check({ f: [{ "anything-but": "x" }] }, [{ f: "y" }], [{}, { f: [] }, { f: { g: "y" } }]);
  });

  it("prefix and suffix exclude strings only", () => {
    field([{ "anything-but": { prefix: "init" } }], ["running", "Init", 1, null], ["init", "initializing"]);
    field([{ "anything-but": { suffix: ".txt" } }], ["a.TXT", "a.md", 3], ["a.txt", ".txt"]);
  });

  it("equals-ignore-case excludes a string or a list in any casing", () => {
    field([{ "anything-but": { "equals-ignore-case": "x" } }], ["y", 1], ["x", "X"]);
    field(
      [{ "anything-but": { "equals-ignore-case": ["stopped", "Overloaded"] } }],
      ["running"],
      ["STOPPED", "overloaded"],
    );
  });

  it("prefix and suffix take a list too: the value starts (ends) with none of them", () => {
    field(
      [{ "anything-but": { prefix: ["us-", "eu-"] } }],
      ["ap-south-1", "US-east-1", "u", 1, null],
      ["us-east-1", "eu-west-1", "us-"],
    );
    field([{ "anything-but": { suffix: [".png", ".jpg"] } }], ["a.gif", "a.PNG", 3], ["a.png", "b.jpg"]);
    field([{ "anything-but": { prefix: ["a"] } }], ["b"], ["a", "ab"]);
  });

  it("equals-ignore-case lists fold case per code point, as the operator does", () => {
    field(
      [{ "anything-but": { "equals-ignore-case": ["ß", "İ"] } }],
      ["ss", "i", "x"],
      ["ß", "SS", "İ", "i̇"],
    );
  });

  it("wildcard excludes a glob or a list of globs", () => {
    field([{ "anything-but": { wildcard: "*.png" } }], ["a.jpg", 1], ["a.png", ".png"]);
    field(
      [{ "anything-but": { wildcard: ["*/lib/*", "*/bin/*"] } }],
      ["/usr/share/x"],
      ["/usr/lib/x", "/usr/bin/x"],
    );
  });

  it("can be combined with other values in the list (OR)", () => {
    field([{ "anything-but": { prefix: "a" } }, "abc"], ["abc", "b"], ["abd"]);
  });
});

// ---------------------------------------------------------------------------------------------
// numeric

describe("numeric", () => {
  it("supports each operator, inclusive and exclusive", () => {
    field([{ numeric: ["<", 5] }], [4.999999, -5e9], [5, 6]);
    field([{ numeric: ["<=", 5] }], [5, -1], [5.000001]);
    field([{ numeric: ["=", 5] }], [5, 5.0], [5.000001, 4.999999]);
    field([{ numeric: [">", 5] }], [5.000001, 5e9], [5, 4]);
    field([{ numeric: [">=", 5] }], [5, 6], [4.999999]);
  });

  it("combines a lower and an upper bound into a range", () => {
    field([{ numeric: [">", 0, "<", 1] }], [0.5, 0.000001], [0, 1]);
    field([{ numeric: [">=", 0, "<=", 1] }], [0, 1], [-0.000001, 1.000001]);
    field([{ numeric: [">=", -10, "<", -5] }], [-10, -5.5], [-5, -11]);
  });

  it("matches JSON numbers only, never numeric strings, booleans or null", () => {
    field([{ numeric: [">", 0] }], [1], ["1", true, null, "", [], { n: 1 }]);
  });

  it("works only inside EventBridge's range of -5e9 to 5e9", () => {
    field([{ numeric: [">", 0] }], [5e9], [5e9 + 1, 1e12]);
    field([{ numeric: ["<", 0] }], [-5e9], [-5e9 - 1]);
  });

  it("ORs several numeric conditions", () => {
    field([{ numeric: ["<", 0] }, { numeric: [">", 100] }], [-1, 101], [0, 50, 100]);
  });
});

// ---------------------------------------------------------------------------------------------
// exists

describe("exists", () => {
  it("true matches any present leaf, null included", () => {
    field([{ exists: true }], ["", 0, false, null, "x"], []);
    check({ f: [{ exists: true }] }, [], [{}, { f: {} }, { f: { g: 1 } }, { f: [] }, { g: 1 }]);
  });

  it("false matches an absent field or a non-leaf, never a present leaf", () => {
    check(
      { f: [{ exists: false }] },
      [{}, { f: {} }, { f: { g: 1 } }, { f: [] }, { g: 1 }],
      [{ f: null }, { f: "" }, { f: 0 }],
    );
  });

  it("false on a nested field matches when the parent is missing or is not an object", () => {
    check(
      { detail: { x: [{ exists: false }] } },
      [{}, { detail: "s" }, { detail: {} }],
      [{ detail: { x: 1 } }],
    );
  });

  it("can be ORed with values", () => {
    field([{ exists: false }, "x"], ["x"], ["y"]);
    check({ f: [{ exists: false }, "x"] }, [{}], []);
  });
});

// ---------------------------------------------------------------------------------------------
// cidr

describe("cidr", () => {
  it("matches IPv4 addresses inside the block", () => {
    field(
      [{ cidr: "192.168.1.0/24" }],
      ["192.168.1.0", "192.168.1.105", "192.168.1.255"],
      ["192.168.2.1", "10.0.0.5"],
    );
    field([{ cidr: "10.0.0.0/31" }], ["10.0.0.0", "10.0.0.1"], ["10.0.0.2"]);
    field([{ cidr: "0.0.0.0/0" }], ["0.0.0.0", "255.255.255.255"], ["::1", "localhost"]);
  });

  it("ignores host bits set in the block's address", () => {
    field([{ cidr: "10.0.0.77/24" }], ["10.0.0.1"], ["10.0.1.1"]);
    field([{ cidr: "10.0.0.0/9" }], ["10.127.255.255"], ["10.128.0.0"]);
  });

  it("matches IPv6 addresses in any spelling", () => {
    field(
      [{ cidr: "2001:db8::/32" }],
      ["2001:db8::1", "2001:DB8:FFFF::", "2001:0db8:0000:0000:0000:0000:0000:0001"],
      ["2001:db9::1", "::1", "10.0.0.1"],
    );
    field([{ cidr: "::/0" }], ["::", "fe80::1"], ["1.2.3.4"]);
    field([{ cidr: "2001:db8::1:0/112" }], ["2001:db8::1:ffff"], ["2001:db8::2:0"]);
  });

  it("reads IPv4-mapped IPv6 literals as IPv4, as Java does", () => {
    field([{ cidr: "10.0.0.0/24" }], ["::ffff:a00:1"], []);
  });

  it("never matches what is not an IP address string", () => {
    field(
      [{ cidr: "10.0.0.0/8" }],
      [],
      [
        "10.0.0",
        "10.0.0.256",
        "10.0.0.1/32",
        " 10.0.0.1",
        "::ffff:10.0.0.1",
        10,
        null,
        ["x"],
        "fe80::1%eth0",
        "1:2:3:4:5:6:7:8:9",
      ],
    );
  });

  it("ORs several blocks", () => {
    field([{ cidr: "192.168.1.0/24" }, { cidr: "10.0.0.0/16" }], ["192.168.1.5", "10.0.200.1"], ["10.1.0.1"]);
  });
});

// ---------------------------------------------------------------------------------------------
// $or

describe("$or", () => {
  it("ORs sub-patterns at the top level", () => {
    // The numeric $or example of the docs, at the top and under detail.
    const alternatives = [
      { "c-count": [{ numeric: [">", 0, "<=", 5] }] },
      { "d-count": [{ numeric: ["<", 10] }] },
      { "x-limit": [{ numeric: ["=", 3.018e2] }] },
    ];
    check(
      { $or: alternatives },
      [{ "c-count": 1 }, { "d-count": 9 }, { "x-limit": 301.8 }],
      [{ "c-count": 6, "d-count": 10, "x-limit": 0 }, {}],
    );
    check(
      { detail: { $or: alternatives } },
      [{ detail: { "d-count": 1 } }],
      [{ "d-count": 1 }, { detail: {} }],
    );
  });

  it("ANDs with its siblings", () => {
    check(
      { source: ["a", "b"], $or: [{ source: ["b"] }, { x: ["1"] }] },
      [{ source: "b" }, { source: "a", x: "1" }],
      [{ source: "a" }, { source: "c", x: "1" }],
    );
  });

  it("keeps the last definition in the JSON text of a field given beside it and in a branch", () => {
    // After the sibling: in the first branch, source is "b" only.
    check(
      { source: ["a"], $or: [{ source: ["b"] }, { x: ["1"] }] },
      [{ source: "b" }, { source: "a", x: "1" }],
      [{ source: "a" }, { source: "a", x: "2" }, { source: "c", x: "1" }],
    );
    // Before the sibling: the sibling's "a" replaces the branch's "b".
    check(
      { $or: [{ source: ["b"] }, { x: ["1"] }], source: ["a"] },
      [{ source: "a" }, { source: "a", x: "1" }],
      [{ source: "b" }, { source: "b", x: "1" }],
    );
    // Through nesting and dots alike.
    check(
      { detail: { state: ["x"] }, $or: [{ "detail.state": ["y"] }, { detail: { other: ["1"] } }] },
      [{ detail: { state: "y" } }, { detail: { state: "x", other: "1" } }],
      [{ detail: { state: "x" } }, { detail: { state: "z", other: "1" } }],
    );
    check(
      { detail: { $or: [{ state: ["y"] }, { other: ["1"] }], state: ["x"] } },
      [{ detail: { state: "x" } }],
      [{ detail: { state: "y" } }],
    );
  });

  it("nests inside $or branches and inside nested objects of branches", () => {
    check(
      {
        $or: [
          { a: ["1"], $or: [{ b: ["2"] }, { c: { d: ["3"] } }] },
          { e: { $or: [{ f: ["4"] }, { g: [{ exists: false }], h: [0] }] } },
        ],
      },
      [{ a: "1", b: "2" }, { a: "1", c: { d: "3" } }, { e: { f: "4" } }, { e: { h: 0 } }],
      [{ a: "1" }, { b: "2" }, { e: { g: 1, h: 0 } }, { e: { h: 1 } }],
    );
  });

  it("evaluates each branch array-consistently on its own", () => {
    const event = {
      items: [
        { k: "a", v: 1 },
        { k: "b", v: 2 },
      ],
    };
    check({ items: { k: ["b"], $or: [{ v: [2] }, { v: [3] }] } }, [event], []);
    check({ items: { k: ["a"], $or: [{ v: [2] }, { v: [3] }] } }, [], [event]);
  });
});

// ---------------------------------------------------------------------------------------------
// API surface

describe("compilePattern, matchesPattern and isEventPattern", () => {
  it("behaves as the module's documented example says", () => {
    const pattern = {
      source: ["conversation-log"],
      "detail-type": [{ prefix: "Message" }],
      detail: { event: { channel: { type: [{ "anything-but": ["email", "sms"] }] } } },
    };
    expect(validatePattern(pattern)).toEqual([]);
    const event = {
      source: "conversation-log",
      "detail-type": "MessageReceived",
      detail: { event: { channel: { type: "whatsapp" } } },
    };
    expect(matchesPattern(pattern, event)).toBe(true);
    expect(matchesPattern(pattern, { ...event, detail: { event: { channel: { type: "sms" } } } })).toBe(
      false,
    );
    expect(validatePattern({ detail: { tags: [{ prefix: 5 }] } })).toEqual([
      'detail.tags: "prefix" must be a string or {"equals-ignore-case": "<string>"} (got the number 5)',
    ]);
  });

  it("compiles once and matches many events", () => {
    const compiled = compilePattern({ type: [{ prefix: "Message" }] });
    expect(compiled.matches({ type: "MessageReceived" })).toBe(true);
    expect(compiled.matches({ type: "ConversationClosed" })).toBe(false);
    expect(compiled.matches({ type: "MessageSent" })).toBe(true);
  });

  it("throws InvalidEventPatternError, listing the issues, for an invalid pattern", () => {
    const invalid = { source: "aws.ec2", detail: { n: [{ numeric: ["<", "x"] }] } };
    expect(() => compilePattern(invalid)).toThrow(InvalidEventPatternError);
    let caught: unknown;
    try {
      matchesPattern(invalid, { source: "aws.ec2" });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidEventPatternError);
    if (!(caught instanceof InvalidEventPatternError)) throw new Error("unreachable");
    expect(caught.issues).toEqual(validatePattern(invalid));
    expect(caught.issues).toHaveLength(2);
    expect(caught.message).toContain('source: must be a list of match values (e.g. ["value"])');
  });

  it("narrows unknown input with isEventPattern", () => {
    const input: unknown = JSON.parse('{"detail": {"state": ["running"]}}');
    expect(isEventPattern(input)).toBe(true);
    expect(isEventPattern({ detail: { state: "running" } })).toBe(false);
    expect(isEventPattern(null)).toBe(false);
  });

  it("accepts the documented static shape", () => {
    const pattern = {
      source: ["conversation-log"],
      "detail-type": [{ prefix: "Message" }, "ConversationClosed"],
      detail: {
        tenant_id: [{ "anything-but": { prefix: "test-" } }],
        event: { sequence: [{ numeric: [">", 0, "<=", 100] }], channel: { type: [{ exists: true }] } },
      },
      $or: [{ account: ["1"] }, { region: [{ wildcard: "eu-*" }] }],
    } satisfies EventPattern;
    check(
      pattern,
      [
        {
          source: "conversation-log",
          "detail-type": "MessageReceived",
          account: "1",
          detail: { tenant_id: "acme", event: { sequence: 7, channel: { type: "email" } } },
        },
      ],
      [
        {
          source: "conversation-log",
          "detail-type": "MessageReceived",
          account: "1",
          detail: { tenant_id: "test-acme", event: { sequence: 7, channel: { type: "email" } } },
        },
      ],
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Validation

describe("validatePattern: the pattern itself", () => {
  it.each([
    [null, "event pattern must be a JSON object (got null)"],
    [[], "event pattern must be a JSON object (got an array)"],
    ['{"source": ["x"]}', 'event pattern must be a JSON object (got the string "{\\"source\\": [\\"x\\"]}")'],
    [42, "event pattern must be a JSON object (got the number 42)"],
    [new Map(), "event pattern must be a JSON object (got a Map)"],
    [{}, "event pattern must not be empty: name at least one field to match"],
  ])("rejects %j", (pattern, message) => {
    expect(validatePattern(pattern)).toEqual([message]);
  });
});

describe("validatePattern: fields", () => {
  it.each<[unknown, string]>([
    [
      { source: "aws.ec2" },
      'source: must be a list of match values (e.g. ["value"]) or a nested object (got the string "aws.ec2")',
    ],
    [
      { source: 5 },
      'source: must be a list of match values (e.g. ["value"]) or a nested object (got the number 5)',
    ],
    [
      { source: null },
      'source: must be a list of match values (e.g. ["value"]) or a nested object (got null)',
    ],
    [
      { source: undefined },
      'source: must be a list of match values (e.g. ["value"]) or a nested object (got undefined)',
    ],
    [{ source: [] }, "source: the list of match values must not be empty"],
    [{ detail: {} }, "detail: a nested object must not be empty"],
    [{ detail: { a: { b: {} } } }, "detail.a.b: a nested object must not be empty"],
    [
      { source: [["a"]] },
      "source: match values must be strings, numbers, booleans, null or operator objects (got an array)",
    ],
    [
      { source: [undefined] },
      "source: match values must be strings, numbers, booleans, null or operator objects (got undefined)",
    ],
    [
      { source: [new Date(0)] },
      "source: match values must be strings, numbers, booleans, null or operator objects (got a Date)",
    ],
    [{ source: [Number.NaN] }, "source: numbers must be finite (got the number NaN)"],
    [
      { "detail-type": { "a.b": { "c d": 1 } } },
      'detail-type["a.b"]["c d"]: must be a list of match values (e.g. ["value"]) or a nested object (got the number 1)',
    ],
  ])("rejects %j", (pattern, message) => {
    expect(validatePattern(pattern)).toEqual([message]);
  });
});

describe("validatePattern: operator objects", () => {
  const supported = "anything-but, cidr, equals-ignore-case, exists, numeric, prefix, suffix, wildcard";
  it.each<[unknown, string]>([
    [{}, `an operator object must not be empty; use one of ${supported}`],
    [{ prefix: "a", suffix: "b" }, 'an operator object holds exactly one operator (got "prefix", "suffix")'],
    [{ contains: "x" }, `unknown operator "contains" (supported: ${supported})`],
    [{ exactly: "x" }, `unknown operator "exactly" (supported: ${supported})`],
    [{ prefix: 5 }, '"prefix" must be a string or {"equals-ignore-case": "<string>"} (got the number 5)'],
    [{ prefix: ["a"] }, '"prefix" must be a string or {"equals-ignore-case": "<string>"} (got an array)'],
    [
      { prefix: { foo: "a" } },
      '"prefix" must be a string or {"equals-ignore-case": "<string>"} (got an object with "foo")',
    ],
    [
      { prefix: {} },
      '"prefix" must be a string or {"equals-ignore-case": "<string>"} (got an object with no keys)',
    ],
    [
      { prefix: { "equals-ignore-case": 5 } },
      '"prefix": "equals-ignore-case" must be a string (got the number 5)',
    ],
    [{ suffix: null }, '"suffix" must be a string or {"equals-ignore-case": "<string>"} (got null)'],
    [
      { suffix: { "equals-ignore-case": "a", x: 1 } },
      '"suffix" must be a string or {"equals-ignore-case": "<string>"} (got an object with "equals-ignore-case", "x")',
    ],
    [{ "equals-ignore-case": ["a"] }, '"equals-ignore-case" must be a string (got an array)'],
    [{ wildcard: 5 }, '"wildcard" must be a string (got the number 5)'],
    [
      { wildcard: "a**b" },
      '"wildcard" value "a**b" has consecutive "*" at position 1, which EventBridge does not allow',
    ],
    [
      { wildcard: "**" },
      '"wildcard" value "**" has consecutive "*" at position 0, which EventBridge does not allow',
    ],
    [
      { wildcard: "a\\b" },
      '"wildcard" value "a\\\\b" has an invalid escape at position 1: "\\" may only escape "*" or "\\"',
    ],
    [
      { wildcard: "abc\\" },
      '"wildcard" value "abc\\\\" has an invalid escape at position 3: "\\" may only escape "*" or "\\"',
    ],
    [{ exists: "true" }, '"exists" must be true or false (got the string "true")'],
    [{ exists: 1 }, '"exists" must be true or false (got the number 1)'],
    [{ exists: null }, '"exists" must be true or false (got null)'],
  ])("rejects %j", (condition, message) => {
    expect(validatePattern({ detail: { tags: [condition] } })).toEqual([`detail.tags: ${message}`]);
  });
});

describe("validatePattern: numeric", () => {
  it.each<[unknown, string]>([
    ["5", '"numeric" must be an array, e.g. [">", 0, "<=", 5] (got the string "5")'],
    [{ ">": 5 }, '"numeric" must be an array, e.g. [">", 0, "<=", 5] (got an object)'],
    [[], '"numeric" must not be empty, e.g. [">", 0, "<=", 5]'],
    [["!=", 5], '"numeric" must start with one of "<", "<=", "=", ">", ">=" (got the string "!=")'],
    [["≤", 5], '"numeric" must start with one of "<", "<=", "=", ">", ">=" (got the string "≤")'],
    [[5, ">"], '"numeric" must start with one of "<", "<=", "=", ">", ">=" (got the number 5)'],
    [[">", "5"], '"numeric" operator ">" must be followed by a number (got the string "5")'],
    [["="], '"numeric" operator "=" must be followed by a number (got undefined)'],
    [["<", 5, ">", 0], '"numeric" allows nothing after "<" 5; write a range as [">", low, "<", high]'],
    [["=", 5, "<", 6], '"numeric" allows nothing after "=" 5; write a range as [">", low, "<", high]'],
    [
      [">", 0, ">", 5],
      '"numeric" range must continue with "<" or "<=" after its lower bound (got the string ">")',
    ],
    [[">", 0, 5], '"numeric" range must continue with "<" or "<=" after its lower bound (got the number 5)'],
    [[">", 0, "<"], '"numeric" operator "<" must be followed by a number (got undefined)'],
    [[">", 0, "<", 5, 6], '"numeric" has too many elements; the longest form is [">", low, "<=", high]'],
    [[">", 5, "<", 5], '"numeric" range is empty: its lower bound 5 must be below its upper bound 5'],
    [[">=", 10, "<=", 1], '"numeric" range is empty: its lower bound 10 must be below its upper bound 1'],
    [
      [">", 5e9],
      '"numeric" range is empty: its lower bound 5000000000 must be below its upper bound 5000000000',
    ],
    [
      ["<", -5e9],
      '"numeric" range is empty: its lower bound -5000000000 must be below its upper bound -5000000000',
    ],
    [[">", 6e9], '"numeric" value 6000000000 is out of range: EventBridge compares numbers from -5e9 to 5e9'],
    [
      ["=", -5000000001],
      '"numeric" value -5000000001 is out of range: EventBridge compares numbers from -5e9 to 5e9',
    ],
    [["=", 0.1234567], '"numeric" value 0.1234567 has more than 6 decimal places'],
    [["<", 1e-7], '"numeric" value 1e-7 has more than 6 decimal places'],
  ])("rejects %j", (operand, message) => {
    expect(validatePattern({ n: [{ numeric: operand }] })).toEqual([`n: ${message}`]);
  });

  it.each<[unknown]>([
    [["=", 0.123456]],
    [["<", 5e9]],
    [[">=", -5e9]],
    [[">=", -5e9, "<=", 5e9]],
    [["=", 3.018e2]],
    [[">", 1e-6, "<", 2e-6]],
  ])("accepts %j", (operand) => {
    expect(validatePattern({ n: [{ numeric: operand }] })).toEqual([]);
  });
});

describe("validatePattern: cidr", () => {
  it.each<[unknown, string]>([
    [5, '"cidr" must be a string such as "10.0.0.0/24" (got the number 5)'],
    [
      "10.0.0.0",
      '"cidr" value "10.0.0.0" is invalid: expected an address, one "/" and a prefix length, e.g. "10.0.0.0/24"',
    ],
    [
      "10.0.0.0/",
      '"cidr" value "10.0.0.0/" is invalid: expected an address, one "/" and a prefix length, e.g. "10.0.0.0/24"',
    ],
    [
      "10.0.0.0/8/8",
      '"cidr" value "10.0.0.0/8/8" is invalid: expected an address, one "/" and a prefix length, e.g. "10.0.0.0/24"',
    ],
    ["10.0.0.0/x", '"cidr" value "10.0.0.0/x" is invalid: the prefix length "x" must be an integer'],
    ["10.0.0.0/-1", '"cidr" value "10.0.0.0/-1" is invalid: the prefix length must not be negative'],
    [
      "10.0.0.0/32",
      '"cidr" value "10.0.0.0/32" is invalid: the prefix length must be at most 31 for IPv4 (match a single address with an exact value instead)',
    ],
    [
      "10.0.0.0/33",
      '"cidr" value "10.0.0.0/33" is invalid: the prefix length must be at most 31 for IPv4 (match a single address with an exact value instead)',
    ],
    [
      "::/128",
      '"cidr" value "::/128" is invalid: the prefix length must be at most 127 for IPv6 (match a single address with an exact value instead)',
    ],
    ["300.0.0.0/8", '"cidr" value "300.0.0.0/8" is invalid: "300.0.0.0" is not an IPv4 or IPv6 address'],
    [
      "example.com/8",
      '"cidr" value "example.com/8" is invalid: "example.com" is not an IPv4 or IPv6 address',
    ],
    [
      "1:2:3:4:5:6:7:8:9/64",
      '"cidr" value "1:2:3:4:5:6:7:8:9/64" is invalid: "1:2:3:4:5:6:7:8:9" is not an IPv4 or IPv6 address',
    ],
    ["1::2::3/64", '"cidr" value "1::2::3/64" is invalid: "1::2::3" is not an IPv4 or IPv6 address'],
  ])("rejects %j", (operand, message) => {
    expect(validatePattern({ ip: [{ cidr: operand }] })).toEqual([`ip: ${message}`]);
  });

  it.each([["0.0.0.0/0"], ["10.0.0.0/31"], ["::/0"], ["2001:db8::/127"], ["10.1.2.3/8"]])(
    "accepts %s",
    (cidr) => {
      expect(validatePattern({ ip: [{ cidr }] })).toEqual([]);
    },
  );
});

describe("validatePattern: anything-but", () => {
  const shape =
    '"anything-but" must be a string, a number, a list of strings or numbers, or an object with "prefix", "suffix", "equals-ignore-case" or "wildcard"';
  it.each<[unknown, string]>([
    [null, `${shape} (got null)`],
    [true, `${shape} (got true)`],
    [{}, `${shape} (got an object with no keys)`],
    [{ prefix: "a", suffix: "b" }, `${shape} (got an object with "prefix", "suffix")`],
    [{ contains: "a" }, `${shape} (got unsupported "contains")`],
    [{ numeric: [">", 1] }, `${shape} (got unsupported "numeric")`],
    [[], '"anything-but" list must not be empty'],
    [[1, "a"], '"anything-but" list must hold only strings or only numbers, not both'],
    [["a", null], '"anything-but" list must hold only strings or only numbers (got null)'],
    [[true], '"anything-but" list must hold only strings or only numbers (got true)'],
    [6e9, '"anything-but" value 6000000000 is out of range: EventBridge compares numbers from -5e9 to 5e9'],
    [[1, 1.1234567], '"anything-but" value 1.1234567 has more than 6 decimal places'],
    [{ prefix: "" }, '"anything-but": "prefix" must not be empty'],
    [{ suffix: "" }, '"anything-but": "suffix" must not be empty'],
    [{ prefix: [] }, '"anything-but": "prefix" list must not be empty'],
    [{ prefix: ["a", ""] }, '"anything-but": "prefix" must not be empty'],
    [{ suffix: ["a", 1] }, '"anything-but": "suffix" list must hold only strings (got the number 1)'],
    [{ suffix: 5 }, '"anything-but": "suffix" must be a string or a list of strings (got the number 5)'],
    [
      { "equals-ignore-case": 5 },
      '"anything-but": "equals-ignore-case" must be a string or a list of strings (got the number 5)',
    ],
    [{ "equals-ignore-case": [] }, '"anything-but": "equals-ignore-case" list must not be empty'],
    [
      { "equals-ignore-case": ["a", 1] },
      '"anything-but": "equals-ignore-case" list must hold only strings (got the number 1)',
    ],
    [
      { wildcard: "a**" },
      '"anything-but": "wildcard" value "a**" has consecutive "*" at position 1, which EventBridge does not allow',
    ],
    [
      { wildcard: ["ok*", "bad**"] },
      '"anything-but": "wildcard" value "bad**" has consecutive "*" at position 3, which EventBridge does not allow',
    ],
    [{ wildcard: [] }, '"anything-but": "wildcard" list must not be empty'],
  ])("rejects %j", (operand, message) => {
    expect(validatePattern({ s: [{ "anything-but": operand }] })).toEqual([`s: ${message}`]);
  });
});

describe("validatePattern: $or", () => {
  it.each<[unknown, string[]]>([
    [{ $or: { a: ["x"] } }, ["$or: must be an array of at least two pattern objects (got an object)"]],
    [{ $or: [] }, ["$or: must list at least two pattern objects (got 0)"]],
    [{ $or: [{ a: ["x"] }] }, ["$or: must list at least two pattern objects (got 1)"]],
    [{ $or: [{ a: ["x"] }, "b"] }, ['$or[1]: must be a pattern object (got the string "b")']],
    [{ $or: [{ a: ["x"] }, [{ b: ["y"] }]] }, ["$or[1]: must be a pattern object (got an array)"]],
    [{ $or: [{ a: ["x"] }, {}] }, ["$or[1]: must not be an empty object"]],
    [
      { detail: { $or: [{ a: "x" }, { b: [] }] } },
      [
        'detail.$or[0].a: must be a list of match values (e.g. ["value"]) or a nested object (got the string "x")',
        "detail.$or[1].b: the list of match values must not be empty",
      ],
    ],
    // The README's own example of a "$or" that is not one: operator names used as fields.
    [
      { $or: [{ numeric: 123 }, { prefix: "abc" }] },
      [
        '$or[0].numeric: "numeric" is a reserved word and cannot be a field name inside "$or"',
        '$or[1].prefix: "prefix" is a reserved word and cannot be a field name inside "$or"',
      ],
    ],
    [
      { $or: [{ detail: { exists: [true] } }, { a: ["b"] }] },
      ['$or[0].detail.exists: "exists" is a reserved word and cannot be a field name inside "$or"'],
    ],
    [
      { $or: [{ a: ["1"], $or: [{ b: ["2"] }, { ">=": [3] }] }, { c: ["4"] }] },
      ['$or[0].$or[1][">="]: ">=" is a reserved word and cannot be a field name inside "$or"'],
    ],
  ])("rejects %j", (pattern, messages) => {
    expect(validatePattern(pattern)).toEqual(messages);
  });

  it("bounds how many combinations $or may expand to", () => {
    const parallel = (count: number): Record<string, unknown> =>
      Object.fromEntries(
        Array.from({ length: count }, (_, i) => [`f${i}`, { $or: [{ a: [1] }, { b: [2] }] }]),
      );
    expect(2 ** 9).toBeLessThanOrEqual(MAX_PATTERN_COMBINATIONS);
    expect(validatePattern(parallel(9))).toEqual([]);
    expect(validatePattern(parallel(10))).toEqual([
      'event pattern is too complex: its "$or" alternatives expand to 1024 combinations (at most 1000 are allowed)',
    ]);
  });
});

describe("validatePattern: reporting", () => {
  it("reports every issue with its path, not just the first", () => {
    expect(
      validatePattern({
        source: "x",
        detail: { tags: [{ prefix: 5 }, { wildcard: "**" }], n: [{ numeric: ["<", 1, ">", 0] }] },
        $or: [{ a: ["1"] }],
      }),
    ).toEqual([
      'source: must be a list of match values (e.g. ["value"]) or a nested object (got the string "x")',
      'detail.tags: "prefix" must be a string or {"equals-ignore-case": "<string>"} (got the number 5)',
      'detail.tags: "wildcard" value "**" has consecutive "*" at position 0, which EventBridge does not allow',
      'detail.n: "numeric" allows nothing after "<" 1; write a range as [">", low, "<", high]',
      "$or: must list at least two pattern objects (got 1)",
    ]);
  });

  it("refuses patterns nested too deeply and circular patterns", () => {
    let deep: Record<string, unknown> = { leaf: ["x"] };
    for (let i = 0; i < 70; i++) deep = { n: deep };
    const issues = validatePattern(deep);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/^n(\.n){63}: patterns may nest at most 64 objects deep$/);

    const loop: Record<string, unknown> = { a: ["x"] };
    loop.self = loop;
    expect(validatePattern(loop)).toEqual(["self: the pattern contains a circular reference"]);
  });

  it("never throws, whatever it is given", () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        expect(Array.isArray(validatePattern(value))).toBe(true);
      }),
    );
  });
});

describe("validatePattern: limits", () => {
  const values = (count: number, make = (i: number): unknown => `v${i}`) =>
    Array.from({ length: count }, (_, i) => make(i));

  it(`accepts at most ${MAX_LIST_VALUES} values in a list, anything-but items counted`, () => {
    expect(validatePattern({ f: values(MAX_LIST_VALUES) })).toEqual([]);
    expect(validatePattern({ f: values(MAX_LIST_VALUES + 1) })).toEqual([
      `f: a field's list may hold at most ${MAX_LIST_VALUES} match values (got ${MAX_LIST_VALUES + 1})`,
    ]);
    expect(
      validatePattern({ f: ["x", { "anything-but": { prefix: values(MAX_LIST_VALUES) as string[] } }] }),
    ).toEqual([
      `f: a field's list may hold at most ${MAX_LIST_VALUES} match values (got ${MAX_LIST_VALUES + 1})`,
    ]);
  });

  it(`accepts at most ${MAX_PATTERN_VALUES} values in a whole pattern`, () => {
    const quarter = MAX_PATTERN_VALUES / 4;
    const pattern = (extra: number) => ({
      a: values(quarter),
      b: values(quarter),
      $or: [{ c: values(quarter) }, { d: values(quarter + extra, (i) => ({ prefix: `p${i}` })) }],
    });
    expect(validatePattern(pattern(0))).toEqual([]);
    expect(validatePattern(pattern(1))).toEqual([
      `event pattern is too complex: it has ${MAX_PATTERN_VALUES + 1} match values (at most ${MAX_PATTERN_VALUES} are allowed)`,
    ]);
  });

  it(`accepts strings of at most ${MAX_STRING_LENGTH} characters`, () => {
    const ok = "x".repeat(MAX_STRING_LENGTH);
    const long = `${ok}x`;
    const shown = `${"x".repeat(40)}…`;
    expect(validatePattern({ f: [ok, { prefix: ok }, { wildcard: ok }, { "anything-but": [ok] }] })).toEqual(
      [],
    );
    expect(validatePattern({ f: [long] })).toEqual([
      `f: a match value must be at most ${MAX_STRING_LENGTH} characters long (got ${MAX_STRING_LENGTH + 1}: the string "${shown}")`,
    ]);
    for (const [condition, what] of [
      [{ prefix: long }, '"prefix"'],
      [{ suffix: { "equals-ignore-case": long } }, '"suffix"'],
      [{ "equals-ignore-case": long }, '"equals-ignore-case"'],
      [{ wildcard: long }, '"wildcard"'],
      [{ "anything-but": long }, '"anything-but"'],
      [{ "anything-but": { suffix: ["a", long] } }, '"anything-but": "suffix"'],
    ] as const) {
      expect(validatePattern({ f: [condition] })).toEqual([
        `f: ${what} must be at most ${MAX_STRING_LENGTH} characters long (got ${MAX_STRING_LENGTH + 1}: the string "${shown}")`,
      ]);
    }
  });

  it(`accepts at most ${MAX_WILDCARDS} "*" in a wildcard`, () => {
    const glob = (stars: number) => `a${"*b".repeat(stars)}`;
    expect(validatePattern({ f: [{ wildcard: glob(MAX_WILDCARDS) }] })).toEqual([]);
    expect(validatePattern({ f: [{ "anything-but": { wildcard: [glob(MAX_WILDCARDS + 1)] } }] })).toEqual([
      `f: "anything-but": "wildcard" value "a*b*b*b*b*b*b*b*b*b*b*b*b*b*b*b*b*b" has ${MAX_WILDCARDS + 1} "*" (at most ${MAX_WILDCARDS} are allowed)`,
    ]);
  });

  it(`accepts field paths of at most ${MAX_PATTERN_DEPTH} names, the names that dots join included`, () => {
    const name = (parts: number) => Array.from({ length: parts }, () => "n").join(".");
    expect(validatePattern({ [name(MAX_PATTERN_DEPTH)]: ["x"] })).toEqual([]);
    expect(validatePattern({ a: { [name(MAX_PATTERN_DEPTH)]: ["x"] } })).toEqual([
      `a["${name(MAX_PATTERN_DEPTH)}"]: a field's path may hold at most ${MAX_PATTERN_DEPTH} names, counting the names that dots join (got ${MAX_PATTERN_DEPTH + 1})`,
    ]);
  });

  it("reports each limit as a 400 field error of a trigger's when", () => {
    expect(patternErrors({ data: { tags: values(MAX_LIST_VALUES + 1, (i) => i) } })).toEqual([
      {
        path: "when.data.tags",
        message: `a field's list may hold at most ${MAX_LIST_VALUES} match values (got ${MAX_LIST_VALUES + 1})`,
      },
    ]);
    expect(patternErrors({ data: { text: [{ wildcard: "*a".repeat(MAX_WILDCARDS + 1) }] } })).toEqual([
      {
        path: "when.data.text",
        message: `"wildcard" value "${"*a".repeat(MAX_WILDCARDS + 1)}" has ${MAX_WILDCARDS + 1} "*" (at most ${MAX_WILDCARDS} are allowed)`,
      },
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// Adversarial inputs: answers only. How long they take is the benchmark's business
// (bench/matcher.ts, `npm run bench -- --only matcher`), never a unit test's.

describe("adversarial inputs", () => {
  const big = "a".repeat(256 * 1024);

  it("case-insensitive prefix, suffix and equals read no more of a long value than the operand", () => {
    const operand = `${"A".repeat(1000)}b`;
    field(
      [{ suffix: { "equals-ignore-case": operand } }],
      [`${big}${operand.toLowerCase()}`],
      [big, `${big}B!`],
    );
    field([{ prefix: { "equals-ignore-case": operand } }], [`${operand.toLowerCase()}${big}`], [big]);
    field([{ "equals-ignore-case": operand }], [operand.toLowerCase()], [big, `${operand}${big}`]);
  });

  it("IP address text an end customer controls is read without backtracking", () => {
    const cidrs = Array.from({ length: 20 }, (_, i) => ({ cidr: `2001:db8:${i + 1}::/48` }));
    const colons = `${":".repeat(32 * 1024)}x`;
    field(cidrs, ["2001:db8:1::1", "2001:db8:14:ffff::"], [colons, `1:${colons}`, "1:".repeat(16 * 1024)]);
    // Java reads a group of any length worth at most 0xffff: so does the scanner, in one pass.
    field(
      ["2001:db8::1", "10.0.0.1"],
      [`2001:db8:${"0".repeat(100_000)}::1`],
      [colons, `${"0".repeat(100_000)}1::`],
    );
  });

  it("wildcards with many stars match long text exactly", () => {
    const glob = `x*${Array.from({ length: MAX_WILDCARDS - 1 }, (_, i) => `a${i}b`).join("*")}*y`;
    const pieces = Array.from({ length: MAX_WILDCARDS - 1 }, (_, i) => `a${i}b`).join("");
    field(
      [{ wildcard: glob }],
      [`x${big}${pieces}y`, `x${pieces}${big}y`],
      [`x${big}${pieces}z`, `x${big}y`],
    );
  });

  it("does not overflow the stack on deeply nested events", () => {
    let nested: unknown = ["x"];
    for (let i = 0; i < 100_000; i++) nested = [nested];
    // (Not through check(): JSON.stringify itself recurses.)
    expect(matchesPattern({ a: ["x"] }, { a: nested })).toBe(true);
    expect(matchesPattern({ a: ["y"] }, { a: nested })).toBe(false);
    expect(matchesPattern({ a: [{ exists: false }] }, { a: nested })).toBe(false);
    let objects: Record<string, unknown> = { leaf: "x" };
    for (let i = 0; i < 100_000; i++) objects = { n: [objects] };
    expect(matchesPattern({ n: { n: { leaf: ["x"] } } }, objects)).toBe(false);
  });

  it("matches fields of one large array of objects element by element", () => {
    const items = Array.from({ length: 20_000 }, (_, i) => ({ sku: `s${i % 500}`, qty: i }));
    check({ items: { sku: ["s499"], qty: [19_999] } }, [{ items }], [{ items: items.slice(0, -1) }]);
    // 500 branches that each find both of their values, never in one element.
    const pattern = {
      items: { $or: Array.from({ length: 500 }, (_, i) => ({ sku: [`s${i}`], qty: [i + 1] })) },
    };
    expect(compilePattern(pattern).measure({ items })).toEqual({
      matches: false,
      work: expect.any(Number),
      overBudget: false,
    });
  });

  it(`stops an evaluation that would cost more than ${MAX_MATCH_WORK.toLocaleString("en-US")} units: the event does not match`, () => {
    // The same field through "a" → "b.c" and through "a.b" → "c": every pair of elements of the
    // two arrays is a candidate for array consistency.
    const element = (i: number) => (i % 3 === 0 ? { c: i } : i % 3 === 1 ? { d: i } : { e: "yes" });
    const n = 3000;
    const event = {
      a: Array.from({ length: n }, (_, i) =>
        Object.fromEntries(Object.entries(element(i)).map(([k, v]) => [`b.${k}`, v])),
      ),
      "a.b": Array.from({ length: n }, (_, i) => element(i)),
    };
    const pattern = compilePattern({
      a: { b: { c: [{ exists: true }], d: [{ exists: true }], e: ["yes"] } },
    });
    const measured = pattern.measure(event);
    expect(measured.overBudget).toBe(true);
    expect(measured.matches).toBe(false);
    expect(measured.work).toBeGreaterThan(MAX_MATCH_WORK);
    expect(pattern.matches(event)).toBe(false);
    // Smaller, the same search ends within the budget, with EventBridge's answers.
    const small = { a: event.a.slice(0, 30), "a.b": event["a.b"].slice(0, 30) };
    expect(pattern.measure(small)).toEqual({ matches: false, work: expect.any(Number), overBudget: false });
    small.a.push({ "b.c": 0, "b.d": 0, "b.e": "yes" });
    expect(pattern.measure(small)).toEqual({ matches: true, work: expect.any(Number), overBudget: false });
  });
});

describe("case folding data", () => {
  it("no code point has a lower- or upper-case form that is a proper prefix or suffix of the other", () => {
    // foldedEnds and foldedStarts follow a single offset because of this (linear time); a
    // future case mapping that broke it would make them slower, never wrong.
    const broken: string[] = [];
    for (let point = 0; point <= 0x10ffff; point++) {
      if (point >= 0xd800 && point <= 0xdfff) continue;
      const char = String.fromCodePoint(point);
      const lower = char.toLowerCase();
      const upper = char.toUpperCase();
      if (lower === upper) continue;
      const [short, long] = lower.length <= upper.length ? [lower, upper] : [upper, lower];
      if (long.startsWith(short) || long.endsWith(short)) broken.push(point.toString(16));
    }
    expect(broken).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties

/** JSON leaves; doubles stay finite so that they survive a JSON round trip. */
const leafArb = fc.oneof(
  fc.string(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
);
const keyArb = fc.string({ maxLength: 6 }).filter((key) => key !== "$or");

/** Objects whose values are leaves, arrays of leaves, or objects (no arrays of objects). */
const eventArb: fc.Arbitrary<Record<string, unknown>> = fc.letrec<{
  node: unknown;
  object: Record<string, unknown>;
}>((tie) => ({
  node: fc.oneof({ depthSize: "small" }, leafArb, fc.array(leafArb, { maxLength: 4 }), tie("object")),
  object: fc.dictionary(keyArb, tie("node"), { maxKeys: 5 }),
})).object;

/** The exact-value pattern of an event: every leaf as itself, every array as its list of values. */
function exactPatternOf(event: Record<string, unknown>): Record<string, unknown> | undefined {
  const entries: [string, unknown][] = [];
  for (const [key, value] of Object.entries(event)) {
    if (Array.isArray(value)) {
      if (value.length > 0) entries.push([key, value]);
    } else if (typeof value === "object" && value !== null) {
      const nested = exactPatternOf(value as Record<string, unknown>);
      if (nested) entries.push([key, nested]);
    } else {
      entries.push([key, [value]]);
    }
  }
  return entries.length > 0 ? Object.fromEntries(entries) : undefined;
}

describe("properties", () => {
  it("a pattern made of an event's own leaf values always matches that event", () => {
    fc.assert(
      fc.property(eventArb, (event) => {
        const pattern = exactPatternOf(event);
        fc.pre(pattern !== undefined);
        expect(validatePattern(pattern)).toEqual([]);
        expect(matchesPattern(pattern, event)).toBe(true);
        // The JSON round trip of the event changes nothing either.
        expect(matchesPattern(pattern, JSON.parse(JSON.stringify(event)))).toBe(true);
      }),
    );
  });

  it("anything-but [v] never matches a field equal to v, and matches any other value of v's type", () => {
    const comparable = fc.oneof(fc.string(), fc.integer({ min: -2_000_000_000, max: 2_000_000_000 }));
    fc.assert(
      fc.property(comparable, comparable, (v, w) => {
        const pattern = { f: [{ "anything-but": [v] }] };
        expect(matchesPattern(pattern, { f: v })).toBe(false);
        expect(matchesPattern(pattern, { f: [v, v] })).toBe(false);
        expect(matchesPattern(pattern, { f: w })).toBe(w !== v);
      }),
    );
  });

  it("a string matches its own prefixes and suffixes, and itself in upper case ignoring case", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), fc.nat(), (text, cut) => {
        const at = cut % (text.length + 1);
        expect(matchesPattern({ f: [{ prefix: text.slice(0, at) }] }, { f: text })).toBe(true);
        expect(matchesPattern({ f: [{ suffix: text.slice(at) }] }, { f: text })).toBe(true);
        // Upper-casing works code point by code point, so cut on code points for the folded forms.
        const points = Array.from(text);
        const head = points.slice(0, cut % (points.length + 1)).join("");
        const upper = text.toUpperCase();
        expect(matchesPattern({ f: [{ "equals-ignore-case": text }] }, { f: upper })).toBe(true);
        expect(matchesPattern({ f: [{ prefix: { "equals-ignore-case": head } }] }, { f: upper })).toBe(true);
      }),
    );
  });

  it("numeric ranges agree with plain comparisons", () => {
    const bound = fc.integer({ min: -1000, max: 1000 });
    fc.assert(
      fc.property(bound, bound, fc.double({ min: -2000, max: 2000, noNaN: true }), (a, b, x) => {
        fc.pre(a < b);
        expect(matchesPattern({ f: [{ numeric: [">", a, "<=", b] }] }, { f: x })).toBe(a < x && x <= b);
        expect(matchesPattern({ f: [{ numeric: [">=", a, "<", b] }] }, { f: x })).toBe(a <= x && x < b);
        expect(matchesPattern({ f: [{ numeric: ["<", a] }] }, { f: x })).toBe(x < a);
      }),
    );
  });

  it("wildcards agree with an equivalent regular expression", () => {
    const glob = fc
      .array(fc.constantFrom("a", "b", "*"), { maxLength: 8 })
      .map((parts) => parts.join(""))
      .filter((text) => !text.includes("**"));
    const subject = fc.array(fc.constantFrom("a", "b"), { maxLength: 10 }).map((parts) => parts.join(""));
    fc.assert(
      fc.property(glob, subject, (pattern, text) => {
        const regex = new RegExp(`^${pattern.replaceAll("*", ".*")}$`, "s");
        expect(matchesPattern({ f: [{ wildcard: pattern }] }, { f: text })).toBe(regex.test(text));
        expect(matchesPattern({ f: [{ "anything-but": { wildcard: pattern } }] }, { f: text })).toBe(
          !regex.test(text),
        );
      }),
    );
  });

  it("IPv4 cidr blocks agree with integer arithmetic", () => {
    const ip = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255));
    const toInt = (bytes: readonly number[]): number => bytes.reduce((sum, byte) => sum * 256 + byte, 0);
    fc.assert(
      fc.property(ip, ip, fc.integer({ min: 0, max: 31 }), (network, address, length) => {
        const shift = 2 ** (32 - length);
        const expected = Math.floor(toInt(network) / shift) === Math.floor(toInt(address) / shift);
        expect(
          matchesPattern({ f: [{ cidr: `${network.join(".")}/${length}` }] }, { f: address.join(".") }),
        ).toBe(expected);
      }),
    );
  });

  it("$or is the OR of its branches, ANDed with its siblings", () => {
    const keys = fc.constantFrom("a", "b", "c");
    const values = fc.constantFrom("1", "2", 3);
    const simple = fc.dictionary(keys, fc.array(values, { minLength: 1, maxLength: 2 }), {
      minKeys: 1,
      maxKeys: 2,
    });
    const event = fc.dictionary(keys, values);
    fc.assert(
      fc.property(simple, simple, simple, event, (left, right, sibling, e) => {
        const either = matchesPattern(left, e) || matchesPattern(right, e);
        expect(matchesPattern({ $or: [left, right] }, e)).toBe(either);
        // A field in both keeps its last definition in the JSON text (key order here).
        expect(matchesPattern({ ...sibling, $or: [left, right] }, e)).toBe(
          matchesPattern({ ...sibling, ...left }, e) || matchesPattern({ ...sibling, ...right }, e),
        );
        expect(matchesPattern({ $or: [left, right], ...sibling }, e)).toBe(
          matchesPattern({ ...left, ...sibling }, e) || matchesPattern({ ...right, ...sibling }, e),
        );
      }),
    );
  });

  it("anything-but a list of prefixes (suffixes) is the negation of their OR, for strings", () => {
    const word = fc.string({ unit: fc.constantFrom("a", "b", "c"), maxLength: 4 });
    const affixes = fc.array(
      word.filter((w) => w !== ""),
      { minLength: 1, maxLength: 4 },
    );
    fc.assert(
      fc.property(affixes, word, (list, value) => {
        expect(matchesPattern({ f: [{ "anything-but": { prefix: list } }] }, { f: value })).toBe(
          !list.some((p) => value.startsWith(p)),
        );
        expect(matchesPattern({ f: [{ "anything-but": { suffix: list } }] }, { f: value })).toBe(
          !list.some((p) => value.endsWith(p)),
        );
      }),
    );
  });

  it("an IPv4 address matches its spellings with leading zeros up to Java's 15 characters", () => {
    const byte = fc.nat(255);
    const pad = fc.nat(2);
    fc.assert(
      fc.property(fc.tuple(byte, byte, byte, byte), fc.tuple(pad, pad, pad, pad), (bytes, pads) => {
        const canonical = bytes.join(".");
        const spelled = bytes.map((b, i) => `${"0".repeat(pads[i] ?? 0)}${b}`).join(".");
        const other = [...bytes.slice(0, 3), ((bytes[3] ?? 0) + 1) % 256].join(".");
        expect(matchesPattern({ ip: [canonical] }, { ip: spelled })).toBe(spelled.length <= 15);
        expect(matchesPattern({ ip: [spelled] }, { ip: canonical })).toBe(spelled.length <= 15);
        expect(matchesPattern({ ip: [canonical] }, { ip: other })).toBe(false);
      }),
    );
  });

  it("a dotted key and the nesting it spells are the same field, on either side", () => {
    fc.assert(
      fc.property(
        fc.array(
          keyArb.filter((k) => !k.includes(".")),
          { minLength: 1, maxLength: 4 },
        ),
        leafArb,
        (path, value) => {
          const nested = (leaf: unknown) =>
            path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), leaf) as Record<string, unknown>;
          const dotted = (leaf: unknown) => ({ [path.join(".")]: leaf });
          for (const pattern of [nested([value]), dotted([value])]) {
            fc.pre(validatePattern(pattern).length === 0);
            expect(matchesPattern(pattern, nested(value))).toBe(true);
            expect(matchesPattern(pattern, dotted(value))).toBe(true);
          }
        },
      ),
    );
  });

  it("valid patterns of every kind never throw on events of every shape, and stay within the budget", () => {
    const names = fc.constantFrom("a", "b", "a.b", "c", "b.c", "");
    const condition = fc.oneof(
      leafArb,
      fc.constantFrom(
        { exists: true },
        { exists: false },
        { prefix: "a" },
        { suffix: { "equals-ignore-case": "B" } },
        { "equals-ignore-case": "ß" },
        { wildcard: "*a*" },
        { numeric: [">", 0, "<=", 5] },
        { cidr: "10.0.0.0/8" },
        { "anything-but": ["a", "b"] },
        { "anything-but": { prefix: ["a", "b"] } },
        { "anything-but": { "equals-ignore-case": ["A"] } },
        "10.0.0.1",
      ),
    );
    const pattern = fc.letrec<{ object: Record<string, unknown>; value: unknown }>((tie) => ({
      value: fc.oneof(
        { depthSize: "small" },
        fc.array(condition, { minLength: 1, maxLength: 3 }),
        tie("object"),
        fc.tuple(tie("object"), tie("object")).map((alternatives) => ({ $or: alternatives })),
      ),
      object: fc.dictionary(names, tie("value"), { minKeys: 1, maxKeys: 3 }),
    })).object;
    const event = fc.letrec<{ object: Record<string, unknown>; value: unknown }>((tie) => ({
      value: fc.oneof(
        { depthSize: "small" },
        leafArb,
        fc.constant("10.00.0.1"),
        fc.array(tie("value"), { maxLength: 4 }),
        tie("object"),
      ),
      object: fc.dictionary(names, tie("value"), { maxKeys: 4 }),
    })).object;
    let valid = 0;
    fc.assert(
      fc.property(pattern, event, (p, e) => {
        if (validatePattern(p).length > 0) return;
        valid++;
        const measured = compilePattern(p).measure(e);
        expect(typeof measured.matches).toBe("boolean");
        expect(measured.overBudget).toBe(false);
      }),
      { numRuns: 500 },
    );
    expect(valid).toBeGreaterThan(100);
  });

  it("evaluates any valid pattern against a 256 KB event to an answer", () => {
    // Random shapes, repeated until the event's JSON is 256 KB: arrays of objects, dotted keys,
    // long strings. The answer is all this asserts; bench/matcher.ts times the worst cases.
    const names = fc.constantFrom("a", "b", "a.b", "c");
    const shape = fc.dictionary(
      names,
      fc.oneof(leafArb, fc.string({ maxLength: 40 }), fc.dictionary(names, leafArb)),
      {
        minKeys: 1,
        maxKeys: 4,
      },
    );
    const pattern = fc.dictionary(
      names,
      fc.oneof(
        fc.array(
          fc.oneof(leafArb, fc.constantFrom({ prefix: "x" }, { wildcard: "*a*b*" }, { exists: false })),
          {
            minLength: 1,
            maxLength: 3,
          },
        ),
        fc.dictionary(names, fc.array(leafArb, { minLength: 1, maxLength: 2 }), { minKeys: 1, maxKeys: 2 }),
      ),
      { minKeys: 1, maxKeys: 3 },
    );
    fc.assert(
      fc.property(
        shape,
        pattern,
        fc.string({ unit: fc.constantFrom("a", "b", "x", "*"), maxLength: 8 }),
        (element, p, text) => {
          fc.pre(validatePattern(p).length === 0);
          const size = JSON.stringify(element).length + 1;
          const count = Math.max(1, Math.floor((128 * 1024) / size));
          const event = {
            a: Array.from({ length: count }, () => element),
            b: { c: text.repeat(Math.floor((120 * 1024) / Math.max(1, text.length))) },
          };
          expect(JSON.stringify(event).length).toBeLessThanOrEqual(256 * 1024);
          const measured = compilePattern(p).measure(event);
          expect(typeof measured.matches).toBe("boolean");
          expect(measured.work).toBeLessThanOrEqual(MAX_MATCH_WORK * 2);
        },
      ),
      { numRuns: 25 },
    );
  });

  it("validatePattern and compilePattern agree, and a valid pattern never throws on a JSON event", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.jsonValue({ maxDepth: 4 }), (pattern, event) => {
        const valid = validatePattern(pattern).length === 0;
        if (!valid) {
          expect(() => compilePattern(pattern)).toThrow(InvalidEventPatternError);
          return;
        }
        expect(typeof compilePattern(pattern).matches(event)).toBe("boolean");
      }),
    );
  });
});
