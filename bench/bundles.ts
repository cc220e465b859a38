/**
 * `npm run bundles` (also part of `npm run bench`): each Lambda entry point bundled exactly
 * as the CDK app bundles it (infra/bundling.ts), its minified size against the 300 KB budget,
 * and its module initialization time under Node next to a hello-world bundle's, in one run.
 *
 * Initialization is measured as a cold start does it: a fresh `node` process imports the
 * bundle (configuration read, SDK clients created, schemas built) and reports the time the
 * import took. The AWS SDK is external, as in Lambda, so it loads from node_modules.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { BUNDLE_BUDGET_BYTES, BUNDLING } from "#infra/bundling.ts";

export interface BundleSize {
  fn: string;
  bytes: number;
  gzipBytes: number;
  /** The largest contributors by bytes in the output: npm packages, or `(project)`. */
  top: { name: string; bytes: number }[];
  /** Bytes of zod's message locales (`zod/v4/locales/*`), kept when zod's namespace is imported whole. */
  zodLocaleBytes: number;
  withinBudget: boolean;
  /** Module initialization in a fresh process, milliseconds. */
  init: { p50: number; p90: number; runs: number };
}

export interface BundleReport {
  budgetBytes: number;
  external: readonly string[];
  helloWorld: { bytes: number; init: { p50: number; p90: number; runs: number } };
  functions: BundleSize[];
}

const INIT_RUNS = 15;

/** `node_modules/@scope/name/...` → `@scope/name`; anything else is the project's own code. */
function packageOf(inputPath: string): string {
  const at = inputPath.lastIndexOf("node_modules/");
  if (at < 0) return "(project)";
  const parts = inputPath.slice(at + "node_modules/".length).split("/");
  return parts[0]?.startsWith("@") ? `${parts[0]}/${parts[1]}` : (parts[0] ?? "?");
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

/** Imports the module in fresh Node processes and returns the import times. */
function initTimes(file: string, root: string): { p50: number; p90: number; runs: number } {
  const script =
    "const t0 = performance.now(); await import(process.argv[1]); process.stdout.write(String(performance.now() - t0));";
  const env = {
    ...process.env,
    TABLE_NAME: "bundle-init",
    CURSOR_SECRET: "bundle-init-cursor-secret-0123456789abcdef",
    EVENT_BUS_NAME: "bundle-init",
    UNASSIGNED_USAGE_KEY: "bundle-init-unassigned-usage-key",
    SECRETS_KEY: Buffer.alloc(32, "bundle-init").toString("base64"),
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "x",
    AWS_SECRET_ACCESS_KEY: "y",
    POWERTOOLS_LOG_LEVEL: "SILENT",
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
  };
  const times: number[] = [];
  for (let i = 0; i < INIT_RUNS; i++) {
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", script, file], {
      cwd: root,
      env,
    });
    times.push(Number(out.toString()));
  }
  times.sort((a, b) => a - b);
  return { p50: quantile(times, 0.5), p90: quantile(times, 0.9), runs: INIT_RUNS };
}

async function bundle(entry: string, root: string, outfile: string) {
  const result = await build({
    entryPoints: [entry],
    absWorkingDir: root,
    bundle: true,
    platform: "node",
    format: BUNDLING.format,
    minify: BUNDLING.minify,
    target: BUNDLING.target,
    mainFields: [...BUNDLING.mainFields],
    external: [...BUNDLING.external],
    banner: { js: BUNDLING.banner },
    treeShaking: true,
    metafile: true,
    write: false,
    outfile,
    logLevel: "silent",
  });
  const js = result.outputFiles.find((o) => o.path.endsWith(".mjs"));
  if (!js) throw new Error(`esbuild produced no output for ${entry}`);
  writeFileSync(outfile, js.contents);
  return { js: js.contents, metafile: result.metafile };
}

