/**
 * The streaming endpoints behind `pods/{exec,attach,portforward}`, as an ordered table per
 * subresource: the first endpoint that accepts one of the client's subprotocols serves the
 * upgraded connection. This mirrors the API server's dispatch (the v5 translator first, then the
 * pass-through to the kubelet), and a new protocol — the SPDY tunnel for port-forward — is one
 * more entry in front of the legacy one.
 *
 * @module
 */

import type { AttachRegistry } from "./attach.ts";
import { serveAttach } from "./attach.ts";
import { KUBELET_PROTOCOLS, negotiateSubprotocol, PORT_FORWARD_PROTOCOLS, V5 } from "./channels.ts";
import { serveExec } from "./exec.ts";
import { servePortForward } from "./portforward.ts";
import { spdyTunnelEndpoint } from "./portforward_spdy.ts";
import type { SessionOutput } from "./session_io.ts";
import type { StoredPod } from "./store.ts";
import type { FakeServerOptions } from "./types.ts";

/** A validated streaming request, with what serving it needs from the server. */
export interface StreamRequest {
  pod: StoredPod;
  /** The container (exec/attach; `""` for port-forward). */
  container: string;
  /** Requested ports (port-forward). */
  ports: number[];
  query: URLSearchParams;
  options: FakeServerOptions;
  /** The `refuseV5` fault applies to this request. */
  refuseV5: boolean;
  /** The pod's working directory. */
  podDir(): Promise<string>;
  /** Aborted when the pod is deleted. */
  podGone: AbortSignal;
  attach: AttachRegistry;
  scratchDir: string;
}

/** One way of serving a streaming subresource. */
export interface StreamEndpoint {
  /** The subprotocol it would serve, picked from the client's offer, or `undefined`. */
  negotiate(offered: string[], request: StreamRequest): string | undefined;
  /** Runs the session after the `101`. */
  serve(out: SessionOutput, request: StreamRequest): Promise<void>;
}

function queryBool(query: URLSearchParams, name: string): boolean {
  const value = query.get(name)?.toLowerCase();
  return value !== undefined && value !== "0" && value !== "false";
}

function streams(query: URLSearchParams) {
  const tty = queryBool(query, "tty");
  return {
    stdin: queryBool(query, "stdin"),
    stdout: queryBool(query, "stdout"),
    stderr: queryBool(query, "stderr") && !tty,
    tty,
  };
}

function containerSpec(request: StreamRequest) {
  const pod = request.pod.input;
  return [...pod.containers, ...(pod.initContainers ?? []), ...(pod.ephemeralContainers ?? [])]
    .find((c) => c.name === request.container);
}

function podEnv(request: StreamRequest): Record<string, string> {
  return { HOSTNAME: request.pod.object.metadata.name, ...(request.pod.input.env ?? {}) };
}

async function execSession(out: SessionOutput, request: StreamRequest): Promise<void> {
  await serveExec(out, {
    argv: request.query.getAll("command"),
    container: request.container,
    ...streams(request.query),
    containerRunning: containerSpec(request)?.running !== false,
    cwd: await request.podDir(),
    env: podEnv(request),
    scratchDir: request.scratchDir,
    ttyWaitMs: request.options.ttyInitialSizeWaitMs ?? 2000,
    podGone: request.podGone,
  });
}

async function attachSession(out: SessionOutput, request: StreamRequest): Promise<void> {
  const spec = containerSpec(request);
  const cwd = await request.podDir();
  const { namespace, name } = request.pod.object.metadata;
  const key = `${namespace}/${name}/${request.container}`;
  const containerTty = spec?.tty ?? false;
  const wanted = streams(request.query);
  await serveAttach(
    out,
    {
      container: request.container,
      ...wanted,
      tty: wanted.tty && containerTty,
      containerRunning: spec?.running !== false,
      containerStdin: spec?.stdin ?? false,
      stdinOnce: spec?.stdinOnce ?? false,
      ttyWaitMs: request.options.ttyInitialSizeWaitMs ?? 2000,
    },
    (size) =>
      request.attach.obtain(key, size, (startSize) => ({
        argv: spec?.command ?? ["sh"],
        cwd,
        env: podEnv(request),
        stdin: true,
        stdout: true,
        stderr: !containerTty,
        tty: containerTty ? startSize ?? { width: 80, height: 24 } : undefined,
        scratchDir: request.scratchDir,
      })),
    request.attach.has(key),
  );
}

/** The API server's v5 translator: chosen whenever v5 is offered at all. */
function translator(serve: StreamEndpoint["serve"]): StreamEndpoint {
  return {
    negotiate: (offered, request) =>
      (request.options.protocols?.translator ?? true) && !request.refuseV5 &&
        offered.includes(V5)
        ? V5
        : undefined,
    serve,
  };
}

/** The pass-through to the kubelet's CRI streaming server: the client's order decides. */
function kubelet(serve: StreamEndpoint["serve"]): StreamEndpoint {
  return {
    negotiate: (offered, request) =>
      negotiateSubprotocol(offered, request.options.protocols?.kubelet ?? KUBELET_PROTOCOLS),
    serve,
  };
}

const legacyPortForward: StreamEndpoint = {
  negotiate: (offered, request) =>
    negotiateSubprotocol(offered, request.options.protocols?.portForward ?? PORT_FORWARD_PROTOCOLS),
  serve: (out, request) =>
    servePortForward(out, {
      ports: request.ports,
      portMap: request.pod.input.portMap ?? {},
      sandboxId: request.pod.object.metadata.uid.replaceAll("-", "").padEnd(64, "0"),
      podGone: request.podGone,
    }),
};

/** Endpoints per subresource, in the order they are tried. */
export const STREAM_ENDPOINTS: Record<string, StreamEndpoint[]> = {
  exec: [translator(execSession), kubelet(execSession)],
  attach: [translator(attachSession), kubelet(attachSession)],
  portforward: [spdyTunnelEndpoint, legacyPortForward],
};

/**
 * The first endpoint of `subresource` that accepts one of the offered protocols.
 *
 * @example
 * ```ts ignore
 * const chosen = chooseEndpoint("exec", ["v5.channel.k8s.io"], request);
 * ```
 */
export function chooseEndpoint(
  subresource: string,
  offered: string[],
  request: StreamRequest,
): { endpoint: StreamEndpoint; protocol: string } | undefined {
  for (const endpoint of STREAM_ENDPOINTS[subresource] ?? []) {
    const protocol = endpoint.negotiate(offered, request);
    if (protocol !== undefined) return { endpoint, protocol };
  }
  return undefined;
}
