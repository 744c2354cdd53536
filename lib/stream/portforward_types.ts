/**
 * What every port-forward protocol offers the command: forward one accepted local connection to
 * a remote port and say how it ended. The legacy WebSocket protocol and the SPDY tunnel both
 * implement {@linkcode PortForwarder}, so listeners, printing and reconnecting stay
 * protocol-agnostic.
 *
 * @module
 */
import type { ByteConn } from "../transport/types.ts";

/** How one forwarded connection ended. */
export interface ForwardOutcome {
  /** Text the server wrote on the connection's error stream or channel (empty when none). */
  error: string;
  /** Bytes copied from the local connection to the pod. */
  bytesOut: number;
  /** Bytes copied from the pod to the local connection. */
  bytesIn: number;
}

/** Forwards local connections to a pod's ports over one negotiated protocol. */
export interface PortForwarder {
  /** The subprotocol in use (`SPDY/3.1+portforward.k8s.io` or `v4.channel.k8s.io`). */
  readonly protocol: string;
  /**
   * Copies `local` to and from `remotePort` until both directions ended, then closes `local`.
   * Rejects only when the forwarder itself failed (upgrade refused, tunnel lost).
   */
  forward(local: ByteConn, remotePort: number): Promise<ForwardOutcome>;
  /** Resolves (with the reason) once the forwarder can serve no further connection. */
  readonly lost: Promise<Error>;
  /** Ends every forwarded connection and the underlying WebSocket(s). */
  close(): Promise<void>;
}

/** The tunnel or WebSocket carrying port-forward streams broke. */
export class PortForwardLostError extends Error {
  /** What was observed, without the "lost connection to pod" the message starts with. */
  readonly reason: string;
  /** @param reason what was observed (close code, reset, read error) */
  constructor(reason: string) {
    super(`lost connection to pod: ${reason}`);
    this.name = "PortForwardLostError";
    this.reason = reason;
  }
}
