/**
 * The e2e driver (`deno task test:e2e`): builds the Go harness (cached by a hash of its sources and
 * the Go version), starts the real control plane, runs `deno test` on `tests/e2e/` with
 * `KUBEXEC_E2E_CLUSTER` pointing at the harness's ready line, stops the harness (its whole process
 * group), removes the run directory, and exits with the tests' exit code.
 *
 * Arguments after `--` go to `deno test` (for example `-- --filter attach`). The harness log is kept
 * in `tests/e2e/.build/harness.log`; its tail is printed when something fails.
 *
 * @module
 */
import { createHash } from "node:crypto";

const e2eDir = new URL(".", import.meta.url).pathname;
const repoRoot = new URL("../..", import.meta.url).pathname;
const harnessDir = `${e2eDir}harness`;
const buildDir = `${e2eDir}.build`;
const binary = `${buildDir}/harness`;
const hashFile = `${buildDir}/harness.sha256`;
const logFile = `${buildDir}/harness.log`;
const READY_TIMEOUT_MS = 5 * 60_000;
const STOP_GRACE_MS = 15_000;

/** Something the driver could not do; the message says what and where to look. */
class E2eDriverError extends Error {
  override name = "E2eDriverError";
}

const encoder = new TextEncoder();

function writeAll(target: typeof Deno.stdout | typeof Deno.stderr, text: string) {
  const bytes = encoder.encode(text);
  for (let offset = 0; offset < bytes.length;) offset += target.writeSync(bytes.subarray(offset));
}

function say(line: string) {
  writeAll(Deno.stdout, `e2e: ${line}\n`);
}

