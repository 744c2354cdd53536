/**
 * Exec credential plugins (`users[].user.exec`, `client.authentication.k8s.io/v1` and `v1beta1`),
 * following client-go's `plugin/pkg/client/auth/exec/exec.go`:
 *
 * - the plugin runs lazily on the first `get()`, with our environment plus its configured `env` plus
 *   `KUBERNETES_EXEC_INFO`; its stderr is passed through, its stdin is ours only when interactive;
 * - the result is cached until `status.expirationTimestamp` has passed (no skew margin), or until
 *   `invalidate()` after a `401`; concurrent `get()` calls share one run;
 * - a missing executable reports client-go's help text and the `installHint` (at most 10 times an
 *   hour), a non-zero exit reports the exit code, and malformed output a named error — never the
 *   output itself, which holds secrets.
 *
 * @module
 */
import type { ExecClusterInfo, ExecConfig } from "../kubeconfig/types.ts";
import type { Logger } from "../log.ts";
import { silentLogger } from "../log.ts";
import {
  AuthConfigError,
  ExecCredentialFormatError,
  ExecInteractiveModeError,
  ExecPluginError,
  ExecPluginExitError,
  ExecPluginNotFoundError,
} from "./errors.ts";
import { type ExecCredentialResult, parseExecCredential } from "./exec_credential.ts";
import { execInfo } from "./exec_info.ts";
import { decideInteractive, type StdinState } from "./exec_interactive.ts";
import { neutraliseInstallHint } from "./install_hint.ts";
import { lookPath } from "./look_path.ts";
import type { CredentialProvider, Credentials } from "./types.ts";
import { OneShot } from "../one_shot.ts";

/** The `ExecCredential` versions client-go still accepts. */
export const EXEC_API_VERSIONS: readonly string[] = [
  "client.authentication.k8s.io/v1",
  "client.authentication.k8s.io/v1beta1",
];

/** The plugin configuration: kubeconfig's `exec` plus the cluster facts for `provideClusterInfo`. */
export type ExecPluginConfig = ExecConfig & { cluster?: ExecClusterInfo };

/** Options of {@linkcode execPluginProvider}. */
export interface ExecPluginOptions {
  /** The state of our standard input, for `interactiveMode`. */
  stdin: StdinState;
  /** What an interactive plugin reads: a stream, or `"inherit"` to hand over our own stdin. */
  pluginStdin?: ReadableStream<Uint8Array> | "inherit";
  /** Where the plugin's stderr goes: a stream, or `"inherit"`; discarded when absent. */
  pluginStderr?: WritableStream<Uint8Array> | "inherit";
  /** The environment the plugin's own `env` entries are added to; defaults to ours. */
  env?: Record<string, string>;
  logger?: Logger;
  /** Clock in milliseconds since the epoch, for `expirationTimestamp`; defaults to `Date.now`. */
  now?: () => number;
  /** The most stdout a plugin may print; defaults to 1 MiB. */
  maxOutputBytes?: number;
}

const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;
const HINT_THRESHOLD = 10;
const HINT_INTERVAL_MS = 60 * 60 * 1000;

/** Go's `filepath.Clean` for slash-separated paths: how client-go names the command. */
function cleanPath(path: string): string {
  if (path === "") return ".";
  const rooted = path.startsWith("/");
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (parts.length > 0 && parts[parts.length - 1] !== "..") parts.pop();
      else if (!rooted) parts.push("..");
      continue;
    }
    parts.push(part);
  }
  const joined = parts.join("/");
  if (rooted) return `/${joined}`;
  return joined === "" ? "." : joined;
}

/** Allows `threshold` calls per `interval`, like client-go's `sometimes`, to limit hint spam. */
function rateLimiter(now: () => number): () => boolean {
  let windowStart = -Infinity;
  let count = 0;
  return () => {
    const time = now();
    if (time - windowStart >= HINT_INTERVAL_MS) {
      windowStart = time;
      count = 0;
    }
    if (count >= HINT_THRESHOLD) return false;
    count++;
    return true;
  };
}

/** Reads at most `limit` bytes; beyond that, stops reading and reports the overflow. */
async function readBounded(
  stream: ReadableStream<Uint8Array>,
  limit: number,
): Promise<{ bytes: Uint8Array; overflow: boolean }> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of stream) {
    length += chunk.length;
    if (length > limit) return { bytes: new Uint8Array(), overflow: true };
    chunks.push(chunk);
  }
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return { bytes, overflow: false };
}

