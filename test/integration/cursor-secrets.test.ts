/**
 * The cursor secrets as the functions read them on AWS: Powertools Parameters and the real
 * Secrets Manager client, against a stand-in Secrets Manager endpoint on loopback (its JSON
 * protocol: `GetSecretValue`, and `ResourceNotFoundException` for a version stage the
 * secret does not have). A never-rotated secret has no AWSPREVIOUS version: that must work.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCursorSecrets } from "#shared/config.ts";

const CURRENT = "cursor-secret-current-0123456789abcdef0123";
const PREVIOUS = "cursor-secret-previous-0123456789abcdef012";
const ROTATED = "arn:aws:secretsmanager:local:000000000000:secret:rotated";
const NEVER_ROTATED = "arn:aws:secretsmanager:local:000000000000:secret:never-rotated";

const versions: Record<string, Record<string, string>> = {
  [ROTATED]: { AWSCURRENT: CURRENT, AWSPREVIOUS: PREVIOUS },
  [NEVER_ROTATED]: { AWSCURRENT: CURRENT },
};
const requests: { target: string; body: { SecretId: string; VersionStage?: string } }[] = [];

let server: Server;
beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
        SecretId: string;
        VersionStage?: string;
      };
      requests.push({ target: String(req.headers["x-amz-target"]), body });
      const value = versions[body.SecretId]?.[body.VersionStage ?? "AWSCURRENT"];
      res.setHeader("content-type", "application/x-amz-json-1.1");
      if (value === undefined) {
        res.writeHead(400, { "x-amzn-errortype": "ResourceNotFoundException" });
        res.end(
          JSON.stringify({
            __type: "ResourceNotFoundException",
            message: `Secrets Manager can't find the specified secret value for staging label: ${body.VersionStage}`,
          }),
        );
        return;
      }
      res.writeHead(200).end(
        JSON.stringify({
          ARN: body.SecretId,
          Name: "cursor",
          SecretString: value,
          VersionStages: [body.VersionStage],
        }),
      );
    });
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", () => ok()));
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  delete process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
  await new Promise((ok) => server.close(ok));
});

const env = (arn: string) => ({ TABLE_NAME: "conversation-log-test", CURSOR_SECRET_ARN: arn });

describe("cursor secrets from Secrets Manager (Powertools, real client, stand-in endpoint)", () => {
  it("reads AWSCURRENT and AWSPREVIOUS of a rotated secret", async () => {
    expect(await loadCursorSecrets(env(ROTATED))).toEqual({ current: CURRENT, previous: PREVIOUS });
    const mine = requests.filter((r) => r.body.SecretId === ROTATED);
    expect(mine.map((r) => r.target)).toEqual([
      "secretsmanager.GetSecretValue",
      "secretsmanager.GetSecretValue",
    ]);
    expect(mine.map((r) => r.body.VersionStage).sort()).toEqual(["AWSCURRENT", "AWSPREVIOUS"]);
  });

  it("works with a never-rotated secret: no previous, and the absence is cached too", async () => {
    expect(await loadCursorSecrets(env(NEVER_ROTATED))).toEqual({ current: CURRENT });
    expect(await loadCursorSecrets(env(NEVER_ROTATED))).toEqual({ current: CURRENT });
    expect(requests.filter((r) => r.body.SecretId === NEVER_ROTATED)).toHaveLength(2);
  });

  it("fails when the current version itself is missing", async () => {
    await expect(
      loadCursorSecrets(env("arn:aws:secretsmanager:local:000000000000:secret:none")),
    ).rejects.toThrow(/not found|can't find/);
  });
});
