/**
 * `kubexec port-forward` in-process against the fake API server, over both protocols: several
 * ports at once, 50 parallel connections moving 8 MiB each way with sha256 checks, a connection
 * cut mid-transfer while others continue, half-close, the server's error text, pod deletion
 * (exit, or `--reconnect`), named and service ports, UDP and argument errors.
 */
import assert from "node:assert/strict";
import { runCli } from "../../lib/cli/app.ts";
import { rootCommand } from "../../lib/cli/root.ts";
import { noTerminal, type TerminalControl } from "../../lib/cli/io.ts";
import { captureIo } from "../support/cli_io.ts";
import { parseAddresses, parseForwardedPorts } from "../../lib/cli/commands/port_forward.ts";
import { type FakeApiServer, startFakeApiServer } from "../support/fake_apiserver.ts";
import type { PodInput } from "../support/fake_apiserver.ts";
import { writeKubeconfig } from "../support/kubeconfig_fixture.ts";
import {
  type PodService,
  runExchange,
  startDigestAtEofService,
  startExchangeService,
} from "../support/fake_apiserver/portforward_pod_services.ts";
import { startTcpRelay, type TcpRelay } from "../support/transport_proxies.ts";

const MIB = 1024 * 1024;
const PROTOCOLS = ["legacy", "tunnel"] as const;

interface Forward {
  stdout: () => string;
  stderr: () => string;
  /** The local port printed for `remote` on 127.0.0.1. */
  localPort: (remote: number) => Promise<number>;
  /** Sends SIGINT and resolves to the exit code. */
  stop: () => Promise<number>;
  done: Promise<number>;
}

