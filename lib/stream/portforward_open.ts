/**
 * Chooses the port-forward protocol: the SPDY tunnel (`SPDY/3.1+portforward.k8s.io`, one
 * WebSocket for every connection, what kubectl ≥ 1.31 speaks) when the server offers it, else the
 * legacy WebSocket protocol every kubelet serves. A server without the tunnel refuses its upgrade
 * (an empty 403, or the kubelet's answer passed through), and the legacy protocol is tried; any
 * error of that second attempt is the one reported, as kubectl reports its fallback's error.
 *
 * @module
 */
import type { ApiClient } from "../transport/types.ts";
import type { Logger } from "../log.ts";
import { LEGACY_PORT_FORWARD_PROTOCOL, legacyPortForwarder } from "./portforward_legacy.ts";
import {
  openTunnelPortForwarder,
  TUNNEL_PORT_FORWARD_PROTOCOL,
  TunnelNegotiationError,
} from "./portforward_tunnel.ts";
import { UpgradeError } from "../transport/errors.ts";
import type { PortForwarder } from "./portforward_types.ts";

/** Which protocol to use: the better one offered, or one forced by `--protocol`. */
export type PortForwardProtocolChoice = "auto" | "tunnel" | "legacy";

/**
 * Maps a `--protocol` value (`tunnel`, `legacy`, a wire name, or empty) to a choice; `undefined`
 * when the value names no port-forward protocol.
 *
 * @example
 * ```ts
 * import { portForwardProtocolChoice } from "./portforward_open.ts";
 * portForwardProtocolChoice("v4.channel.k8s.io"); // "legacy"
 * ```
 */
export function portForwardProtocolChoice(value: string): PortForwardProtocolChoice | undefined {
  switch (value) {
    case "":
    case "auto":
      return "auto";
    case "tunnel":
    case "spdy":
    case TUNNEL_PORT_FORWARD_PROTOCOL:
      return "tunnel";
    case "legacy":
    case "websocket":
    case LEGACY_PORT_FORWARD_PROTOCOL:
      return "legacy";
  }
  return undefined;
}

/** Options of {@linkcode openPortForwarder}. */
export interface OpenPortForwarderOptions {
  choice: PortForwardProtocolChoice;
  logger?: Logger;
  /** SPDY pings over the tunnel (client-go sends one every 10 s); 0 disables. */
  pingIntervalMs?: number;
}

/**
 * Opens a forwarder for the pod's `portforward` subresource `path`.
 *
 * @example
 * ```ts ignore
 * import { openPortForwarder } from "./portforward_open.ts";
 * const forwarder = await openPortForwarder(client, path, { choice: "auto" });
 * console.log(forwarder.protocol);
 * ```
 */
export async function openPortForwarder(
  client: ApiClient,
  path: string,
  options: OpenPortForwarderOptions,
): Promise<PortForwarder> {
  const log = options.logger ?? (() => {});
  if (options.choice === "legacy") return await probedLegacy(client, path);
  try {
    const forwarder = await openTunnelPortForwarder(client, path, {
      pingIntervalMs: options.pingIntervalMs ?? 10_000,
    });
    log(2, () => `port-forward: using the SPDY tunnel (${forwarder.protocol})`);
    return forwarder;
  } catch (error) {
    const refused = error instanceof UpgradeError || error instanceof TunnelNegotiationError;
    // A server without the tunnel refuses it without a Status (an empty 403, or the kubelet's
    // answer passed through); a Status (RBAC, a missing pod) refuses the legacy upgrade as well,
    // and must end the command now rather than each connection later.
    if (options.choice === "tunnel" || !refused || isStatusRefusal(error)) throw error;
    log(
      2,
      () =>
        `port-forward: the server refused the SPDY tunnel (${
          (error as Error).message
        }); falling back to ${LEGACY_PORT_FORWARD_PROTOCOL}`,
    );
  }
  const forwarder = await probedLegacy(client, path);
  log(2, () => `port-forward: using ${forwarder.protocol} (one WebSocket per connection)`);
  return forwarder;
}

/** An upgrade refused with a Kubernetes `Status` body (`"kind": "Status"`). */
function isStatusRefusal(error: unknown): boolean {
  if (!(error instanceof UpgradeError) || error.body.length === 0) return false;
  try {
    return (JSON.parse(new TextDecoder().decode(error.body)) as { kind?: unknown })?.kind ===
      "Status";
  } catch {
    return false;
  }
}

/**
 * The legacy protocol opens its WebSockets per connection; nothing is dialled up front (a probe
 * would open a connection to the pod's port). A refusal the tunnel attempt did not already show
 * surfaces on the first connection, as with kubectl's legacy path.
 */
function probedLegacy(client: ApiClient, path: string): Promise<PortForwarder> {
  return Promise.resolve(legacyPortForwarder(client, path));
}
