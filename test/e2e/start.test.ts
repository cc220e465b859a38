/**
 * `npm start` as a user runs it: a child process on its embedded defaults, answering HTTP,
 * printing the URL, key and a curl line, and stopping DynamoDB Local on Ctrl-C.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { describe, expect, it } from "vitest";

const MAIN = ["--import", "tsx", "infra/local/main.ts"];

function start(env: Record<string, string>, args: string[] = ["--in-memory"]): ChildProcess {
  return spawn(process.execPath, [...MAIN, ...args], {
    cwd: process.cwd(),
    env: { ...process.env, PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

function output(child: ChildProcess): {
  text: () => string;
  waitFor: (re: RegExp, ms: number) => Promise<RegExpExecArray>;
} {
  let text = "";
  child.stdout?.on("data", (d: Buffer) => {
    text += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    text += d.toString();
  });
  return {
    text: () => text,
    waitFor: async (re, ms) => {
      const deadline = Date.now() + ms;
      for (;;) {
        const m = re.exec(text);
        if (m) return m;
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no ${re} in output:\n${text}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
  };
}

function javaPidsOnPort(port: string): string[] {
  try {
    return execFileSync("pgrep", ["-f", `DynamoDBLocal.jar.*-port ${port}`])
      .toString()
      .trim()
      .split("\n")
      .filter(Boolean);
  } catch {
    return [];
  }
}

describe("npm start", () => {
  it("serves the API with seeded keys, prints how to use it, and leaves no java behind on Ctrl-C", async () => {
    // Prepare
    const key = "local_key_0123456789abcdef";
    const child = start({
      LOCAL_API_KEYS: JSON.stringify([{ tenant: "acme", key, scopes: ["events:read", "events:write"] }]),
    });
    const out = output(child);
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    try {
      const [, url] = await out.waitFor(/running at (http:\/\/127\.0\.0\.1:\d+)/, 90_000);
      const [, dynamoPort] = await out.waitFor(/DynamoDB:\s+http:\/\/127\.0\.0\.1:(\d+)/, 1000);
      await out.waitFor(/curl -s -X POST/, 1000);
      expect(out.text()).toContain(key);
      expect(javaPidsOnPort(String(dynamoPort))).toHaveLength(1);

      // Act
      const post = await fetch(`${url}/v1/events`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({
          conversation_id: "c1",
          type: "MessageReceived",
          occurred_at: "1748000000",
          channel: { type: "web" },
          author: { type: "customer" },
          message: { content: { type: "text", text: "hi" } },
        }),
      });
      const read = await fetch(`${url}/v1/conversations/c1/events`, {
        headers: { authorization: `Bearer ${key}` },
      });
      child.kill("SIGINT");
      const code = await exited;

      // Assert
      expect(post.status).toBe(201);
      expect(((await read.json()) as { events: { occurred_at: string }[] }).events[0]?.occurred_at).toBe(
        "2025-05-23T11:33:20.000Z",
      );
      expect(code).toBe(0);
      expect(javaPidsOnPort(String(dynamoPort))).toEqual([]);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });

  it("says in one sentence how to fix a missing Java", async () => {
    const child = start({ PATH: "/nonexistent" });
    const out = output(child);
    const code = await new Promise<number | null>((r) => child.once("exit", (c) => r(c)));
    expect(code).toBe(1);
    expect(out.text()).toMatch(/Java is not installed.*apt-get install -y openjdk-17-jre-headless/);
  });

  it("rejects a bad plan in LOCAL_API_KEYS, saying which entry and why", async () => {
    const child = start({
      LOCAL_API_KEYS: JSON.stringify([
        {
          tenant: "acme",
          key: "local_key_0123456789abcdef",
          scopes: ["events:read"],
          plan: { rate: 0, burst: 3 },
        },
      ]),
    });
    const out = output(child);
    const code = await new Promise<number | null>((r) => child.once("exit", (c) => r(c)));
    expect(code).toBe(1);
    expect(out.text()).toContain(
      "LOCAL_API_KEYS is invalid: 0.plan.rate rate must be more than 0 requests/s",
    );
  });

  it("rejects malformed LOCAL_API_KEYS with the expected shape", async () => {
    const child = start({ LOCAL_API_KEYS: "[{" });
    const out = output(child);
    const code = await new Promise<number | null>((r) => child.once("exit", (c) => r(c)));
    expect(code).toBe(1);
    expect(out.text()).toContain('LOCAL_API_KEYS is not valid JSON; expected [{"tenant"');
  });
});