function startForward(kubeconfig: string, args: string[]): Forward {
  const listeners: ((signal: "SIGINT" | "SIGTERM" | "SIGHUP") => void)[] = [];
  const terminal: TerminalControl = {
    ...noTerminal,
    onSignal(listener) {
      listeners.push(listener);
      return () => listeners.splice(listeners.indexOf(listener), 1);
    },
  };
  const captured = captureIo({ terminal, env: { HOME: "/nonexistent" } });
  const done = runCli(
    rootCommand,
    ["port-forward", "--kubeconfig", kubeconfig, ...args],
    captured.io,
  );
  const localPort = async (remote: number) => {
    const pattern = new RegExp(`Forwarding from 127\\.0\\.0\\.1:(\\d+) -> ${remote}\\n`);
    let finished = false;
    done.finally(() => finished = true);
    while (true) {
      const match = captured.stdout().match(pattern);
      if (match) return Number(match[1]);
      if (finished) {
        throw new Error(`port-forward ended: ${captured.stdout()}${captured.stderr()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  return {
    stdout: captured.stdout,
    stderr: captured.stderr,
    localPort,
    done,
    async stop() {
      for (const listener of [...listeners]) listener("SIGINT");
      return await done;
    },
  };
}

function pod(name: string, portMap: Record<number, number>, extra: Partial<PodInput> = {}) {
  return {
    name,
    containers: [{
      name: "app",
      ports: [
        { name: "http", containerPort: 80 },
        { name: "metrics", containerPort: 9090 },
        { name: "dns", containerPort: 53, protocol: "UDP" },
      ],
    }],
    labels: { app: name },
    portMap,
    ...extra,
  } as PodInput;
}

async function withServer(
  services: PodService[],
  pods: PodInput[],
  body: (server: FakeApiServer, kubeconfig: string) => Promise<void>,
  objects: Record<string, unknown>[] = [],
) {
  const server = await startFakeApiServer({ pods, objects, transport: "deno", tls: true });
  try {
    const kubeconfig = await writeKubeconfig(server, { user: "token" });
    await body(server, kubeconfig);
  } finally {
    await server.close();
    for (const service of services) await service.close();
  }
}

for (const protocol of PROTOCOLS) {
  Deno.test(`port-forward ${protocol}: two ports, 50 parallel 8 MiB exchanges each way`, async () => {
    const exchange = startExchangeService();
    const digest = startDigestAtEofService();
    await withServer(
      [exchange, digest],
      [pod("web-0", { 80: exchange.port, 9090: digest.port })],
      async (_server, kubeconfig) => {
        const forward = startForward(kubeconfig, [
          "--protocol",
          protocol,
          "web-0",
          ":80",
          ":metrics",
        ]);
        const local = await forward.localPort(80);
        await forward.localPort(9090);
        assert.match(forward.stdout(), new RegExp(`Forwarding from \\[::1\\]:${local} -> 80\\n`));
        const results = await Promise.all(
          Array.from({ length: 50 }, () => runExchange(local, 8 * MIB, 8 * MIB)),
        );
        for (const result of results) {
          assert.deepEqual(result, { ok: true, received: 8 * MIB + 64 });
        }
        assert.equal(exchange.accepted, 50);
        const handled = forward.stdout().split("\n").filter((l) =>
          l === `Handling connection for ${local}`
        );
        assert.equal(handled.length, 50);
        assert.equal(await forward.stop(), 0);
        assert.equal(forward.stderr(), "");
      },
    );
  });

  Deno.test(`port-forward ${protocol}: a connection cut midway leaves the others and the listener`, async () => {
    const exchange = startExchangeService();
    await withServer([exchange], [pod("web-0", { 80: exchange.port })], async (_s, kubeconfig) => {
      const forward = startForward(kubeconfig, ["--protocol", protocol, "web-0", ":80"]);
      const local = await forward.localPort(80);
      const cut = runExchange(local, 4 * MIB, 64 * MIB, {
        onProgress: (received, conn) => {
          if (received > MIB) conn.close();
        },
      });
      const others = Array.from({ length: 4 }, () => runExchange(local, 2 * MIB, 2 * MIB));
      const cutResult = await cut;
      assert.equal(cutResult.ok, false);
      for (const result of await Promise.all(others)) assert.equal(result.ok, true);
      assert.equal((await runExchange(local, 1024, 1024)).ok, true);
      assert.equal(await forward.stop(), 0);
    });
  });

  Deno.test(`port-forward ${protocol}: half-closed client still gets the reply`, async () => {
    const exchange = startExchangeService();
    const digest = startDigestAtEofService();
    await withServer(
      [exchange, digest],
      [pod("web-0", { 80: exchange.port, 9090: digest.port })],
      async (_s, kubeconfig) => {
        const forward = startForward(kubeconfig, ["--protocol", protocol, "web-0", ":80", ":9090"]);
        const local = await forward.localPort(80);
        const result = await runExchange(local, 3 * MIB, 1 * MIB, { halfClose: true });
        assert.deepEqual(result, { ok: true, received: MIB + 64 });
        if (protocol === "tunnel") {
          // Only the tunnel carries the half-close to the pod, which answers at end of stream.
          const conn = await Deno.connect({
            hostname: "127.0.0.1",
            port: await forward.localPort(9090),
          });
          await conn.write(new TextEncoder().encode("hello"));
          await conn.closeWrite();
          const reply = new TextDecoder().decode(await new Response(conn.readable).arrayBuffer());
          assert.equal(
            reply,
            "5 2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824\n",
          );
        }
        assert.equal(await forward.stop(), 0);
      },
    );
  });

  Deno.test(`port-forward ${protocol}: the server's error text is shown once per connection`, async () => {
    const exchange = startExchangeService();
    await withServer([exchange], [pod("web-0", { 80: exchange.port })], async (_s, kubeconfig) => {
      const forward = startForward(kubeconfig, ["--protocol", protocol, "web-0", ":80", ":7000"]);
      const refused = await forward.localPort(7000);
      const local = await forward.localPort(80);
      for (let i = 0; i < 2; i++) {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port: refused });
        assert.equal((await new Response(conn.readable).arrayBuffer()).byteLength, 0);
      }
      assert.equal((await runExchange(local, 1024, 1024)).ok, true);
      assert.equal(await forward.stop(), 0);
      const errors = forward.stderr().split("\n").filter((l) => l !== "");
      assert.equal(errors.length, 2, forward.stderr());
      for (const line of errors) {
        assert.match(
          line,
          new RegExp(
            `^error: an error occurred forwarding ${refused} -> 7000: error forwarding port 7000 to pod [0-9a-f]{64}, uid : .*connect: connection refused`,
          ),
        );
      }
    });
  });

  Deno.test(`port-forward ${protocol}: pod deleted → exit 1 with the reason`, async () => {
    const exchange = startExchangeService();
    await withServer(
      [exchange],
      [pod("web-0", { 80: exchange.port })],
      async (server, kubeconfig) => {
        const forward = startForward(kubeconfig, ["--protocol", protocol, "web-0", ":80"]);
        const local = await forward.localPort(80);
        const running = runExchange(local, 1024, 256 * MIB);
        await new Promise((resolve) => setTimeout(resolve, 100));
        server.pods.remove("default", "web-0");
        assert.equal((await running).ok, false);
        assert.equal(await forward.done, 1);
        assert.match(forward.stderr(), /lost connection to pod "web-0": .*not found/);
        assert.match(forward.stderr(), /hint: .*--reconnect/);
      },
    );
  });

  Deno.test(`port-forward ${protocol}: --reconnect follows the deployment to its new pod`, async () => {
    const first = startExchangeService();
    const second = startExchangeService();
    const deployment = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", namespace: "default" },
      spec: { selector: { matchLabels: { app: "web" } } },
    };
    await withServer(
      [first, second],
      [pod("web-a", { 80: first.port }, { labels: { app: "web" } })],
      async (server, kubeconfig) => {
        const forward = startForward(kubeconfig, [
          "--protocol",
          protocol,
          "--reconnect",
          "--pod-running-timeout",
          "10s",
          "deploy/web",
          ":80",
        ]);
        const local = await forward.localPort(80);
        assert.equal((await runExchange(local, 1024, 1024)).ok, true);
        server.pods.remove("default", "web-a");
        server.pods.add(pod("web-b", { 80: second.port }, { labels: { app: "web" } }));
        let result = await runExchange(local, 1024, 1024);
        for (let i = 0; !result.ok && i < 100; i++) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          result = await runExchange(local, 1024, 1024);
        }
        assert.equal(result.ok, true);
        assert.ok(second.accepted >= 1);
        assert.equal(await forward.stop(), 0);
        assert.match(forward.stderr(), /Forwarding to pod web-b/);
      },
      [deployment],
    );
  });
}

