/**
 * The legacy WebSocket port-forward protocol of the kubelet: for the i-th requested port, data
 * on channel 2i and errors on 2i+1, both opened with the port as 2 little-endian bytes; one TCP
 * connection per port per WebSocket, to the loopback port the pod maps it to. When every port's
 * connection ended the WebSocket is closed; when the client goes, the connections are dropped.
 *
 * @module
 */

import { decodeChannelMessage } from "./channels.ts";
import type { SessionOutput } from "./session_io.ts";

/** What a port-forward session needs to know. */
export interface PortForwardParams {
  ports: number[];
  /** Pod port → loopback port. */
  portMap: Record<number, number>;
  /** The id the CRI server names the pod by in errors (the sandbox id). */
  sandboxId: string;
  /** Read size toward the pod side (default 32 KiB). */
  readBufferBytes?: number;
  /** Aborted when the pod is deleted: every forwarded connection is closed. */
  podGone: AbortSignal;
}

function portPrefix(port: number): Uint8Array {
  return new Uint8Array([port & 0xff, port >> 8]);
}

/**
 * The error text the CRI server writes when the pod-side connection fails.
 *
 * @example
 * ```ts
 * import { forwardingError } from "./portforward.ts";
 * forwardingError(8080, "abc", "connect: connection refused");
 * ```
 */
export function forwardingError(port: number, sandboxId: string, cause: string): string {
  return `error forwarding port ${port} to pod ${sandboxId}, uid : failed to execute portforward ` +
    `in network namespace "/var/run/netns/cni-${sandboxId.slice(0, 8)}": failed to connect to ` +
    `localhost:${port} inside namespace "${sandboxId}", IPv4: dial tcp4 127.0.0.1:${port}: ` +
    `${cause} IPv6 dial tcp6: address localhost: no suitable address `;
}

interface PortStream {
  port: number;
  connection?: Deno.TcpConn;
  /** Resolves once the connection attempt finished (successfully or not). */
  connecting: Promise<void>;
  done: Promise<void>;
}

/**
 * Runs one port-forward session to its end.
 *
 * @example
 * ```ts ignore
 * await servePortForward(output, { ports: [8080], portMap: { 8080: 41234 }, sandboxId: "abc" });
 * ```
 */
export async function servePortForward(
  out: SessionOutput,
  params: PortForwardParams,
): Promise<void> {
  const streams: PortStream[] = [];
  try {
    for (let i = 0; i < params.ports.length; i++) {
      await out.write(2 * i, portPrefix(params.ports[i]));
      await out.write(2 * i + 1, portPrefix(params.ports[i]));
      out.log.outputBytes -= 4;
    }
    await out.preamble();
    for (let i = 0; i < params.ports.length; i++) {
      streams.push(openPort(out, i, params));
    }
    const dropAll = () => streams.forEach((s) => closeQuietly(s.connection));
    params.podGone.addEventListener("abort", dropAll, { once: true });
    if (params.podGone.aborted) dropAll();
    const client = readClient(out, streams);
    await Promise.race([Promise.all(streams.map((s) => s.done)), client]);
    out.stopPings();
    for (const stream of streams) closeQuietly(stream.connection);
    await Promise.all(streams.map((s) => s.done));
    await out.finish();
    await client;
  } finally {
    out.stopPings();
    for (const stream of streams) closeQuietly(stream.connection);
  }
}

function closeQuietly(connection: Deno.TcpConn | undefined): void {
  try {
    connection?.close();
  } catch {
    // already closed
  }
}

function openPort(out: SessionOutput, index: number, params: PortForwardParams): PortStream {
  const port = params.ports[index];
  const stream: PortStream = { port, connecting: Promise.resolve(), done: Promise.resolve() };
  const local = params.portMap[port];
  const attempt = local === undefined
    ? Promise.reject(new Error("connect: connection refused"))
    : Deno.connect({ hostname: "127.0.0.1", port: local });
  stream.connecting = attempt.then((c) => {
    stream.connection = c;
  }, () => {});
  stream.done = attempt.then(
    (connection) => copyToClient(out, connection, 2 * index, params.readBufferBytes ?? 32 * 1024),
    async (error: Error) => {
      const cause = error instanceof Deno.errors.ConnectionRefused
        ? "connect: connection refused"
        : error.message;
      await out.write(
        2 * index + 1,
        new TextEncoder().encode(forwardingError(port, params.sandboxId, cause)),
      );
    },
  );
  return stream;
}

async function copyToClient(
  out: SessionOutput,
  connection: Deno.TcpConn,
  channel: number,
  bufferBytes: number,
): Promise<void> {
  const buffer = new Uint8Array(bufferBytes);
  while (true) {
    let count: number | null;
    try {
      count = await connection.read(buffer);
    } catch {
      return;
    }
    if (count === null) return;
    if (!(await out.write(channel, buffer.subarray(0, count)))) return;
  }
}

async function readClient(out: SessionOutput, streams: PortStream[]): Promise<void> {
  while (true) {
    const message = await out.ws.receive();
    if (message === null) return;
    const decoded = decodeChannelMessage(out.codec, message.data);
    if (!decoded || decoded.channel % 2 !== 0) continue;
    const stream = streams[decoded.channel / 2];
    if (!stream) continue;
    out.log.stdinBytes += decoded.payload.length;
    await stream.connecting;
    try {
      let written = 0;
      while (written < decoded.payload.length) {
        written += await stream.connection!.write(decoded.payload.subarray(written));
      }
    } catch {
      // the pod side is gone; the client learns it when the WebSocket closes
    }
  }
}
