/**
 * Subprotocol negotiation and channel framing of the Kubernetes streaming protocols as the
 * server side sees them: binary `[channel][payload]` messages, base64 text messages
 * (`'0'+channel` then padded standard base64), and which protocol versions carry a JSON status
 * or the v5 CLOSE signal.
 *
 * @module
 */

/** Every exec/attach protocol the kubelet (CRI streaming server) accepts over WebSocket. */
export const KUBELET_PROTOCOLS = [
  "",
  "channel.k8s.io",
  "base64.channel.k8s.io",
  "v4.channel.k8s.io",
  "v4.base64.channel.k8s.io",
];

/** Every legacy port-forward protocol the kubelet accepts over WebSocket. */
export const PORT_FORWARD_PROTOCOLS = ["", "v4.channel.k8s.io", "v4.base64.channel.k8s.io"];

/** The v5 protocol, only served by the API server's stream translator. */
export const V5 = "v5.channel.k8s.io";

/** The prefix of the bearer-token subprotocol (stripped before negotiation). */
export const TOKEN_PROTOCOL_PREFIX = "base64url.bearer.authorization.k8s.io.";

/** How one negotiated protocol frames and reports. */
export interface ChannelCodec {
  protocol: string;
  /** Text frames with base64 payloads. */
  base64: boolean;
  /** Status on channel 3 is `metav1.Status` JSON (v4, v5), not plain text (v1). */
  jsonStatus: boolean;
  /** `FF <channel>` half-closes (v5 only). */
  closeSignal: boolean;
}

/**
 * The codec for a negotiated subprotocol.
 *
 * @example
 * ```ts
 * import { codecFor } from "./channels.ts";
 * codecFor("v4.base64.channel.k8s.io").base64; // true
 * ```
 */
export function codecFor(protocol: string): ChannelCodec {
  return {
    protocol,
    base64: protocol.includes("base64"),
    jsonStatus: protocol.startsWith("v4.") || protocol.startsWith("v5."),
    closeSignal: protocol === V5,
  };
}

/**
 * Splits `Sec-WebSocket-Protocol` the way the Go server does: only the first header line,
 * comma-separated and trimmed; a missing header offers just `""`.
 *
 * @example
 * ```ts
 * import { offeredProtocols } from "./channels.ts";
 * offeredProtocols(["v5.channel.k8s.io, v4.channel.k8s.io"]); // ["v5.channel.k8s.io", "v4.channel.k8s.io"]
 * ```
 */
export function offeredProtocols(headerLines: string[] | undefined): string[] {
  if (!headerLines || headerLines.length === 0) return [""];
  return headerLines[0].split(",").map((p) => p.trim());
}

/**
 * Picks the first protocol in the client's order that the server supports, or `undefined`.
 *
 * @example
 * ```ts
 * import { negotiateSubprotocol } from "./channels.ts";
 * negotiateSubprotocol(["x", "v4.channel.k8s.io"], ["v4.channel.k8s.io"]); // "v4.channel.k8s.io"
 * ```
 */
export function negotiateSubprotocol(offered: string[], supported: string[]): string | undefined {
  return offered.find((p) => supported.includes(p));
}

/**
 * Encodes one server→client message: the channel prefix and the payload to put after it,
 * plus whether the frame is binary.
 *
 * @example
 * ```ts
 * import { codecFor, encodeChannelMessage } from "./channels.ts";
 * encodeChannelMessage(codecFor("base64.channel.k8s.io"), 1, new TextEncoder().encode("hi\n"));
 * ```
 */
export function encodeChannelMessage(
  codec: ChannelCodec,
  channel: number,
  payload: Uint8Array,
): { prefix: Uint8Array; payload: Uint8Array; binary: boolean } {
  if (!codec.base64) return { prefix: new Uint8Array([channel]), payload, binary: true };
  const text = String.fromCharCode(48 + channel) + payload.toBase64();
  return { prefix: new TextEncoder().encode(text), payload: new Uint8Array(0), binary: false };
}

/**
 * Decodes one client→server message into channel and payload; `undefined` for an empty message
 * or invalid base64 (which the Go server logs and drops).
 *
 * @example
 * ```ts
 * import { codecFor, decodeChannelMessage } from "./channels.ts";
 * decodeChannelMessage(codecFor("v5.channel.k8s.io"), new Uint8Array([0, 104, 105]));
 * ```
 */
export function decodeChannelMessage(
  codec: ChannelCodec,
  data: Uint8Array,
): { channel: number; payload: Uint8Array } | undefined {
  if (data.length === 0) return undefined;
  if (!codec.base64) return { channel: data[0], payload: data.subarray(1) };
  const channel = data[0] - 48;
  try {
    const payload = Uint8Array.fromBase64(new TextDecoder().decode(data.subarray(1)));
    return { channel, payload };
  } catch {
    return undefined;
  }
}
