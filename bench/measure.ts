/**
 * Running one client invocation and measuring it: wall time, CPU time and peak RSS (through GNU
 * `time` when it is installed), captured stdout, and a stdout reader that consumes at a fixed
 * rate while `/proc/PID/status` is polled for the peak resident set (VmHWM).
 *
 * @module
 */

/** What one run cost. */
export interface RunMeasurement {
  /** Exit code of the client. */
  code: number;
  /** Wall time from spawn to exit, in milliseconds. */
  wallMs: number;
  /** User + system CPU seconds of the client, when GNU time is available. */
  cpuSeconds?: number;
  /** Peak resident set in KiB, when known. */
  peakRssKib?: number;
  /** Captured stdout (only when asked for). */
  stdout: string;
  /** The tail of stderr, for error messages. */
  stderr: string;
}

/** How to run a client. */
export interface RunSpec {
  /** Program and arguments. */
  argv: string[];
  /** A shell pipeline whose output becomes the client's stdin (e.g. `dd if=/dev/zero ...`). */
  stdinFrom?: string;
  /** A regular file the client's stdin is redirected from (`< FILE`). */
  stdinFile?: string;
  /** A regular file the client's stdout is redirected to (`> FILE`); wins over `captureStdout`. */
  stdoutFile?: string;
  /** A shell command the client's stdout is piped into (`| cat > /dev/null`); its exit code counts too. */
  stdoutPipe?: string;
  /** Keep stdout (small outputs only); otherwise it goes to /dev/null. */
  captureStdout?: boolean;
  /** Environment (merged over the harness's). */
  env?: Record<string, string>;
}

const GNU_TIME = "/usr/bin/time";

/** Whether GNU time is installed (for CPU and RSS figures). */
export const hasGnuTime: boolean = await Deno.stat(GNU_TIME).then((s) => s.isFile, () => false);

function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * Runs `spec` once and measures it.
 *
 * @example
 * ```ts ignore
 * import { measureRun } from "./measure.ts";
 * const run = await measureRun({ argv: ["kubectl", "version", "--client"] });
 * ```
 */
export async function measureRun(spec: RunSpec): Promise<RunMeasurement> {
  const timeFile = await Deno.makeTempFile({ prefix: "kubexec-bench-time-" });
  try {
    const timed = hasGnuTime
      ? [GNU_TIME, "-f", "%e %U %S %M", "-o", timeFile, ...spec.argv]
      : spec.argv;
    const stdout = spec.captureStdout && !spec.stdoutFile ? "piped" : "null";
    const redirects = [
      spec.stdinFile ? `< ${shellQuote(spec.stdinFile)}` : "",
      spec.stdoutFile ? `> ${shellQuote(spec.stdoutFile)}` : "",
    ].join(" ");
    const viaShell = spec.stdinFrom !== undefined || redirects.trim() !== "" ||
      spec.stdoutPipe !== undefined;
    const client = `${timed.map(shellQuote).join(" ")} ${redirects}`;
    const command = viaShell
      ? new Deno.Command(spec.stdoutPipe ? "bash" : "sh", {
        args: [
          "-c",
          spec.stdoutPipe
            // pipefail: the client's exit code must not hide behind the consumer's.
            ? `set -o pipefail; ${
              spec.stdinFrom ? `${spec.stdinFrom} | ` : ""
            }${client} | ${spec.stdoutPipe}`
            : `${spec.stdinFrom ? `${spec.stdinFrom} | ` : ""}exec ${client}`,
        ],
        stdin: "null",
        stdout,
        stderr: "piped",
        env: spec.env,
      })
      : new Deno.Command(timed[0], {
        args: timed.slice(1),
        stdin: "null",
        stdout,
        stderr: "piped",
        env: spec.env,
      });
    const started = performance.now();
    const output = await command.output();
    const wallMs = performance.now() - started;
    const measurement: RunMeasurement = {
      code: output.code,
      wallMs,
      stdout: spec.captureStdout ? new TextDecoder().decode(output.stdout) : "",
      stderr: new TextDecoder().decode(output.stderr).slice(-2000),
    };
    if (hasGnuTime) {
      const lines = (await Deno.readTextFile(timeFile)).trim().split("\n");
      const fields = lines[lines.length - 1].split(" ").map(Number);
      if (fields.length === 4 && fields.every(Number.isFinite)) {
        measurement.cpuSeconds = fields[1] + fields[2];
        measurement.peakRssKib = fields[3];
      }
    }
    return measurement;
  } finally {
    await Deno.remove(timeFile).catch(() => {});
  }
}

async function peakRssKib(pid: number): Promise<number | undefined> {
  try {
    const status = await Deno.readTextFile(`/proc/${pid}/status`);
    const match = /^VmHWM:\s+(\d+) kB/m.exec(status);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** How the slow reader consumes the client's stdout. */
export interface SlowReadSpec {
  /** Bytes per second while slow. */
  bytesPerSecond: number;
  /** How many bytes are consumed at that rate before the rest is drained at full speed. */
  slowBytes: number;
}

/**
 * Runs `argv` with stdout read at `bytesPerSecond` for the first `slowBytes` bytes (then at full
 * speed), polling the client's VmHWM every 100 ms. Returns the highest value seen and the byte
 * count read.
 *
 * @example
 * ```ts ignore
 * import { measureSlowReader } from "./measure.ts";
 * const { peakRssKib } = await measureSlowReader(argv, { bytesPerSecond: 10 << 20, slowBytes: 100 << 20 });
 * ```
 */
export async function measureSlowReader(
  argv: string[],
  slow: SlowReadSpec,
  env?: Record<string, string>,
): Promise<{ code: number; bytes: number; peakRssKib: number; wallMs: number }> {
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    stdin: "null",
    stdout: "piped",
    stderr: "null",
    env,
  }).spawn();
  let peak = 0;
  let running = true;
  const poller = (async () => {
    while (running) {
      peak = Math.max(peak, await peakRssKib(child.pid) ?? 0);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  const started = performance.now();
  let bytes = 0;
  const reader = child.stdout.getReader({ mode: "byob" });
  let buffer = new ArrayBuffer(64 * 1024);
  while (true) {
    const { value, done } = await reader.read(new Uint8Array(buffer));
    if (done) break;
    bytes += value.length;
    buffer = value.buffer;
    if (bytes < slow.slowBytes) {
      const due = started + (bytes / slow.bytesPerSecond) * 1000;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
  const status = await child.status;
  running = false;
  await poller;
  return { code: status.code, bytes, peakRssKib: peak, wallMs: performance.now() - started };
}

/** Median, minimum and maximum of a list of numbers. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  runs: number;
}

/**
 * Summarises measurements.
 *
 * @example
 * ```ts
 * import { spread } from "./measure.ts";
 * spread([3, 1, 2]); // { median: 2, min: 1, max: 3, runs: 3 }
 * ```
 */
export function spread(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  const median = sorted.length % 2 === 1
    ? sorted[middle]
    : (sorted[middle - 1] + sorted[middle]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], runs: sorted.length };
}
