/**
 * Preloaded into the export CLI by the benchmark (`node --import tsx --import <this file>`):
 * samples the process's memory every 50 ms and, on exit, writes its peak figures as JSON to
 * `BENCH_RSS_FILE`. `maxRssKb` is the kernel's high-water mark of the resident set
 * (`getrusage`), so it misses no spike between samples; the heap figures are sampled peaks.
 * The CLI itself is not changed in any way.
 */
import { writeFileSync } from "node:fs";

export interface RssProbe {
  maxRssKb: number;
  peakHeapUsedBytes: number;
  peakExternalBytes: number;
  peakArrayBuffersBytes: number;
  userMs: number;
  systemMs: number;
}

const file = process.env.BENCH_RSS_FILE;
if (file) {
  const peak = { heapUsed: 0, external: 0, arrayBuffers: 0 };
  const sample = () => {
    const m = process.memoryUsage();
    peak.heapUsed = Math.max(peak.heapUsed, m.heapUsed);
    peak.external = Math.max(peak.external, m.external);
    peak.arrayBuffers = Math.max(peak.arrayBuffers, m.arrayBuffers);
  };
  setInterval(sample, 50).unref();
  process.on("exit", () => {
    sample();
    const usage = process.resourceUsage();
    const probe: RssProbe = {
      maxRssKb: usage.maxRSS,
      peakHeapUsedBytes: peak.heapUsed,
      peakExternalBytes: peak.external,
      peakArrayBuffersBytes: peak.arrayBuffers,
      userMs: usage.userCPUTime / 1000,
      systemMs: usage.systemCPUTime / 1000,
    };
    writeFileSync(file, JSON.stringify(probe));
  });
}
