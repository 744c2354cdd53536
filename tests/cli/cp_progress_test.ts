/**
 * The cp progress display: number formatting, the progress and summary lines, redraw throttling
 * on a driven clock, and silence when disabled.
 */
import assert from "node:assert/strict";
import {
  createProgress,
  formatBytes,
  formatEta,
  progressLine,
  summaryLine,
} from "../../lib/cli/progress.ts";

function capture(): { stream: WritableStream<Uint8Array>; text: () => string } {
  const decoder = new TextDecoder();
  let text = "";
  return {
    stream: new WritableStream({
      write(chunk) {
        text += decoder.decode(chunk);
      },
    }),
    text: () => text,
  };
}

Deno.test("formatBytes uses binary units with one decimal", () => {
  assert.equal(formatBytes(0), "0 B");
  assert.equal(formatBytes(1023), "1023 B");
  assert.equal(formatBytes(1536), "1.5 KiB");
  assert.equal(formatBytes(64 * 1024 * 1024), "64.0 MiB");
  assert.equal(formatBytes(3 * 1024 ** 4), "3.0 TiB");
  assert.equal(formatBytes(2048 * 1024 ** 4), "2048.0 TiB");
});

Deno.test("formatEta rounds to seconds, minutes, hours", () => {
  assert.equal(formatEta(0.4), "0s");
  assert.equal(formatEta(59), "59s");
  assert.equal(formatEta(125), "2m05s");
  assert.equal(formatEta(3720), "1h02m");
  assert.equal(formatEta(-3), "0s");
});

Deno.test("progressLine shows percent and ETA with a total, bytes and rate without", () => {
  assert.equal(
    progressLine({ bytes: 1024 * 1024, total: 4 * 1024 * 1024 }, 1000),
    "1.0 MiB / 4.0 MiB (25%)  1.0 MiB/s  ETA 3s",
  );
  assert.equal(progressLine({ bytes: 2048 }, 2000), "2.0 KiB  1.0 KiB/s");
  assert.equal(progressLine({ bytes: 0, total: 10 }, 0), "0 B / 10 B (0%)  0 B/s");
  assert.equal(
    progressLine({ bytes: 20, total: 10 }, 1000),
    "20 B  20 B/s",
    "a passed total is dropped",
  );
});

Deno.test("summaryLine names files, size, time, rate, verification, resumes and fallback", () => {
  assert.equal(
    summaryLine({ files: 2, bytes: 2048, retries: 0, verified: "sha256" }, 2000),
    "copied 2 files, 2.0 KiB in 2.0s (1.0 KiB/s), sha256 verified",
  );
  assert.equal(
    summaryLine(
      { files: 1, bytes: 10, retries: 2, verified: "unavailable", fallback: "cat" },
      0,
    ),
    "copied 1 file, 10 B in 0.0s (0 B/s), not verified (no sha256sum in the container), resumed 2 times, with cat (no tar in the container)",
  );
  assert.match(summaryLine({ files: 1, bytes: 1, retries: 1 }, 1000), /, resumed 1 time$/);
});

Deno.test("createProgress redraws at most once per interval and clears before the summary", async () => {
  let clock = 1000;
  const out = capture();
  const progress = createProgress({
    stream: out.stream,
    enabled: true,
    now: () => clock,
    intervalMs: 200,
    columns: 40,
  });
  assert.equal(progress.enabled, true);
  clock = 2000;
  progress.update({ bytes: 1024, total: 4096 });
  clock = 2100;
  progress.update({ bytes: 2048, total: 4096 });
  await progress.clear();
  assert.equal(out.text(), "\r1.0 KiB / 4.0 KiB (25%)  1.0 KiB/s  ETA\x1b[K\r\x1b[K");
  clock = 3000;
  await progress.finish({ files: 1, bytes: 4096, retries: 0 });
  assert.ok(
    out.text().endsWith("\r\x1b[Kcopied 1 file, 4.0 KiB in 2.0s (2.0 KiB/s)\n"),
    JSON.stringify(out.text()),
  );
  const before = out.text();
  await progress.clear();
  assert.equal(out.text(), before, "nothing drawn since: nothing to clear");
});

Deno.test("a disabled progress writes nothing", async () => {
  const out = capture();
  const progress = createProgress({ stream: out.stream, enabled: false });
  assert.equal(progress.enabled, false);
  progress.update({ bytes: 1, total: 2 });
  await progress.clear();
  await progress.finish({ files: 1, bytes: 2, retries: 0 });
  assert.equal(out.text(), "");
});

Deno.test("a failing terminal never fails the copy", async () => {
  const progress = createProgress({
    stream: new WritableStream({
      write() {
        throw new Error("terminal gone");
      },
    }),
    enabled: true,
  });
  progress.update({ bytes: 1 });
  await progress.clear();
  await progress.finish({ files: 1, bytes: 1, retries: 0 });
});