Deno.test("port-forward legacy: a connection dropped by the server is reported, not passed for the end", async () => {
  const exchange = startExchangeService();
  await withServer(
    [exchange],
    [pod("web-0", { 80: exchange.port })],
    async (server, kubeconfig) => {
      const forward = startForward(kubeconfig, ["--protocol", "legacy", "web-0", ":80"]);
      const local = await forward.localPort(80);
      // The next port-forward connection is dropped (no close frame) after 256 KiB of output.
      server.faults.next(
        { kind: "closeAfterBytes", bytes: 256 * 1024 },
        ({ url }) => url.pathname.endsWith("/portforward"),
      );
      const cut = await runExchange(local, 1024, 4 * MIB);
      assert.equal(cut.ok, false);
      assert.ok(cut.received < 4 * MIB);
      // The listener still serves.
      assert.equal((await runExchange(local, 1024, 1024)).ok, true);
      assert.equal(await forward.stop(), 0);
      assert.match(
        forward.stderr(),
        new RegExp(`^error: an error occurred forwarding ${local} -> 80: lost connection to pod\n`),
      );
    },
  );
});

/**
 * Runs `body` with web-0 forwarding to an exchange service, and the kubeconfig's server moved to
 * a relay in front of the fake API server (which the test cuts or pauses).
 */
async function withRelayedServer(body: (relay: TcpRelay, kubeconfig: string) => Promise<void>) {
  const exchange = startExchangeService();
  await withServer(
    [exchange],
    [pod("web-0", { 80: exchange.port })],
    async (server, kubeconfig) => {
      const relay = startTcpRelay(Number(new URL(server.url).port));
      try {
        const text = await Deno.readTextFile(kubeconfig);
        await Deno.writeTextFile(
          kubeconfig,
          text.replace(server.url, `https://127.0.0.1:${relay.port}`),
        );
        await body(relay, kubeconfig);
      } finally {
        relay.close();
      }
    },
  );
}

Deno.test("port-forward tunnel: a lost API connection is named as such while the pod runs", async () => {
  await withRelayedServer(async (relay, kubeconfig) => {
    const forward = startForward(kubeconfig, ["--protocol", "tunnel", "web-0", ":80"]);
    const local = await forward.localPort(80);
    assert.equal((await runExchange(local, 1024, 1024)).ok, true);
    relay.cut();
    assert.equal(await forward.done, 1);
    assert.match(
      forward.stderr(),
      /^error: lost connection to pod "web-0": the connection ended\n/,
    );
    assert.doesNotMatch(forward.stderr(), /lost connection to pod: /, "said once");
    assert.match(
      forward.stderr(),
      /hint: the stream to the API server ended while the pod still runs/,
    );
  });
});

