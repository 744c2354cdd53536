/**
 * `kubexec port-forward`: listen on local ports and forward each accepted connection to a pod's
 * port, as `kubectl port-forward` does: same arguments, flags, printed lines and messages.
 *
 * Options are completed (target → pod, service and named ports → container port numbers, UDP
 * refused), validated, then run: one listener per port and address, one forwarded connection per
 * accepted socket. A failing connection is reported and ends alone; the listeners keep serving
 * until SIGINT/SIGTERM, or until the pod is gone (exit 1; `--reconnect` re-resolves the target
 * and continues).
 *
 * @module
 */
import type { Command, CommandContext } from "../command.ts";
import { CommandError, UsageError } from "../command.ts";
import { writeText } from "../io.ts";
import { connectCluster } from "../connect.ts";
import { upgradeFailure } from "../session.ts";
import type { GlobalOptions } from "../global_flags.ts";
import { parseTarget, resolvePod } from "../../kube/target.ts";
import { getObject, getPod, pathSegment, type Pod } from "../../kube/pods.ts";
import { StatusError } from "../../kube/status.ts";
import type { ApiClient } from "../../transport/types.ts";
import { UpgradeError } from "../../transport/errors.ts";
import { denoByteConn } from "../../transport/byte_conn.ts";
import {
  openPortForwarder,
  type PortForwardProtocolChoice,
  portForwardProtocolChoice,
} from "../../stream/portforward_open.ts";
import { type PortForwarder, PortForwardLostError } from "../../stream/portforward_types.ts";
import { TUNNEL_PORT_FORWARD_PROTOCOL } from "../../stream/portforward_tunnel.ts";

/** A service as far as port-forward reads it. */
interface Service {
  metadata: { name: string };
  spec?: {
    clusterIP?: string;
    ports?: { name?: string; port: number; targetPort?: number | string; protocol?: string }[];
  };
}

/** One `LOCAL:REMOTE` pair after translation; `local` 0 asks the OS for a port. */
export interface ForwardedPort {
  local: number;
  remote: number;
}

/** An address to listen on, with kubectl's failure rule: `all` (localhost) or `any`. */
export interface ListenAddress {
  address: string;
  family: "tcp4" | "tcp6";
  failureMode: "all" | "any";
}

/** The completed options of one port-forward. */
export interface PortForwardOptions {
  target: string;
  /** The port arguments as given (`8080:http`, `:80`, `443`). */
  portArgs: string[];
  addresses: ListenAddress[];
  podRunningTimeoutMs: number;
  protocol: PortForwardProtocolChoice;
  reconnect: boolean;
}

/** How often the pod is looked at while forwarding (and at most once a second on demand). */
const POD_CHECK_INTERVAL_MS = 5_000;

/** Pause between attempts to start forwarding again with --reconnect. */
const RECONNECT_RETRY_MS = 1_000;
/** How long a stop waits for the tunnel and open connections to close in order. */
const SHUTDOWN_GRACE_MS = 3_000;

/** kubectl's `splitPort`: `a:b` → [a, b]; `a` → [a, a]. */
function splitPort(port: string): [string, string] {
  const parts = port.split(":");
  return parts.length === 2 ? [parts[0], parts[1]] : [parts[0], parts[0]];
}

function isDecimal(text: string): boolean {
  return /^[+-]?\d+$/.test(text);
}

/**
 * Parses `--address` values as kubectl does: `localhost` is 127.0.0.1 and ::1 (failing only when
 * neither binds), other values must be IP addresses; sorted, deduplicated.
 *
 * @example
 * ```ts
 * import { parseAddresses } from "./port_forward.ts";
 * parseAddresses(["localhost"]).map((a) => a.address); // ["127.0.0.1", "::1"]
 * ```
 */
