/**
 * The binary remotecommand protocols (`channel.k8s.io`, `v4.channel.k8s.io`,
 * `v5.channel.k8s.io`): every message is a binary WebSocket message whose first byte is the
 * channel and whose remainder is the payload. Only v5 adds the CLOSE signal `FF <channel>`.
 *
 * @module
 */

import {
  Channel,
  type ChannelFrame,
  type ChannelProtocol,
  MAX_MESSAGE_BYTES,
  type StatusFormat,
} from "./channel.ts";
import { ProtocolError } from "./errors.ts";
import type { WebSocketMessage } from "../transport/types.ts";

/** What distinguishes one binary protocol version from another. */
export interface BinaryProtocolTraits {
  /** The subprotocol name. */
  name: string;
  /** Whether `FF <channel>` half-closes a channel (v5 only). */
  canHalfClose: boolean;
  /** How channel 3 reports the outcome. */
  statusFormat: StatusFormat;
}

/**
 * Creates the handler of a binary protocol.
 *
 * @example
 * ```ts
 * import { binaryProtocol } from "./binary_protocol.ts";
 * const v4 = binaryProtocol({
 *   name: "v4.channel.k8s.io",
 *   canHalfClose: false,
 *   statusFormat: "status-json",
 * });
 * v4.decode({ binary: true, data: new Uint8Array([1, 0x68, 0x69]) }); // channel 1, "hi"
 * ```
 */
export function binaryProtocol(traits: BinaryProtocolTraits): ChannelProtocol {
  const maxPayloadBytes = MAX_MESSAGE_BYTES - 1;
  return {
    name: traits.name,
    binary: true,
    canHalfClose: traits.canHalfClose,
    statusFormat: traits.statusFormat,
    maxPayloadBytes,
    *encode(channel: number, payload: Uint8Array): Generator<Uint8Array> {
      checkChannel(channel, traits.name);
      let offset = 0;
      do {
        const end = Math.min(offset + maxPayloadBytes, payload.length);
        const message = new Uint8Array(1 + end - offset);
        message[0] = channel;
        message.set(payload.subarray(offset, end), 1);
        yield message;
        offset = end;
      } while (offset < payload.length);
    },
    encodeClose(channel: number): Uint8Array {
      if (!traits.canHalfClose) {
        throw new ProtocolError(`${traits.name} cannot half-close a channel`, {
          protocol: traits.name,
          channel,
        });
      }
      checkChannel(channel, traits.name);
      return new Uint8Array([Channel.close, channel]);
    },
    decode(message: WebSocketMessage): ChannelFrame {
      if (!message.binary) {
        throw new ProtocolError(`unexpected message type (text) on ${traits.name}`, {
          protocol: traits.name,
        });
      }
      if (message.data.length === 0) {
        throw new ProtocolError(`empty message without a channel on ${traits.name}`, {
          protocol: traits.name,
        });
      }
      return { channel: message.data[0], data: message.data.subarray(1) };
    },
  };
}

function checkChannel(channel: number, protocol: string): void {
  if (!Number.isInteger(channel) || channel < 0 || channel > 254) {
    throw new ProtocolError(`channel ${channel} cannot be sent on ${protocol}`, {
      protocol,
      channel,
    });
  }
}