function complain(text: string) {
  writeAll(Deno.stderr, `${text}\n`);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

async function goVersion(): Promise<string> {
  const output = await new Deno.Command("go", { args: ["version"], stdout: "piped" }).output();
  if (!output.success) throw new E2eDriverError("`go version` failed: is Go on PATH?");
  return new TextDecoder().decode(output.stdout).trim();
}

/** A hash of everything the harness binary is built from that lives in this repository. */
async function sourceHash(): Promise<string> {
  const hash = createHash("sha256");
  hash.update(await goVersion());
  const names: string[] = [];
  for await (const entry of Deno.readDir(harnessDir)) {
    if (entry.isFile && /\.go$|^go\.(mod|sum)$/.test(entry.name)) names.push(entry.name);
  }
  for (const name of names.sort()) {
    hash.update(`\0${name}\0`);
    hash.update(await Deno.readFile(`${harnessDir}/${name}`));
  }
  return hash.digest("hex");
}

async function readTextOr(path: string, fallback: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch {
    return fallback;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

async function buildHarness(): Promise<void> {
  await Deno.mkdir(buildDir, { recursive: true });
  const hash = await sourceHash();
  if (await exists(binary) && (await readTextOr(hashFile, "")).trim() === hash) {
    say(`harness build: cached (sources unchanged, ${hash.slice(0, 12)})`);
    return;
  }
  say("harness build: go build (a cold build of kube-apiserver takes minutes on 2 cores)");
  const started = performance.now();
  const status = await new Deno.Command("go", {
    args: ["build", "-buildvcs=false", "-o", binary, "."],
    cwd: harnessDir,
    stdout: "inherit",
    stderr: "inherit",
  }).spawn().status;
  if (!status.success) throw new E2eDriverError(`go build failed with exit code ${status.code}`);
  await Deno.writeTextFile(hashFile, `${hash}\n`);
  say(`harness build: ${seconds(performance.now() - started)}`);
}

/** The harness process and where its ready line was saved. */
interface RunningHarness {
  child: Deno.ChildProcess;
  clusterFile: string;
  runDir: string;
  logDone: Promise<void>;
}

async function logTail(lines = 60): Promise<string> {
  const text = await readTextOr(logFile, "");
  return text.split("\n").slice(-lines).join("\n");
}

/** Reads the harness's stdout until the ready line, or fails when it exits or takes too long. */
async function readReadyLine(child: Deno.ChildProcess): Promise<string> {
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  const deadline = setTimeout(() => lines.cancel(), READY_TIMEOUT_MS);
  try {
    while (true) {
      const { value, done } = await lines.read();
      if (done) break;
      buffered += value;
      const newline = buffered.indexOf("\n");
      if (newline >= 0) {
        const line = buffered.slice(0, newline);
        const parsed = JSON.parse(line);
        if (parsed.ready === true) return line;
        throw new E2eDriverError(`unexpected first line from the harness: ${line}`);
      }
    }
  } finally {
    clearTimeout(deadline);
    lines.releaseLock();
  }
  throw new E2eDriverError("the harness exited or timed out before it was ready");
}

async function startHarness(): Promise<RunningHarness> {
  const runDir = await Deno.makeTempDir({ prefix: "kubexec-e2e-" });
  const started = performance.now();
  // detached: the harness leads its own process group, so stopping it ends every process it
  // started (kube-apiserver and etcd run inside it; exec'd commands join its group).
  const child = new Deno.Command(binary, {
    args: ["--run-dir", runDir],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    detached: true,
  }).spawn();
  const log = await Deno.open(logFile, { create: true, write: true, truncate: true });
  const logDone = child.stderr.pipeTo(log.writable).catch(() => {});
  const harness = { child, clusterFile: `${runDir}/cluster.json`, runDir, logDone };
  try {
    const line = await readReadyLine(child);
    await Deno.writeTextFile(harness.clusterFile, `${line}\n`);
    await Deno.mkdir(`${runDir}/home`, { recursive: true });
    const info = JSON.parse(line);
    say(
      `harness ready in ${seconds(performance.now() - started)} (apiserver ${info.server}, ` +
        `harness's own startup ${seconds(info.startupMs)}, pid ${child.pid})`,
    );
    // Keep draining stdout so the harness never blocks on a full pipe.
    child.stdout.pipeTo(new WritableStream()).catch(() => {});
    return harness;
  } catch (error) {
    await stopHarness(harness);
    throw new E2eDriverError(
      `${(error as Error).message}\n--- harness log (tail)\n${await logTail()}`,
    );
  }
}

function signalGroup(pid: number, signal: Deno.Signal): boolean {
  try {
    Deno.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

function groupAlive(pid: number): boolean {
  try {
    Deno.kill(-pid, "SIGCONT");
    return true;
  } catch {
    return false;
  }
}

async function stopHarness(harness: RunningHarness): Promise<void> {
  const pid = harness.child.pid;
  signalGroup(pid, "SIGTERM");
  let timer: ReturnType<typeof setTimeout> | undefined;
  const graceful = await Promise.race([
    harness.child.status.then(() => true),
    new Promise<false>((resolve) => timer = setTimeout(() => resolve(false), STOP_GRACE_MS)),
  ]);
  clearTimeout(timer);
  if (!graceful) say("harness did not stop on SIGTERM; killing its process group");
  // Whatever is left in the group (a command still running in a pod) goes too.
  signalGroup(pid, "SIGKILL");
  await harness.child.status;
  await harness.logDone;
  for (let i = 0; i < 50 && groupAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  if (groupAlive(pid)) say(`warning: processes of group ${pid} are still alive`);
  await Deno.remove(harness.runDir, { recursive: true }).catch(() => {});
}

/** The running `deno test`, so that an interrupted driver can end it too. */
let testRun: Deno.ChildProcess | undefined;

/** How `deno test` ended: its exit code and the counts line to close the run with. */
interface TestResult {
  code: number;
  /** "e2e: N passed, N failed, N skipped", or "" when deno test printed no summary. */
  countsLine: string;
}

/** Runs `deno test` on tests/e2e, passing output through and keeping its summary line. */
async function runTests(harness: RunningHarness, extraArgs: string[]): Promise<TestResult> {
  const child = testRun = new Deno.Command(Deno.execPath(), {
    // --no-config: deno.json excludes tests/e2e/ from `deno test` (so `deno task test` skips it),
    // and that exclusion applies to paths named on the command line too.
    args: ["test", "--allow-all", "--no-config", ...extraArgs, "tests/e2e/"],
    cwd: repoRoot,
    // NO_COLOR keeps the summary line free of escape codes, so it can be read back.
    env: { KUBEXEC_E2E_CLUSTER: harness.clusterFile, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  let summary = "";
  let pending = "";
  const decoder = new TextDecoder();
  const stdout = Deno.stdout.writable.getWriter();
  for await (const chunk of child.stdout) {
    await stdout.write(chunk);
    pending += decoder.decode(chunk, { stream: true });
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      // deno test's closing line: "ok | 12 passed (3 steps) | 0 failed | 2 ignored (9s)".
      if (/^(ok|FAILED) \| \d+ passed/.test(line)) summary = line;
    }
  }
  stdout.releaseLock();
  const status = await child.status;
  if (!summary) {
    say(`deno test printed no summary line (exit code ${status.code})`);
    return { code: status.code, countsLine: "" };
  }
  const passed = summary.match(/(\d+) passed/)?.[1] ?? "0";
  const failed = summary.match(/(\d+) failed/)?.[1] ?? "0";
  const ignored = summary.match(/(\d+) ignored/)?.[1] ?? "0";
  say(`deno test: ${summary}`);
  return {
    code: status.code,
    countsLine: `e2e: ${passed} passed, ${failed} failed, ${ignored} skipped`,
  };
}

/**
 * Starts the harness, once more if the first start fails: its loopback ports are picked free and
 * then bound, and another process may take one in between.
 */
async function startHarnessWithRetry(): Promise<RunningHarness> {
  try {
    return await startHarness();
  } catch (error) {
    say(`harness failed to start; retrying once:\n${(error as Error).message}`);
    return await startHarness();
  }
}

async function main(args: string[]): Promise<number> {
  const started = performance.now();
  const separator = args.indexOf("--");
  const testArgs = separator >= 0 ? args.slice(separator + 1) : args;
  await buildHarness();
  const harness = await startHarnessWithRetry();
  // An interrupted run still stops the harness (it is in its own process group, so the terminal's
  // SIGINT does not reach it) and removes the run directory.
  const onSignal = (signal: Deno.Signal, code: number) => async () => {
    say(`${signal}: stopping the tests and the harness`);
    try {
      testRun?.kill("SIGTERM");
    } catch {
      // Already finished.
    }
    await testRun?.status;
    await stopHarness(harness);
    Deno.exit(code);
  };
  const listeners: [Deno.Signal, () => void][] = [
    ["SIGINT", onSignal("SIGINT", 130)],
    ["SIGTERM", onSignal("SIGTERM", 143)],
  ];
  for (const [signal, listener] of listeners) Deno.addSignalListener(signal, listener);
  let result: TestResult = { code: 1, countsLine: "" };
  try {
    result = await runTests(harness, testArgs);
    if (result.code !== 0) complain(`--- harness log (tail)\n${await logTail(30)}`);
  } finally {
    for (const [signal, listener] of listeners) Deno.removeSignalListener(signal, listener);
    const stopping = performance.now();
    await stopHarness(harness);
    say(
      `harness stopped in ${seconds(performance.now() - stopping)}, run directory removed; ` +
        `total ${seconds(performance.now() - started)}`,
    );
  }
  // Last, so that the run closes with the plain counts line CI reads.
  if (result.countsLine) writeAll(Deno.stdout, `${result.countsLine}\n`);
  return result.code;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    complain(`e2e: ${error instanceof E2eDriverError ? error.message : error}`);
    Deno.exit(1);
  }
}