/** Bundles every function; `measureInit: false` skips the (slow) initialization runs. */
export async function bundleReport(
  root: string,
  options: { measureInit?: boolean } = {},
): Promise<BundleReport> {
  const measure = options.measureInit ?? true;
  const skipped = { p50: Number.NaN, p90: Number.NaN, runs: 0 };
  const outDir = join(root, ".bench", "bundles");
  mkdirSync(outDir, { recursive: true });
  const hello = join(outDir, "hello-world.ts");
  writeFileSync(hello, "export const handler = async () => ({ statusCode: 200, body: 'hello' });\n");
  const helloBuilt = await bundle(hello, root, join(outDir, "hello-world.mjs"));
  const helloWorld = {
    bytes: helloBuilt.js.byteLength,
    init: initTimes(join(outDir, "hello-world.mjs"), root),
  };

  const dir = join(root, "functions");
  const entries = readdirSync(dir)
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))
    .sort();
  const functions: BundleSize[] = [];
  for (const file of entries) {
    const fn = file.replace(/\.ts$/, "");
    const outfile = join(outDir, `${fn}.mjs`);
    const { js, metafile } = await bundle(join(dir, file), root, outfile);
    const byPackage = new Map<string, number>();
    let zodLocaleBytes = 0;
    for (const [output, meta] of Object.entries(metafile.outputs)) {
      if (!output.endsWith(".mjs")) continue;
      for (const [input, { bytesInOutput }] of Object.entries(meta.inputs)) {
        const name = packageOf(relative(root, input));
        if (/node_modules\/zod\/v4\/locales\//.test(input)) zodLocaleBytes += bytesInOutput;
        byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
      }
    }
    const top = [...byPackage.entries()]
      .map(([name, bytes]) => ({ name, bytes }))
      .sort((a, b) => b.bytes - a.bytes)
      .slice(0, 3);
    functions.push({
      fn,
      bytes: js.byteLength,
      gzipBytes: gzipSync(js).byteLength,
      top,
      zodLocaleBytes,
      withinBudget: js.byteLength <= BUNDLE_BUDGET_BYTES,
      init: measure ? initTimes(outfile, root) : skipped,
    });
  }
  return { budgetBytes: BUNDLE_BUDGET_BYTES, external: BUNDLING.external, helloWorld, functions };
}

/** The bundle table in Markdown (used by BENCHMARKS.md and `npm run bundles`). */
export function renderBundles(r: BundleReport): string[] {
  const kb = (n: number) => (n / 1024).toFixed(1);
  const ms = (n: number) => n.toFixed(1);
  return [
    `Each \`functions/*.ts\` entry bundled with the CDK app's own options (\`infra/bundling.ts\`): minified ESM, tree-shaken, \`target: ${BUNDLING.target}\`, with ${r.external.map((e) => `\`${e}\``).join(", ")} external because the Lambda Node.js runtime provides the AWS SDK v3. Budget: ${kb(r.budgetBytes)} KB per function, without the SDK.`,
    "",
    `Module initialization is the time a fresh \`node\` process takes to \`import()\` the bundle (configuration validated, SDK clients created, schemas built), ${r.helloWorld.init.runs} runs each, next to a hello-world bundle in the same run.`,
    "",
    "| Function | minified | gzip | budget | init p50 (ms) | init p90 (ms) | init p50 − hello-world | largest contributors |",
    "|---|--:|--:|---|--:|--:|--:|---|",
    `| hello-world | ${kb(r.helloWorld.bytes)} KB | | | ${ms(r.helloWorld.init.p50)} | ${ms(r.helloWorld.init.p90)} | 0.0 | |`,
    ...r.functions.map(
      (b) =>
        `| \`${b.fn}\` | ${kb(b.bytes)} KB | ${kb(b.gzipBytes)} KB | ${b.withinBudget ? "within" : "**over**"} | ${ms(b.init.p50)} | ${ms(b.init.p90)} | +${ms(b.init.p50 - r.helloWorld.init.p50)} | ${b.top.map((p) => `${p.name} ${kb(p.bytes)} KB`).join(", ")} |`,
    ),
  ];
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const root = join(fileURLToPath(import.meta.url), "..", "..");
  const report = await bundleReport(root);
  console.log(renderBundles(report).join("\n"));
  if (report.functions.some((f) => !f.withinBudget)) process.exitCode = 1;
}