/**
 * Starts `port-forward --reconnect` to web-0 through `relay`, checks one exchange, then makes the
 * path to the API server go dark (connections cut, new ones refused).
 */
async function forwardThenGoDark(relay: TcpRelay, kubeconfig: string) {
  const forward = startForward(kubeconfig, [
    "--protocol",
    "tunnel",
    "--reconnect",
    "--pod-running-timeout",
    "30s",
    "web-0",
    ":80",
  ]);
  const local = await forward.localPort(80);
  assert.equal((await runExchange(local, 1024, 1024)).ok, true);
  relay.pause();
  relay.cut();
  return { forward, local };
}

Deno.test("port-forward --reconnect: an API server unreachable for a while is waited for", async () => {
  await withRelayedServer(async (relay, kubeconfig) => {
    const { forward, local } = await forwardThenGoDark(relay, kubeconfig);
    // The path to the API server stays dark for 2.5 s, then comes back.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    relay.resume();
    while (!forward.stderr().includes("Forwarding to pod web-0")) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.match(forward.stderr(), /Lost the connection \(the connection ended\); re-resolving/);
    assert.equal((await runExchange(local, 1024, 1024)).ok, true);
    assert.equal(await forward.stop(), 0);
  });
});

Deno.test("port-forward --reconnect: a stop during the retries opens nothing more", async () => {
  await withRelayedServer(async (relay, kubeconfig) => {
    const { forward } = await forwardThenGoDark(relay, kubeconfig);
    while (!forward.stderr().includes("re-resolving")) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // Ctrl-C while the retries wait, and the API server back at once: the next retry would
    // succeed, but the command has stopped.
    const stopped = forward.stop();
    relay.resume();
    assert.equal(await stopped, 0);
    assert.doesNotMatch(forward.stderr(), /Forwarding to pod web-0/);
  });
});

Deno.test("port-forward: svc/NAME maps the service port through targetPort; named pod ports", async () => {
  const exchange = startExchangeService();
  const service = {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "api", namespace: "default" },
    spec: {
      selector: { app: "web-0" },
      ports: [{ name: "web", port: 8080, targetPort: "http" }, {
        name: "dns",
        port: 53,
        protocol: "UDP",
      }],
    },
  };
  await withServer([exchange], [pod("web-0", { 80: exchange.port })], async (_s, kubeconfig) => {
    const forward = startForward(kubeconfig, ["svc/api", ":web"]);
    const local = await forward.localPort(80);
    assert.equal((await runExchange(local, 4096, 4096)).ok, true);
    assert.equal(await forward.stop(), 0);

    const udp = await runCaptured(kubeconfig, ["svc/api", "5353:dns"]);
    assert.deepEqual(udp, {
      code: 1,
      stdout: "",
      stderr: "error: UDP protocol is not supported for dns\n",
    });
    const udpPod = await runCaptured(kubeconfig, ["web-0", "53"]);
    assert.equal(udpPod.stderr, "error: UDP protocol is not supported for 53\n");
    const missing = await runCaptured(kubeconfig, ["web-0", "8080:nope"]);
    assert.equal(missing.stderr, "error: Pod 'web-0' does not have a named port 'nope'\n");
    const noServicePort = await runCaptured(kubeconfig, ["svc/api", "9999"]);
    assert.equal(noServicePort.stderr, "error: Service api does not have a service port 9999\n");
  }, [service]);
});

async function runCaptured(kubeconfig: string, args: string[]) {
  const captured = captureIo({ env: { HOME: "/nonexistent" } });
  const code = await runCli(
    rootCommand,
    ["port-forward", "--kubeconfig", kubeconfig, ...args],
    captured.io,
  );
  return { code, stdout: captured.stdout(), stderr: captured.stderr() };
}