/** Takes `sink`'s writer, waiting briefly while another writer (the CLI's) holds the lock. */
async function acquireWriter(
  sink: WritableStream<Uint8Array>,
): Promise<WritableStreamDefaultWriter<Uint8Array>> {
  for (let attempt = 0;; attempt++) {
    if (!sink.locked || attempt >= 1000) return sink.getWriter();
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/**
 * Copies the plugin's stderr to `sink` chunk by chunk, taking the writer only per chunk so that the
 * sink stays usable by others (the CLI's stderr) between chunks. When the sink fails, the rest is
 * drained and dropped so the plugin never blocks on a full pipe.
 */
async function forwardStderr(
  source: ReadableStream<Uint8Array>,
  sink: WritableStream<Uint8Array>,
): Promise<void> {
  let sinkBroken = false;
  for await (const chunk of source) {
    if (sinkBroken) continue;
    try {
      const writer = await acquireWriter(sink);
      try {
        await writer.write(chunk);
      } finally {
        writer.releaseLock();
      }
    } catch {
      sinkBroken = true;
    }
  }
}

/**
 * Feeds `source` to the plugin's stdin until the plugin exits or the source ends, then releases
 * `source` without cancelling it: it is our own stdin, still needed after the plugin is done.
 */
async function feedStdin(
  source: ReadableStream<Uint8Array>,
  sink: WritableStream<Uint8Array>,
  exited: Promise<unknown>,
): Promise<void> {
  const reader = source.getReader();
  const writer = sink.getWriter();
  // Not Promise.race with `exited`: each race would keep its chunk until the plugin exits.
  const stop = new OneShot<undefined>();
  void exited.then(() => stop.fire(undefined), () => stop.fire(undefined));
  try {
    while (true) {
      const next = await stop.race(reader.read());
      if (next === undefined || next.done) break;
      const written = await stop.race(writer.write(next.value).then(() => true));
      if (written === undefined) break;
    }
  } catch {
    // The plugin closed its stdin early (broken pipe): it has read all it wanted.
  } finally {
    reader.releaseLock();
    await writer.close().catch(() => {});
  }
}

/**
 * Creates a provider that runs an exec credential plugin. Throws {@linkcode AuthConfigError} at
 * once for an unsupported `apiVersion`; every run-time failure rejects `get()` with an
 * {@linkcode ExecPluginError}.
 *
 * @example
 * ```ts
 * import { execPluginProvider } from "./exec_plugin.ts";
 * const provider = execPluginProvider(
 *   { command: "my-login", apiVersion: "client.authentication.k8s.io/v1", interactiveMode: "Never" },
 *   { stdin: { isTerminal: false, inUse: false } },
 * );
 * provider.description; // "exec plugin my-login"
 * ```
 */
export function execPluginProvider(
  config: ExecPluginConfig,
  options: ExecPluginOptions,
): CredentialProvider {
  const apiVersion = config.apiVersion ?? "";
  if (!EXEC_API_VERSIONS.includes(apiVersion)) {
    throw new AuthConfigError(`exec plugin: invalid apiVersion ${JSON.stringify(apiVersion)}`, {
      hint: apiVersion === "client.authentication.k8s.io/v1alpha1"
        ? "client.authentication.k8s.io/v1alpha1 was removed in Kubernetes 1.24; update the " +
          "plugin and set exec.apiVersion to client.authentication.k8s.io/v1"
        : `exec.apiVersion must be one of ${EXEC_API_VERSIONS.join(", ")}`,
    });
  }
  const command = cleanPath(config.command);
  const interactiveMode = config.interactiveMode ??
    (apiVersion === "client.authentication.k8s.io/v1beta1" ? "IfAvailable" : "");
  const installHint = neutraliseInstallHint(config.installHint ?? "");
  const configuredEnv: Record<string, string> = {};
  for (const entry of config.env ?? []) configuredEnv[entry.name] = entry.value;
  const now = options.now ?? Date.now;
  const logger = options.logger ?? silentLogger;
  const maxOutputBytes = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  const mayShowHint = rateLimiter(now);

  function spawn(interactive: boolean): Deno.ChildProcess {
    const baseEnv = options.env ?? Deno.env.toObject();
    const executable = lookPath(command, baseEnv.PATH ?? "");
    if (executable === undefined) {
      throw new ExecPluginNotFoundError(command, installHint, mayShowHint());
    }
    const env = {
      ...baseEnv,
      ...configuredEnv,
      KUBERNETES_EXEC_INFO: execInfo(
        apiVersion,
        interactive,
        config.provideClusterInfo ? config.cluster : undefined,
      ),
    };
    const stdinSource = interactive ? options.pluginStdin : undefined;
    const stderrSink = options.pluginStderr;
    try {
      return new Deno.Command(executable, {
        args: config.args ?? [],
        env,
        clearEnv: true,
        stdin: stdinSource === undefined ? "null" : stdinSource === "inherit" ? "inherit" : "piped",
        stdout: "piped",
        stderr: stderrSink === undefined ? "null" : stderrSink === "inherit" ? "inherit" : "piped",
      }).spawn();
    } catch (error) {
      if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.PermissionDenied) {
        throw new ExecPluginNotFoundError(command, installHint, mayShowHint(), { cause: error });
      }
      throw new ExecPluginError(command, `exec: ${(error as Error).message}`, { cause: error });
    }
  }

  async function run(): Promise<ExecCredentialResult> {
    const decision = decideInteractive(interactiveMode, options.stdin);
    if ("error" in decision) {
      throw new ExecInteractiveModeError(command, decision.error, { hint: decision.hint });
    }
    logger(
      4,
      () => `running exec credential plugin ${command} (interactive: ${decision.interactive})`,
    );
    const stdinSource = options.pluginStdin;
    if (decision.interactive && stdinSource instanceof ReadableStream && stdinSource.locked) {
      throw new ExecPluginError(
        command,
        "exec: standard input for the interactive plugin is locked by another reader",
      );
    }
    const child = spawn(decision.interactive);
    const stderrSink = options.pluginStderr;
    const side: Promise<void>[] = [];
    if (decision.interactive && stdinSource !== undefined && stdinSource !== "inherit") {
      side.push(feedStdin(stdinSource, child.stdin, child.status));
    }
    if (stderrSink !== undefined && stderrSink !== "inherit") {
      side.push(forwardStderr(child.stderr, stderrSink));
    }
    const output = await readBounded(child.stdout, maxOutputBytes);
    if (output.overflow) {
      try {
        child.kill("SIGKILL");
      } catch {
        // Already exited: nothing to stop.
      }
    }
    const [status] = await Promise.all([child.status, ...side]);
    if (output.overflow) {
      throw new ExecCredentialFormatError(
        command,
        `decoding stdout: the plugin printed more than ${maxOutputBytes} bytes`,
      );
    }
    if (!status.success) {
      throw new ExecPluginExitError(command, status.signal !== null ? -1 : status.code);
    }
    return parseExecCredential(new TextDecoder().decode(output.bytes), apiVersion, command);
  }

  let cached: { credentials: Credentials; expiresAt?: number } | undefined;
  let running: Promise<Credentials> | undefined;

  function usable(entry: { expiresAt?: number }): boolean {
    return entry.expiresAt === undefined || now() <= entry.expiresAt;
  }

  return {
    description: `exec plugin ${command}`,
    get() {
      if (cached !== undefined && usable(cached)) {
        return Promise.resolve(structuredClone(cached.credentials));
      }
      running ??= run()
        .then((result) => {
          const credentials: Credentials = { headers: [] };
          if (result.token !== undefined) {
            credentials.headers.push(["Authorization", `Bearer ${result.token}`]);
          }
          if (result.clientCert !== undefined) credentials.clientCert = result.clientCert;
          cached = { credentials };
          if (result.expiresAt !== undefined) cached.expiresAt = result.expiresAt;
          return credentials;
        })
        .finally(() => {
          running = undefined;
        });
      return running.then((credentials) => structuredClone(credentials));
    },
    invalidate() {
      if (running !== undefined) return Promise.resolve(true);
      if (cached === undefined) return Promise.resolve(false);
      cached = undefined;
      logger(4, () => `exec plugin ${command}: credentials rejected, the plugin will run again`);
      return Promise.resolve(true);
    },
  };
}