export function parseAddresses(values: string[]): ListenAddress[] {
  // `--address ''` leaves the list empty: kubectl's words.
  if (values.length === 0) throw new CommandError("you must specify at least 1 address");
  const parsed = new Map<string, ListenAddress>();
  for (const value of values) {
    if (value === "localhost") {
      if (!parsed.has("127.0.0.1")) {
        parsed.set("127.0.0.1", { address: "127.0.0.1", family: "tcp4", failureMode: "all" });
      }
      if (!parsed.has("::1")) {
        parsed.set("::1", { address: "::1", family: "tcp6", failureMode: "all" });
      }
    } else if (isIPv4(value)) {
      parsed.set(value, { address: value, family: "tcp4", failureMode: "any" });
    } else if (isIPv6(value)) {
      parsed.set(value, { address: value, family: "tcp6", failureMode: "any" });
    } else {
      throw new CommandError(`${value} is not a valid IP`);
    }
  }
  return [...parsed.values()].sort((a, b) => a.address < b.address ? -1 : 1);
}

function isIPv4(text: string): boolean {
  const parts = text.split(".");
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

function isIPv6(text: string): boolean {
  if (!text.includes(":") || !/^[0-9a-fA-F:.]+$/.test(text)) return false;
  try {
    new URL(`http://[${text}]/`);
    return true;
  } catch {
    return false;
  }
}

function parseUint16(text: string, what: string): number {
  // Go's strconv.ParseUint error wording, as kubectl prints it.
  if (!/^\d+$/.test(text)) {
    throw new CommandError(
      `error parsing ${what} port '${text}': strconv.ParseUint: parsing ${
        JSON.stringify(text)
      }: invalid syntax`,
    );
  }
  const value = Number(text);
  if (value > 65535) {
    throw new CommandError(
      `error parsing ${what} port '${text}': strconv.ParseUint: parsing ${
        JSON.stringify(text)
      }: value out of range`,
    );
  }
  return value;
}

/**
 * Parses translated port arguments into pairs, with client-go's messages.
 *
 * @example
 * ```ts
 * import { parseForwardedPorts } from "./port_forward.ts";
 * parseForwardedPorts(["8080:80", ":443", "5000"]);
 * // [{ local: 8080, remote: 80 }, { local: 0, remote: 443 }, { local: 5000, remote: 5000 }]
 * ```
 */
export function parseForwardedPorts(ports: string[]): ForwardedPort[] {
  return ports.map((text) => {
    const parts = text.split(":");
    if (parts.length > 2) throw new CommandError(`invalid port format '${text}'`);
    const localText = parts.length === 2 ? (parts[0] === "" ? "0" : parts[0]) : parts[0];
    const remoteText = parts.length === 2 ? parts[1] : parts[0];
    const local = parseUint16(localText, "local");
    const remote = parseUint16(remoteText, "remote");
    if (remote === 0) throw new CommandError("remote port must be > 0");
    return { local, remote };
  });
}

function containerPortByName(pod: Pod, name: string): number {
  for (const container of [...pod.spec.containers, ...(pod.spec.initContainers ?? [])]) {
    for (const port of container.ports ?? []) {
      if (port.name === name) return port.containerPort;
    }
  }
  throw new CommandError(`Pod '${pod.metadata.name}' does not have a named port '${name}'`);
}

function servicePortByName(service: Service, name: string): number {
  const port = (service.spec?.ports ?? []).find((p) => p.name === name);
  if (!port) {
    throw new CommandError(
      `Service '${service.metadata.name}' does not have a named port '${name}'`,
    );
  }
  return port.port;
}

function udpOnly(ports: { port: number; protocol?: string }[]): Set<number> {
  const udp = new Set<number>();
  const tcp = new Set<number>();
  for (const { port, protocol } of ports) {
    if (protocol === "UDP") udp.add(port);
    else if ((protocol ?? "TCP") === "TCP") tcp.add(port);
  }
  return new Set([...udp].filter((p) => !tcp.has(p)));
}

function checkUdp(portArgs: string[], udpPorts: Set<number>, lookup: (name: string) => number) {
  for (const arg of portArgs) {
    const remote = splitPort(arg)[1];
    const number = isDecimal(remote) ? Number(remote) : lookup(remote);
    if (udpPorts.has(number)) throw new CommandError(`UDP protocol is not supported for ${remote}`);
  }
}

/**
 * Translates port arguments for a pod target: named remote ports become container port numbers
 * (kubectl's `convertPodNamedPortToNumber`); UDP-only ports are refused.
 *
 * @example
 * ```ts ignore
 * import { translatePodPorts } from "./port_forward.ts";
 * translatePodPorts(["8080:http"], pod); // ["8080:80"]
 * ```
 */
export function translatePodPorts(portArgs: string[], pod: Pod): string[] {
  const containerPorts = [...pod.spec.containers, ...(pod.spec.initContainers ?? [])]
    .flatMap((c) => c.ports ?? []).map((p) => ({ port: p.containerPort, protocol: p.protocol }));
  checkUdp(portArgs, udpOnly(containerPorts), (name) => containerPortByName(pod, name));
  return portArgs.map((arg) => {
    const [local, remote] = splitPort(arg);
    if (remote === "") throw new CommandError("remote port cannot be empty");
    const number = isDecimal(remote) ? remote : String(containerPortByName(pod, remote));
    return local !== remote ? `${local}:${number}` : number;
  });
}

/**
 * Translates port arguments for a `svc/NAME` target: service ports (by number or name) map
 * through `targetPort` to the pod's container port (kubectl's
 * `translateServicePortToTargetPort`); UDP-only service ports are refused.
 *
 * @example
 * ```ts ignore
 * import { translateServicePorts } from "./port_forward.ts";
 * translateServicePorts(["8080:80"], service, pod); // ["8080:8080"] when targetPort is 8080
 * ```
 */
export function translateServicePorts(portArgs: string[], service: Service, pod: Pod): string[] {
  const ports = service.spec?.ports ?? [];
  checkUdp(portArgs, udpOnly(ports), (name) => servicePortByName(service, name));
  return portArgs.map((arg) => {
    let [local, remote] = splitPort(arg);
    let number: number;
    if (isDecimal(remote)) {
      number = Number(remote);
    } else {
      number = servicePortByName(service, remote);
      if (local === remote) local = String(number);
    }
    const spec = ports.find((p) => p.port === number);
    if (!spec) {
      throw new CommandError(
        `Service ${service.metadata.name} does not have a service port ${number}`,
      );
    }
    let containerPort: number;
    if (service.spec?.clusterIP === "None") {
      containerPort = number;
    } else if (typeof spec.targetPort === "string" && !isDecimal(spec.targetPort)) {
      containerPort = containerPortByName(pod, spec.targetPort);
    } else {
      const target = Number(spec.targetPort ?? 0);
      containerPort = target === 0 ? spec.port : target;
    }
    remote = String(containerPort);
    return local !== remote ? `${local}:${remote}` : remote;
  });
}

/**
 * Completes port-forward's options from the command line, with kubectl's messages.
 *
 * @example
 * ```ts ignore
 * import { completePortForwardOptions } from "./port_forward.ts";
 * completePortForwardOptions(context); // { target: "pod/web-0", portArgs: ["8080:80"], … }
 * ```
 */
export function completePortForwardOptions(context: CommandContext): PortForwardOptions {
  const { args, flags } = context;
  if (args.length < 2) {
    throw new UsageError("TYPE/NAME and list of ports are required for port-forward");
  }
  const podRunningTimeoutMs = flags.duration("pod-running-timeout");
  if (podRunningTimeoutMs <= 0) {
    throw new UsageError("--pod-running-timeout must be higher than zero");
  }
  const protocol = portForwardProtocolChoice(flags.string("protocol"));
  if (protocol === undefined) {
    throw new UsageError(
      `unsupported --protocol "${
        flags.string("protocol")
      }" for port-forward; supported: tunnel (SPDY/3.1+portforward.k8s.io), legacy (v4.channel.k8s.io)`,
    );
  }
  return {
    target: args[0],
    portArgs: args.slice(1),
    addresses: parseAddresses(flags.strings("address")),
    podRunningTimeoutMs,
    protocol,
    reconnect: flags.bool("reconnect"),
  };
}

/** The pod and the translated ports a target resolves to. */
interface Resolved {
  pod: Pod;
  ports: ForwardedPort[];
}

async function resolveTarget(
  client: ApiClient,
  namespace: string,
  options: PortForwardOptions,
): Promise<Resolved> {
  const ref = parseTarget(options.target);
  const pod = await resolvePod(client, namespace, options.target, {
    timeoutMs: options.podRunningTimeoutMs,
  });
  let translated: string[];
  if (ref.resource === "services") {
    const service = await getObject<Service>(client, "/api/v1", "services", namespace, ref.name);
    translated = translateServicePorts(options.portArgs, service, pod);
  } else {
    translated = translatePodPorts(options.portArgs, pod);
  }
  const current = ref.resource === "pods"
    ? pod
    : await getPod(client, namespace, pod.metadata.name);
  const phase = current.status?.phase;
  if (phase !== "Running") {
    throw new CommandError(
      `unable to forward port because pod is not running. Current status=${phase ?? ""}`,
    );
  }
  return { pod: current, ports: parseForwardedPorts(translated) };
}

function hostPort(address: string, port: number): string {
  return address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
}

function listenError(address: ListenAddress, port: number, error: unknown): string {
  const cause = error instanceof Deno.errors.AddrInUse
    ? "bind: address already in use"
    : error instanceof Deno.errors.AddrNotAvailable
    ? "bind: cannot assign requested address"
    : error instanceof Deno.errors.PermissionDenied || error instanceof Deno.errors.NotCapable
    ? "bind: permission denied"
    : (error as Error).message;
  return `unable to create listener: Error listen ${address.family} ${
    hostPort(address.address, port)
  }: ${cause}`;
}

/** Writes lines to a stream one at a time (connections print concurrently). */
function linePrinter(stream: WritableStream<Uint8Array>): (text: string) => Promise<void> {
  let last = Promise.resolve();
  return (text) => {
    last = last.then(() => writeText(stream, text)).catch(() => {});
    return last;
  };
}

/** A bound local port and where its connections go. */
interface BoundPort {
  listeners: BoundListener[];
  port: ForwardedPort;
}

/** One listening socket and the connections it may take. */
interface BoundListener {
  listener: Deno.TcpListener;
  /**
   * On a `::` socket, the IPv4 addresses requested with `--address` that it serves (`0.0.0.0`:
   * all); `undefined` on any other socket, which takes every connection.
   */
  ipv4?: Set<string>;
}

/** The IPv6 unspecified address in any spelling (`::`, `::0`, `0:0:0:0:0:0:0:0`). */
function isIPv6Unspecified(address: string): boolean {
  return address.includes(":") && /^[0:]+$/.test(address);
}

/**
 * Whether `listener` may take a connection that arrived on `local`. Deno cannot make a `::`
 * socket IPv6-only (kubectl's Go listener is), and Linux lets it take IPv4 as well, so IPv4
 * connections on it are let through only to the IPv4 addresses the user asked for.
 */
function servesLocalAddress(listener: BoundListener, local: Deno.Addr): boolean {
  if (listener.ipv4 === undefined || local.transport !== "tcp") return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(local.hostname);
  if (mapped === null) return true;
  return listener.ipv4.has("0.0.0.0") || listener.ipv4.has(mapped[1]);
}

async function listenAll(
  ports: ForwardedPort[],
  addresses: ListenAddress[],
  out: Printers,
): Promise<BoundPort[]> {
  const bound: BoundPort[] = [];
  // `::` is bound first: on Linux it takes the port for IPv4 too, so an IPv4 address bound
  // before it would make it fail, and one after it is already served by it.
  const bindOrder = [
    ...addresses.filter((a) => isIPv6Unspecified(a.address)),
    ...addresses.filter((a) => !isIPv6Unspecified(a.address)),
  ];
  for (const requested of ports) {
    const port = { ...requested };
    const listeners: BoundListener[] = [];
    const outcomes = new Map<ListenAddress, unknown>();
    let dualStack: BoundListener | undefined;
    for (const address of bindOrder) {
      try {
        const listener = Deno.listen({ hostname: address.address, port: port.local });
        port.local = (listener.addr as Deno.NetAddr).port;
        const entry: BoundListener = isIPv6Unspecified(address.address)
          ? { listener, ipv4: new Set() }
          : { listener };
        dualStack ??= entry.ipv4 ? entry : undefined;
        listeners.push(entry);
        outcomes.set(address, undefined);
      } catch (error) {
        if (
          dualStack !== undefined && address.family === "tcp4" &&
          error instanceof Deno.errors.AddrInUse
        ) {
          dualStack.ipv4!.add(address.address);
          outcomes.set(address, undefined);
        } else {
          outcomes.set(address, error);
        }
      }
    }
    const errors: string[] = [];
    const failures = { all: 0, any: 0 };
    const successes = { all: 0, any: 0 };
    for (const address of addresses) {
      const error = outcomes.get(address);
      if (error === undefined) {
        successes[address.failureMode]++;
        await out.stdout(
          `Forwarding from ${hostPort(address.address, port.local)} -> ${port.remote}\n`,
        );
      } else {
        errors.push(listenError(address, port.local, error));
        failures[address.failureMode]++;
      }
    }
    const failed = (successes.all === 0 && failures.all > 0) || failures.any > 0;
    if (failed) {
      await out.stderr(
        `Unable to listen on port ${port.local}: Listeners failed to create with the following errors: [${
          errors.join(" ")
        }]\n`,
      );
    }
    if (listeners.length > 0 && !failed) bound.push({ listeners, port });
    else for (const { listener } of listeners) listener.close();
  }
  if (bound.length === 0) {
    throw new CommandError(
      `unable to listen on any of the requested ports: [${
        ports.map((p) => `{${p.local} ${p.remote}}`).join(" ")
      }]`,
    );
  }
  return bound;
}

/** Serialised writers for stdout and stderr. */
interface Printers {
  stdout: (text: string) => Promise<void>;
  stderr: (text: string) => Promise<void>;
}

/** Why forwarding stopped. */
type Stop = { kind: "signal" } | { kind: "error"; error: Error };

/** Why forwarding to a pod stopped: the pod went away, or the stream to the API server did. */
type LossCause = "pod" | "connection";

class PodGoneError extends Error {
  hint: string;
  /**
   * @param pod the pod forwarded to
   * @param why what was seen
   * @param cause the pod's state, or the connection (the pod may be fine)
   * @param reconnect whether --reconnect tried, and failed, to start again
   */
  constructor(pod: string, why: string, cause: LossCause, reconnect: boolean) {
    super(`lost connection to pod "${pod}": ${why}`);
    this.name = "PodGoneError";
    this.hint = reconnect
      ? "the target could not be resolved and reached again within --pod-running-timeout"
      : cause === "pod"
      ? "the pod was deleted or stopped running; --reconnect re-resolves the target (deploy/, svc/, …) and keeps forwarding"
      : "the stream to the API server ended while the pod still runs (the network, a proxy or the API server); --reconnect opens it again";
  }
}

async function openForwarder(
  client: ApiClient,
  namespace: string,
  pod: string,
  options: PortForwardOptions,
  global: GlobalOptions,
): Promise<PortForwarder> {
  const path = `/api/v1/namespaces/${pathSegment(namespace)}/pods/${pathSegment(pod)}/portforward`;
  try {
    return await openPortForwarder(client, path, {
      choice: options.protocol,
      logger: global.logger,
    });
  } catch (error) {
    if (error instanceof UpgradeError) throw tunnelUpgradeFailure(error, path);
    throw error;
  }
}

/**
 * A refused port-forward upgrade, in kubectl's words (`error upgrading connection: …`) with the
 * hint of the Status behind it.
 *
 * @example
 * ```ts ignore
 * new PortForwardRefusedError(statusError).userMessage;
 * // 'error: error upgrading connection: pods "web-0" is forbidden: …'
 * ```
 */
export class PortForwardRefusedError extends Error {
  /** What kubectl prints. */
  readonly userMessage: string;
  /** The likely cause and fix. */
  readonly hint?: string;
  /** @param refusal the server's answer */
  constructor(refusal: StatusError) {
    super(`error upgrading connection: ${refusal.message}`, { cause: refusal });
    this.name = "PortForwardRefusedError";
    this.userMessage = `error: ${this.message}`;
    this.hint = refusal.hint;
  }
}

/**
 * A refused tunnel upgrade: without `--protocol tunnel` only one that carries a Status (RBAC, a
 * missing pod) arrives here; other refusals make kubexec try the legacy protocol.
 */
function tunnelUpgradeFailure(error: UpgradeError, path: string): Error {
  if (error.status === 403 && error.body.length === 0) {
    return new StatusError(
      {
        code: 403,
        reason: "Forbidden",
        message:
          `the server refused the WebSocket upgrade with an empty 403: it supports none of the offered subprotocols (${TUNNEL_PORT_FORWARD_PROTOCOL})`,
      },
      path,
      "API servers before 1.30, or with the PortForwardWebsockets gate off, do not tunnel SPDY; without --protocol kubexec falls back to v4.channel.k8s.io",
    );
  }
  const failure = upgradeFailure(error, path, [TUNNEL_PORT_FORWARD_PROTOCOL]);
  return failure instanceof StatusError && failure.status.reason !== "Unauthorized"
    ? new PortForwardRefusedError(failure)
    : failure;
}

/** Why a pod cannot be forwarded to any more, or `undefined` while it runs. */
async function podProblem(
  client: ApiClient,
  namespace: string,
  name: string,
): Promise<string | undefined> {
  try {
    const pod = await getPod(client, namespace, name);
    if (pod.metadata.deletionTimestamp) return `pod "${name}" is being deleted`;
    const phase = pod.status?.phase;
    return phase === "Running" ? undefined : `pod is not running. Current status=${phase ?? ""}`;
  } catch (error) {
    if (error instanceof StatusError && error.status.code === 404) return error.message;
    return undefined;
  }
}

async function runPortForward(context: CommandContext): Promise<number> {
  const { global, io } = context;
  const options = completePortForwardOptions(context);
  const { config, client } = await connectCluster(global, io, { stdinInUse: false });
  const namespace = config.namespace;
  let resolved = await resolveTarget(client, namespace, options);
  let forwarder = await openForwarder(
    client,
    namespace,
    resolved.pod.metadata.name,
    options,
    global,
  );
  global.logger(1, () => `port-forward protocol: ${forwarder.protocol}`);
  const out: Printers = { stdout: linePrinter(io.stdout), stderr: linePrinter(io.stderr) };
  const bound = await listenAll(resolved.ports, options.addresses, out);

  let stopWith: (stop: Stop) => void = () => {};
  const stopped = new Promise<Stop>((resolve) => stopWith = resolve);
  const unsubscribe = io.terminal.onSignal(() => stopWith({ kind: "signal" }));
  const active = new Set<Promise<void>>();
  let lastCheck = 0;
  let checking: Promise<void> | undefined;
  let replacing: Promise<void> | undefined;
  let stopping = false;

  const replaceForwarder = (why: string, cause: LossCause): Promise<void> => {
    replacing ??= (async () => {
      const old = forwarder;
      await old.close().catch(() => {});
      if (!options.reconnect) {
        stopWith({
          kind: "error",
          error: new PodGoneError(resolved.pod.metadata.name, why, cause, false),
        });
        return;
      }
      await out.stderr(
        `Lost ${
          cause === "pod" ? "the pod" : "the connection"
        } (${why}); re-resolving ${options.target}\n`,
      );
      // Tried again until --pod-running-timeout: an API server that is briefly unreachable (a
      // restart, a network blip) must not end a forward that --reconnect asked to keep.
      const deadline = Date.now() + options.podRunningTimeoutMs;
      while (!stopping) {
        try {
          resolved = await resolveTarget(client, namespace, options);
          forwarder = await openForwarder(
            client,
            namespace,
            resolved.pod.metadata.name,
            options,
            global,
          );
          // Stopped while this one was opening: it is not the one the shutdown closes.
          if (stopping) {
            await forwarder.close().catch(() => {});
            return;
          }
          watchLost(forwarder);
          await out.stderr(`Forwarding to pod ${resolved.pod.metadata.name}\n`);
          return;
        } catch (error) {
          if (stopping || Date.now() + RECONNECT_RETRY_MS > deadline) {
            stopWith({
              kind: "error",
              error: new PodGoneError(
                resolved.pod.metadata.name,
                `${why}; ${(error as Error).message}`,
                cause,
                true,
              ),
            });
            return;
          }
          global.logger(2, () => `port-forward: reconnecting failed, again in a moment: ${error}`);
          await new Promise((resolve) => setTimeout(resolve, RECONNECT_RETRY_MS));
        }
      }
    })().finally(() => replacing = undefined);
    return replacing;
  };

  const checkPod = (force: boolean): Promise<void> => {
    if (checking) return checking;
    if (!force && Date.now() - lastCheck < 1000) return Promise.resolve();
    lastCheck = Date.now();
    checking = (async () => {
      const problem = await podProblem(client, namespace, resolved.pod.metadata.name);
      if (problem !== undefined) await replaceForwarder(problem, "pod");
    })().finally(() => checking = undefined);
    return checking;
  };

  const watchLost = (watched: PortForwarder) => {
    void watched.lost.then(async (error) => {
      if (watched !== forwarder || replacing || stopping) return;
      global.logger(2, () => `port-forward: ${error.message}`);
      const problem = await podProblem(client, namespace, resolved.pod.metadata.name);
      if (watched === forwarder) {
        const seen = error instanceof PortForwardLostError ? error.reason : error.message;
        await replaceForwarder(problem ?? seen, problem ? "pod" : "connection");
      }
    });
  };
  watchLost(forwarder);
  const ticker = setInterval(() => void checkPod(false), POD_CHECK_INTERVAL_MS);

  const handle = async (conn: Deno.TcpConn, port: ForwardedPort) => {
    await out.stdout(`Handling connection for ${port.local}\n`);
    if (replacing) await replacing;
    const local = denoByteConn(conn);
    try {
      const outcome = await forwarder.forward(local, port.remote);
      if (outcome.error !== "") {
        await out.stderr(
          `error: an error occurred forwarding ${port.local} -> ${port.remote}: ${outcome.error}\n`,
        );
      }
    } catch (error) {
      local.close();
      const message = error instanceof UpgradeError
        ? upgradeFailure(error, "portforward", [forwarder.protocol]).message
        : (error as Error).message;
      await out.stderr(
        `error: an error occurred forwarding ${port.local} -> ${port.remote}: ${message}\n`,
      );
      void checkPod(true);
      return;
    }
    // A pod that went away ends its connections first: look (at most once a second).
    void checkPod(false);
  };

  const acceptLoops = bound.flatMap(({ listeners, port }) =>
    listeners.map(async (entry) => {
      while (true) {
        let conn: Deno.TcpConn;
        try {
          conn = await entry.listener.accept();
        } catch {
          return;
        }
        if (!servesLocalAddress(entry, conn.localAddr)) {
          global.logger(
            4,
            () =>
              `closing a connection to ${
                (conn.localAddr as Deno.NetAddr).hostname
              }: IPv4 was not asked for on ${hostPort("::", port.local)}`,
          );
          conn.close();
          continue;
        }
        conn.setNoDelay(true);
        const task: Promise<void> = handle(conn, port).finally(() => active.delete(task));
        active.add(task);
      }
    })
  );

  const stop = await stopped;
  stopping = true;
  clearInterval(ticker);
  unsubscribe();
  for (const { listeners } of bound) for (const { listener } of listeners) listener.close();
  await Promise.all(acceptLoops);
  const orderly = (async () => {
    await forwarder.close().catch(() => {});
    await Promise.all([...active]);
    if (replacing) await replacing;
    if (checking) await checking;
  })();
  // Ctrl-C must end the command even when the server never answers the close: wait a moment for
  // an orderly close, then leave anyway. (The stall once seen on the apiserver's own tunnel route
  // was kubexec's: the WebSocket close spun on a refused concurrent receive; fixed in
  // lib/transport/websocket.ts and tested there. This bound stays for servers that do hang.)
  let grace: ReturnType<typeof setTimeout> | undefined;
  const finished = await Promise.race([
    orderly.then(() => true),
    new Promise<boolean>((resolve) => grace = setTimeout(() => resolve(false), SHUTDOWN_GRACE_MS)),
  ]);
  clearTimeout(grace);
  if (!finished) {
    global.logger(
      1,
      () =>
        `port-forward: ${active.size} connection(s) or the tunnel did not close within ${SHUTDOWN_GRACE_MS} ms; exiting anyway`,
    );
  }
  if (stop.kind === "error") throw stop.error;
  return 0;
}

/** The `port-forward` command. */
export const portForwardCommand: Command = {
  name: "port-forward",
  short: "Forward one or more local ports to a pod",
  long: `Forward one or more local ports to a pod.

 Use resource type/name such as deployment/mydeployment to select a pod. Resource type defaults to 'pod' if omitted.

 If there are multiple pods matching the criteria, a pod will be selected automatically. The forwarding session ends when the selected pod terminates, and a rerun of the command is needed to resume forwarding (or pass --reconnect).

 Only TCP ports are forwarded. The SPDY tunnel inside one WebSocket (SPDY/3.1+portforward.k8s.io) is used when the server offers it, else one WebSocket per connection (v4.channel.k8s.io).`,
  usage:
    "port-forward TYPE/NAME [options] [LOCAL_PORT:]REMOTE_PORT [...[LOCAL_PORT_N:]REMOTE_PORT_N]",
  examples:
    `  # Listen on ports 5000 and 6000 locally, forwarding data to/from ports 5000 and 6000 in the pod
  kubexec port-forward pod/mypod 5000 6000

  # Listen on ports 5000 and 6000 locally, forwarding data to/from ports 5000 and 6000 in a pod selected by the deployment
  kubexec port-forward deployment/mydeployment 5000 6000

  # Listen on port 8443 locally, forwarding to the targetPort of the service's port named "https" in a pod selected by the service
  kubexec port-forward service/myservice 8443:https

  # Listen on port 8888 locally, forwarding to 5000 in the pod
  kubexec port-forward pod/mypod 8888:5000

  # Listen on port 8888 on all addresses, forwarding to 5000 in the pod
  kubexec port-forward --address 0.0.0.0 pod/mypod 8888:5000

  # Listen on port 8888 on localhost and selected IP, forwarding to 5000 in the pod
  kubexec port-forward --address localhost,10.19.21.23 pod/mypod 8888:5000

  # Listen on a random port locally, forwarding to 5000 in the pod
  kubexec port-forward pod/mypod :5000

  # Keep forwarding when the deployment's pod is replaced
  kubexec port-forward --reconnect deployment/mydeployment 8080:80`,
  flags: [
    {
      name: "address",
      type: "stringSlice",
      default: ["localhost"],
      usage:
        "Addresses to listen on (comma separated). Only accepts IP addresses or localhost as a value. When localhost is supplied, kubexec will try to bind on both 127.0.0.1 and ::1 and will fail if neither of these addresses are available to bind.",
    },
    {
      name: "pod-running-timeout",
      type: "duration",
      default: 60_000,
      usage:
        "The length of time (like 5s, 2m, or 3h, higher than zero) to wait until at least one pod is running",
    },
    {
      name: "protocol",
      type: "string",
      default: "",
      usage:
        "Port-forward protocol: tunnel (SPDY/3.1+portforward.k8s.io inside one WebSocket) or legacy (v4.channel.k8s.io, one WebSocket per connection); default: the tunnel when the server offers it",
    },
    {
      name: "reconnect",
      type: "bool",
      usage:
        "When the pod goes away, resolve the target again (within --pod-running-timeout) and keep forwarding instead of exiting",
    },
  ],
  run: runPortForward,
};