Deno.test("port-forward: refusals before listening use kubectl's words", async () => {
  await withServer([], [
    pod("web-0", {}),
    pod("pending-0", {}, { phase: "Pending" }),
  ], async (_s, kubeconfig) => {
    assert.deepEqual(await runCaptured(kubeconfig, ["web-0"]), {
      code: 1,
      stdout: "",
      stderr:
        "error: TYPE/NAME and list of ports are required for port-forward\nSee 'kubexec port-forward -h' for help and examples\n",
    });
    assert.equal(
      (await runCaptured(kubeconfig, ["pending-0", "80"])).stderr,
      "error: unable to forward port because pod is not running. Current status=Pending\n",
    );
    assert.equal(
      (await runCaptured(kubeconfig, ["web-0", "80:0"])).stderr,
      "error: remote port must be > 0\n",
    );
    assert.equal(
      (await runCaptured(kubeconfig, ["web-0", "70000:80"])).stderr,
      `error: error parsing local port '70000': strconv.ParseUint: parsing "70000": value out of range\n`,
    );
    assert.equal(
      (await runCaptured(kubeconfig, ["--address", "nowhere", "web-0", "80"])).stderr,
      "error: nowhere is not a valid IP\n",
    );
    assert.equal(
      (await runCaptured(kubeconfig, ["--address", "", "web-0", "80"])).stderr,
      "error: you must specify at least 1 address\n",
    );
    assert.match(
      (await runCaptured(kubeconfig, ["--protocol", "v5.channel.k8s.io", "web-0", "80"])).stderr,
      /^error: unsupported --protocol "v5.channel.k8s.io" for port-forward/,
    );
    assert.equal(
      (await runCaptured(kubeconfig, ["missing-0", "80"])).stderr,
      `Error from server (NotFound): pods "missing-0" not found\n`,
    );
  });
});

Deno.test("port-forward: port pairs parse with client-go's messages", () => {
  assert.deepEqual(parseForwardedPorts(["8080:80", ":443", "5000"]), [
    { local: 8080, remote: 80 },
    { local: 0, remote: 443 },
    { local: 5000, remote: 5000 },
  ]);
  assert.throws(
    () => parseForwardedPorts(["1:2:3"]),
    /^CommandError: invalid port format '1:2:3'$/,
  );
  assert.throws(
    () => parseForwardedPorts(["x:80"]),
    /^CommandError: error parsing local port 'x': strconv.ParseUint: parsing "x": invalid syntax$/,
  );
  assert.throws(
    () => parseForwardedPorts(["80:99999"]),
    /^CommandError: error parsing remote port '99999': strconv.ParseUint: parsing "99999": value out of range$/,
  );
  assert.deepEqual(
    parseAddresses(["::1", "localhost", "10.0.0.1"]).map((a) => [a.address, a.failureMode]),
    [
      ["10.0.0.1", "any"],
      ["127.0.0.1", "all"],
      // Named before localhost, ::1 keeps its own rule (kubectl's map does the same).
      ["::1", "any"],
    ],
  );
});

Deno.test("port-forward: a taken port is reported, the other ports still serve", async () => {
  const exchange = startExchangeService();
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const takenPort = (taken.addr as Deno.NetAddr).port;
  try {
    await withServer([exchange], [pod("web-0", { 80: exchange.port })], async (_s, kubeconfig) => {
      const forward = startForward(kubeconfig, [
        "--address",
        "127.0.0.1",
        "web-0",
        `${takenPort}:80`,
        ":80",
      ]);
      const local = await forward.localPort(80);
      assert.equal((await runExchange(local, 1024, 1024)).ok, true);
      assert.equal(await forward.stop(), 0);
      assert.equal(
        forward.stderr(),
        `Unable to listen on port ${takenPort}: Listeners failed to create with the following errors: [unable to create listener: Error listen tcp4 127.0.0.1:${takenPort}: bind: address already in use]\n`,
      );
      const all = await runCaptured(kubeconfig, [
        "--address",
        "127.0.0.1",
        "web-0",
        `${takenPort}:80`,
      ]);
      assert.equal(all.code, 1);
      assert.match(
        all.stderr,
        new RegExp(
          `error: unable to listen on any of the requested ports: \\[\\{${takenPort} 80\\}\\]\\n$`,
        ),
      );
    });
  } finally {
    taken.close();
  }
});

