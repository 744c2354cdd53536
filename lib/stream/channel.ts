/**
 * The shape shared by every remotecommand channel protocol: channel numbers, the per-message size
 * limit, and the {@linkcode ChannelProtocol} interface each subprotocol handler implements.
 *
 * @module
 */

import type { WebSocketMessage } from "../transport/types.ts";

/** Channel ids of exec and attach; fixed whatever streams were requested. */
export const Channel = {
  stdin: 0,
  stdout: 1,
  stderr: 2,
  status: 3,
  resize: 4,
  /** v5 only: the CLOSE signal, followed by the one-byte id of the channel to half-close. */
  close: 255,
} as const;

/**
 * Largest WebSocket message kubexec sends, channel prefix included. The API server's Go WebSocket
 * code handles one frame at a time and client-go keeps messages within 32 KiB, so every outgoing
 * message is one unfragmented frame of at most this size.
 */
export const MAX_MESSAGE_BYTES = 32 * 1024;

/** A received message split into its channel and payload. */
export interface ChannelFrame {
  /** The channel id (first byte, or first character minus `'0'` on base64 protocols). */
  channel: number;
  /** The payload; empty for the ready marker. */
  data: Uint8Array;
}

/** How the status channel reports the command's outcome. */
export type StatusFormat =
  /** v4/v5: JSON `metav1.Status`, written on success too. */
  | "status-json"
  /** v1: plain error text, nothing at all on success. */
  | "error-text";

/**
 * One remotecommand subprotocol: how payloads are framed into WebSocket messages and back, and
 * what the protocol can express.
 *
 * @example
 * ```ts
 * import { protocolHandler } from "./protocol.ts";
 * const v5 = protocolHandler("v5.channel.k8s.io");
 * const [message] = v5.encode(0, new TextEncoder().encode("ls\n"));
 * // message is 00 6C 73 0A, sent as a binary message
 * ```
 */
export interface ChannelProtocol {
  /** The subprotocol name as negotiated in `Sec-WebSocket-Protocol`. */
  readonly name: string;
  /** Whether messages go out as binary (`true`) or text (`false`) WebSocket messages. */
  readonly binary: boolean;
  /** Whether a channel can be half-closed (only `v5.channel.k8s.io`). */
  readonly canHalfClose: boolean;
  /** How channel 3 reports the outcome. */
  readonly statusFormat: StatusFormat;
  /** Largest payload that fits in one message of at most {@linkcode MAX_MESSAGE_BYTES}. */
  readonly maxPayloadBytes: number;
  /**
   * Frames `payload` for `channel` as messages of at most {@linkcode MAX_MESSAGE_BYTES}, splitting
   * larger payloads. An empty payload yields one message carrying only the channel.
   */
  encode(channel: number, payload: Uint8Array): Generator<Uint8Array>;
  /** The message that half-closes `channel`; throws `ProtocolError` where unsupported. */
  encodeClose(channel: number): Uint8Array;
  /** Splits a received message; throws `ProtocolError` for messages the protocol cannot carry. */
  decode(message: WebSocketMessage): ChannelFrame;
}
