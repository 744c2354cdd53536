/**
 * The legacy WebSocket port-forward protocol every kubelet serves (`v4.channel.k8s.io`): one
 * WebSocket per local connection, asking for one port, so its data travels on channel 0 and the
 * server's error text on channel 1. The server opens each channel with the port as two
 * little-endian bytes, which are stripped here. The protocol has no half-close: after the local
 * side finished sending, the WebSocket stays open until the pod side ends, so a reply still
 * arrives.
 *
 * @module
 */
import type { ApiClient, ByteConn, WebSocketConn } from "../transport/types.ts";
import {
  type ForwardOutcome,
  type PortForwarder,
  PortForwardLostError,
} from "./portforward_types.ts";
import { concatBytes } from "../bytes.ts";
import { OneShot } from "../one_shot.ts";

/** The subprotocol of the legacy protocol (binary frames). */
export const LEGACY_PORT_FORWARD_PROTOCOL = "v4.channel.k8s.io";

/** Payload bytes per WebSocket message: 32 KiB messages with the channel byte, as client-go. */
const CHUNK_BYTES = 32 * 1024 - 1;
/** Error text kept per connection; the kubelet's messages are a few hundred bytes. */
const MAX_ERROR_BYTES = 64 * 1024;

/**
 * A forwarder that opens one legacy WebSocket per forwarded connection on `path`
 * (`/api/v1/namespaces/NS/pods/NAME/portforward`).
 *
 * @example
 * ```ts ignore
 * import { legacyPortForwarder } from "./portforward_legacy.ts";
 * const forwarder = legacyPortForwarder(client, "/api/v1/namespaces/default/pods/web-0/portforward");
 * const outcome = await forwarder.forward(localConn, 80);
 * ```
 */
export function legacyPortForwarder(client: ApiClient, path: string): PortForwarder {
  const sockets = new Set<WebSocketConn>();
  let closed = false;
  let markLost: (error: Error) => void = () => {};
  const lost = new Promise<Error>((resolve) => markLost = resolve);
  return {
    protocol: LEGACY_PORT_FORWARD_PROTOCOL,
    lost,
    async forward(local, remotePort) {
      if (closed) {
        local.close();
        throw new PortForwardLostError("the port-forward was closed");
      }
      let ws: WebSocketConn;
      try {
        ws = await client.upgrade(`${path}?ports=${remotePort}`, [LEGACY_PORT_FORWARD_PROTOCOL]);
      } catch (error) {
        local.close();
        throw error;
      }
      sockets.add(ws);
      try {
        return await forwardOverSocket(ws, local);
      } finally {
        sockets.delete(ws);
      }
    },
    async close() {
      closed = true;
      markLost(new PortForwardLostError("the port-forward was closed"));
      await Promise.all([...sockets].map((ws) => ws.close(1000).catch(() => {})));
    },
  };
}

/**
 * Runs one forwarded connection over an open legacy WebSocket that asked for one port.
 *
 * @example
 * ```ts ignore
 * import { forwardOverSocket } from "./portforward_legacy.ts";
 * const { error } = await forwardOverSocket(ws, localConn);
 * ```
 */
export async function forwardOverSocket(
  ws: WebSocketConn,
  local: ByteConn,
): Promise<ForwardOutcome> {
  const outcome: ForwardOutcome = { error: "", bytesIn: 0, bytesOut: 0 };
  const errorBytes: Uint8Array[] = [];
  let errorLength = 0;
  const prefixLeft = [2, 2];
  /** The upload stopped on an error (local read or WebSocket send), not at local EOF. */
  let localFailed = false;
  const upload = (async () => {
    const buffer = new Uint8Array(1 + CHUNK_BYTES);
    while (true) {
      let count: number | null;
      try {
        count = await local.read(buffer.subarray(1));
      } catch {
        localFailed = true;
        break;
      }
      if (count === null) break;
      outcome.bytesOut += count;
      // Set on every message: a WebSocket client may mask the buffer it is given in place.
      buffer[0] = 0;
      try {
        await ws.send(buffer.subarray(0, 1 + count), true);
      } catch {
        localFailed = true;
        break;
      }
    }
  })();
  let localWritable = true;
  let lost = false;
  const progress = { upload: "running" as "running" | "eof" | "failed" };
  // Raced against every received message: a OneShot, since Promise.race with the upload itself
  // kept each message reachable until the upload ended (a connection held all it downloaded).
  const uploadEnded = new OneShot<"upload">();
  void upload.then(() => {
    progress.upload = localFailed ? "failed" : "eof";
    uploadEnded.fire("upload");
  });
  let pending = ws.receive();
  while (true) {
    // After local EOF keep receiving: the legacy protocol cannot tell the pod, yet a reply comes.
    const next = progress.upload === "running" ? await uploadEnded.race(pending) : await pending;
    if (next === "upload") {
      if (progress.upload === "failed") break;
      continue;
    }
    if (next === null) {
      // A close frame ends the stream; the connection dropping without one is a loss, which
      // must not pass for the pod's end of the data.
      const code = ws.closeInfo?.code;
      if (code === undefined || code === 1006) lost = true;
      break;
    }
    pending = ws.receive();
    const data = next.data;
    if (data.length === 0) continue;
    const channel = data[0];
    if (channel > 1) continue;
    let payload = data.subarray(1);
    const strip = Math.min(prefixLeft[channel], payload.length);
    prefixLeft[channel] -= strip;
    payload = payload.subarray(strip);
    if (payload.length === 0) continue;
    if (channel === 1) {
      if (errorLength < MAX_ERROR_BYTES) {
        errorBytes.push(payload.slice(0, MAX_ERROR_BYTES - errorLength));
        errorLength += payload.length;
      }
      continue;
    }
    if (!localWritable) continue;
    try {
      await local.writeAll(payload);
      outcome.bytesIn += payload.length;
    } catch {
      localWritable = false;
      break;
    }
  }
  if (localWritable && !localFailed && !lost) await local.closeWrite().catch(() => {});
  await ws.close(1000).catch(() => {});
  local.close();
  await upload;
  outcome.error = new TextDecoder().decode(concatBytes(errorBytes)).trim() ||
    (lost ? "lost connection to pod" : "");
  return outcome;
}
