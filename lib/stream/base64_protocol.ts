/**
 * The base64 remotecommand protocols (`base64.channel.k8s.io`, `v4.base64.channel.k8s.io`) for
 * servers or proxies that only pass text: every message is a text WebSocket message whose first
 * character is `'0' + channel` followed by the standard, padded base64 of that message's payload
 * (each message is encoded on its own). Neither can half-close a channel.
 *
 * @module
 */

import {
  type ChannelFrame,
  type ChannelProtocol,
  MAX_MESSAGE_BYTES,
  type StatusFormat,
} from "./channel.ts";
import { ProtocolError } from "./errors.ts";
import type { WebSocketMessage } from "../transport/types.ts";

const ZERO = 0x30;
/** Channels beyond this would need a prefix character outside one byte. */
const MAX_CHANNEL = 0xff - ZERO;

/** What distinguishes one base64 protocol version from another. */
export interface Base64ProtocolTraits {
  /** The subprotocol name. */
  name: string;
  /** How channel 3 reports the outcome. */
  statusFormat: StatusFormat;
}

/**
 * Creates the handler of a base64 protocol.
 *
 * @example
 * ```ts
 * import { base64Protocol } from "./base64_protocol.ts";
 * const v4 = base64Protocol({ name: "v4.base64.channel.k8s.io", statusFormat: "status-json" });
 * const [message] = v4.encode(0, new TextEncoder().encode("ls\n"));
 * new TextDecoder().decode(message); // "0bHMK"
 * ```
 */
export function base64Protocol(traits: Base64ProtocolTraits): ChannelProtocol {
  // Every 3 payload bytes become 4 characters; one character is the channel prefix.
  const maxPayloadBytes = Math.floor((MAX_MESSAGE_BYTES - 1) / 4) * 3;
  const encoder = new TextEncoder();
  return {
    name: traits.name,
    binary: false,
    canHalfClose: false,
    statusFormat: traits.statusFormat,
    maxPayloadBytes,
    *encode(channel: number, payload: Uint8Array): Generator<Uint8Array> {
      if (!Number.isInteger(channel) || channel < 0 || channel > MAX_CHANNEL) {
        throw new ProtocolError(`channel ${channel} cannot be sent on ${traits.name}`, {
          protocol: traits.name,
          channel,
        });
      }
      let offset = 0;
      do {
        const end = Math.min(offset + maxPayloadBytes, payload.length);
        const text = String.fromCharCode(ZERO + channel) +
          payload.subarray(offset, end).toBase64();
        yield encoder.encode(text);
        offset = end;
      } while (offset < payload.length);
    },
    encodeClose(channel: number): Uint8Array {
      throw new ProtocolError(`${traits.name} cannot half-close a channel`, {
        protocol: traits.name,
        channel,
      });
    },
    decode(message: WebSocketMessage): ChannelFrame {
      if (message.binary) {
        throw new ProtocolError(`unexpected message type (binary) on ${traits.name}`, {
          protocol: traits.name,
        });
      }
      if (message.data.length === 0 || message.data[0] < ZERO) {
        throw new ProtocolError(`message without a channel character on ${traits.name}`, {
          protocol: traits.name,
        });
      }
      const channel = message.data[0] - ZERO;
      const text = new TextDecoder().decode(message.data.subarray(1));
      try {
        return {
          channel,
          data: Uint8Array.fromBase64(text, { lastChunkHandling: "strict" }),
        };
      } catch {
        throw new ProtocolError(`invalid base64 on channel ${channel} of ${traits.name}`, {
          protocol: traits.name,
          channel,
        });
      }
    },
  };
}
