/**
 * The registry of remotecommand subprotocols kubexec speaks over WebSocket, and the choice of
 * which to offer. v2 and v3 exist only over SPDY and there is no base64 v5, so five remain.
 *
 * @module
 */

import { base64Protocol } from "./base64_protocol.ts";
import { binaryProtocol } from "./binary_protocol.ts";
import type { ChannelProtocol } from "./channel.ts";
import { ProtocolError } from "./errors.ts";

export type { ChannelFrame, ChannelProtocol, StatusFormat } from "./channel.ts";
export { Channel, MAX_MESSAGE_BYTES } from "./channel.ts";

const HANDLERS: readonly ChannelProtocol[] = [
  binaryProtocol({ name: "v5.channel.k8s.io", canHalfClose: true, statusFormat: "status-json" }),
  binaryProtocol({ name: "v4.channel.k8s.io", canHalfClose: false, statusFormat: "status-json" }),
  base64Protocol({ name: "v4.base64.channel.k8s.io", statusFormat: "status-json" }),
  binaryProtocol({ name: "channel.k8s.io", canHalfClose: false, statusFormat: "error-text" }),
  base64Protocol({ name: "base64.channel.k8s.io", statusFormat: "error-text" }),
];

/** Every subprotocol kubexec can speak, newest first. */
export const SUPPORTED_PROTOCOLS: readonly string[] = HANDLERS.map((handler) => handler.name);

/**
 * What kubexec offers by default, in one `Sec-WebSocket-Protocol` line: new API servers translate
 * and pick v5; older ones pass the upgrade through to the kubelet, which picks v4.
 */
export const DEFAULT_PROTOCOLS: readonly string[] = ["v5.channel.k8s.io", "v4.channel.k8s.io"];

/**
 * The handler for a subprotocol name; throws {@linkcode ProtocolError} for names kubexec does not
 * speak (including the empty name a server picks when nothing matched).
 *
 * @example
 * ```ts
 * import { protocolHandler } from "./protocol.ts";
 * protocolHandler("v5.channel.k8s.io").canHalfClose; // true
 * ```
 */
export function protocolHandler(name: string): ChannelProtocol {
  const handler = HANDLERS.find((candidate) => candidate.name === name);
  if (handler) return handler;
  const shown = name === "" ? "no subprotocol" : `subprotocol ${JSON.stringify(name)}`;
  throw new ProtocolError(
    `${shown} is not supported; kubexec speaks ${SUPPORTED_PROTOCOLS.join(", ")}`,
    { protocol: name },
  );
}

/**
 * Checks the server's choice against what was offered and returns its handler. A server that
 * picks something it was not offered (or nothing) is refused, as client-go does.
 *
 * @example
 * ```ts
 * import { DEFAULT_PROTOCOLS, negotiatedProtocol } from "./protocol.ts";
 * negotiatedProtocol(DEFAULT_PROTOCOLS, "v4.channel.k8s.io").name; // "v4.channel.k8s.io"
 * ```
 */
export function negotiatedProtocol(
  offered: readonly string[],
  chosen: string,
): ChannelProtocol {
  if (!offered.includes(chosen)) {
    const shown = chosen === "" ? "no subprotocol" : `subprotocol ${JSON.stringify(chosen)}`;
    throw new ProtocolError(
      `the server chose ${shown}, but kubexec offered ${offered.join(", ")}`,
      { protocol: chosen },
    );
  }
  return protocolHandler(chosen);
}