/** Waits for `Forwarding from HOST:PORT -> remote` and returns the port. */
async function forwardedPort(forward: Forward, host: string, remote: number): Promise<number> {
  const escaped = host.replace(/[.[\]]/g, "\\$&");
  const pattern = new RegExp(`Forwarding from ${escaped}:(\\d+) -> ${remote}\\n`);
  let finished = false;
  forward.done.finally(() => finished = true);
  while (true) {
    const match = forward.stdout().match(pattern);
    if (match) return Number(match[1]);
    if (finished) throw new Error(`port-forward ended: ${forward.stdout()}${forward.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Whether a connection to HOST:PORT is closed before it gets any byte back. */
async function closedAtOnce(hostname: string, port: number): Promise<boolean> {
  let conn: Deno.TcpConn;
  try {
    conn = await Deno.connect({ hostname, port });
  } catch (error) {
    if (error instanceof Deno.errors.ConnectionRefused) return true;
    throw error;
  }
  try {
    // The exchange service answers a 16-byte header; a closed connection reads end or reset.
    await conn.write(new Uint8Array(16));
    return await conn.read(new Uint8Array(1)) === null;
  } catch (error) {
    if (error instanceof Deno.errors.ConnectionReset) return true;
    throw error;
  } finally {
    conn.close();
  }
}

Deno.test("port-forward: --address 0.0.0.0 and :: serve both families; :: alone takes no IPv4", async () => {
  const exchange = startExchangeService();
  await withServer([exchange], [pod("web-0", { 80: exchange.port })], async (_s, kubeconfig) => {
    const both = startForward(kubeconfig, [
      "--address",
      "0.0.0.0",
      "--address",
      "::",
      "web-0",
      ":80",
    ]);
    const port = await forwardedPort(both, "[::]", 80);
    assert.equal(
      both.stdout(),
      `Forwarding from 0.0.0.0:${port} -> 80\nForwarding from [::]:${port} -> 80\n`,
    );
    assert.equal((await runExchange(port, 1024, 1024)).ok, true);
    assert.equal((await runExchange(port, 1024, 1024, { hostname: "::1" })).ok, true);
    assert.equal(await both.stop(), 0);
    assert.equal(both.stderr(), "");

    const v6 = startForward(kubeconfig, ["--address", "::", "web-0", ":80"]);
    const v6Port = await forwardedPort(v6, "[::]", 80);
    assert.equal(await closedAtOnce("127.0.0.1", v6Port), true);
    assert.equal((await runExchange(v6Port, 1024, 1024, { hostname: "::1" })).ok, true);
    assert.equal(await v6.stop(), 0);
    assert.equal(v6.stdout().match(/Handling connection/g)?.length, 1);

    // :: with one IPv4 address: that address is served, no other.
    const some = startForward(kubeconfig, [
      "--address",
      "::",
      "--address",
      "127.0.0.1",
      "web-0",
      ":80",
    ]);
    const somePort = await forwardedPort(some, "127.0.0.1", 80);
    assert.equal((await runExchange(somePort, 1024, 1024)).ok, true);
    assert.equal(await closedAtOnce("127.0.0.2", somePort), true);
    assert.equal(await some.stop(), 0);
    assert.equal(some.stderr(), "");
  });
});

Deno.test("port-forward: a server without the tunnel gets the legacy protocol; -v says which", async () => {
  const exchange = startExchangeService();
  const server = await startFakeApiServer({
    pods: [pod("web-0", { 80: exchange.port })],
    protocols: { portForward: ["v4.channel.k8s.io"] },
  });
  try {
    const kubeconfig = await writeKubeconfig(server, { user: "token" });
    const listeners: ((signal: "SIGINT" | "SIGTERM" | "SIGHUP") => void)[] = [];
    const captured = captureIo({
      env: { HOME: "/nonexistent" },
      terminal: { ...noTerminal, onSignal: (l) => (listeners.push(l), () => {}) },
    });
    const done = runCli(
      rootCommand,
      ["port-forward", "--kubeconfig", kubeconfig, "-v=2", "web-0", ":80"],
      captured.io,
    );
    let match: RegExpMatchArray | null = null;
    while (!(match = captured.stdout().match(/127\.0\.0\.1:(\d+) -> 80/))) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal((await runExchange(Number(match[1]), 4096, 4096)).ok, true);
    listeners.forEach((listener) => listener("SIGTERM"));
    assert.equal(await done, 0);
    const logs = captured.logs.join("\n");
    assert.match(logs, /refused the SPDY tunnel .*falling back to v4\.channel\.k8s\.io/);
    assert.match(logs, /port-forward protocol: v4\.channel\.k8s\.io/);

    const forced = await runCaptured(kubeconfig, ["--protocol", "tunnel", "web-0", "80"]);
    assert.equal(forced.code, 1);
    assert.match(
      forced.stderr,
      /^Error from server \(Forbidden\): the server refused the WebSocket upgrade with an empty 403: it supports none of the offered subprotocols \(SPDY\/3\.1\+portforward\.k8s\.io\)\n/,
    );
  } finally {
    await server.close();
    await exchange.close();
  }
});
