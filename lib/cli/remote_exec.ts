/**
 * The cp layer's {@linkcode RemoteExec} on a real exec session: each call upgrades one exec
 * WebSocket for the command (`stdin=true` only when the call has stdin), runs it with
 * {@linkcode runStreamSession} (back-pressure both ways, stdin half-closed with v5's CLOSE at its
 * end) and resolves with the remote exit code.
 *
 * A stream that broke before the status arrived becomes a `RemoteExecError` with
 * `connectionLost: true`, so cp's `--retries` resumes the download; every other error (a refused
 * upgrade, `Internal error occurred: … executable file not found`) is passed on unchanged, since
 * those carry the kubectl-shaped message the user should see.
 *
 * @module
 */
import { RemoteExecError } from "../cp/remote_exec.ts";
import type { RemoteExec, RemoteExecStreams } from "../cp/remote_exec.ts";
import { runStreamSession } from "../stream/exec.ts";
import { ConnectionLostError } from "../stream/errors.ts";
import { protocolHandler } from "../stream/protocol.ts";
import { UpgradeError } from "../transport/errors.ts";
import type { ApiClient } from "../transport/types.ts";
import { type Logger, silentLogger } from "../log.ts";
import { execPath } from "./commands/exec.ts";
import { protocolsToOffer, upgradeFailure } from "./session.ts";

/** Where the commands run. */
export interface RemoteExecTarget {
  client: ApiClient;
  namespace: string;
  pod: string;
  container: string;
}

/** Tuning of the sessions; durations in milliseconds. */
export interface RemoteExecSettings {
  /** One subprotocol to offer instead of the default v5, v4 (`--protocol`). */
  protocol?: string;
  /** Ping period (default 5000, as client-go). */
  keepaliveMs?: number;
  /** Silence after which the server counts as gone (default 61000, as client-go). */
  deadPeerMs?: number;
  logger?: Logger;
}

/**
 * An upload needs the remote `tar` to see the end of its stdin, which only v5 can signal: on an
 * older protocol the command would wait forever. Raised instead of starting such a session.
 *
 * @example
 * ```ts
 * import { StdinHalfCloseError } from "./remote_exec.ts";
 * new StdinHalfCloseError("v4.channel.k8s.io").hint;
 * ```
 */
export class StdinHalfCloseError extends Error {
  override name = "StdinHalfCloseError";
  /** The protocol the server chose. */
  readonly protocol: string;
  /** What to do about it. */
  readonly hint: string;
  /** Creates the error for the negotiated `protocol`. */
  constructor(protocol: string) {
    super(
      `the server chose ${protocol}, which cannot signal the end of stdin, so the remote command would never finish`,
    );
    this.protocol = protocol;
    this.hint =
      "copying into a container needs v5.channel.k8s.io (API server 1.30 or newer with the WebSocket stream translator)";
  }
}

async function cancelQuietly(stdin: ReadableStream<Uint8Array> | undefined): Promise<void> {
  await stdin?.cancel().catch(() => {});
}

/**
 * Binds a {@linkcode RemoteExec} to one pod and container.
 *
 * @example
 * ```ts ignore
 * import { createRemoteExec } from "./remote_exec.ts";
 * import { download } from "../cp/mod.ts";
 * const exec = createRemoteExec({ client, namespace: "default", pod: "web-0", container: "app" });
 * await download(exec, "/var/log/app", "./logs", { retries: 3 });
 * ```
 */
export function createRemoteExec(
  target: RemoteExecTarget,
  settings: RemoteExecSettings = {},
): RemoteExec {
  const logger = settings.logger ?? silentLogger;
  const offered = protocolsToOffer(settings.protocol ?? "");
  return async (command: string[], streams: RemoteExecStreams) => {
    const path = execPath(target.namespace, target.pod, {
      command,
      container: target.container,
      stdin: streams.stdin !== undefined,
      tty: false,
    });
    logger(4, () => `cp: exec ${JSON.stringify(command)}`);
    let ws;
    try {
      ws = await target.client.upgrade(path, offered);
    } catch (error) {
      await cancelQuietly(streams.stdin);
      if (error instanceof UpgradeError) throw upgradeFailure(error, path, offered);
      throw error;
    }
    if (streams.stdin !== undefined && !protocolHandler(ws.protocol).canHalfClose) {
      await ws.close(1000).catch(() => {});
      await cancelQuietly(streams.stdin);
      throw new StdinHalfCloseError(ws.protocol);
    }
    try {
      const result = await runStreamSession(ws, {
        stdin: streams.stdin,
        stdout: streams.stdout,
        stderr: streams.stderr,
        tty: false,
      }, {
        keepaliveMs: settings.keepaliveMs,
        deadPeerMs: settings.deadPeerMs,
        logger,
      });
      return { exitCode: result.exitCode };
    } catch (error) {
      if (error instanceof ConnectionLostError) {
        throw new RemoteExecError(error.message, { connectionLost: true, cause: error });
      }
      throw error;
    }
  };
}
