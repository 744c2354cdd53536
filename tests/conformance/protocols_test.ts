/**
 * One protocol suite over both WebSocket clients: every subprotocol kubexec speaks (v5, v4,
 * v4.base64, base64, channel.k8s.io) × the raw RFC 6455 client and Deno's native `WebSocket`
 * (hidden `--transport`), through the whole CLI in-process: output on stdout and stderr, stdin,
 * the remote exit code, and the default v5/v4 offer falling back to v4 on a server without v5.
 */
import assert from "node:assert/strict";
import { runCli } from "../../lib/cli/app.ts";
import { rootCommand } from "../../lib/cli/root.ts";
import { SUPPORTED_PROTOCOLS } from "../../lib/stream/protocol.ts";
import { type FakeApiServer, startFakeApiServer } from "../support/fake_apiserver.ts";
import { writeKubeconfig } from "../support/kubeconfig_fixture.ts";
import { captureIo } from "../support/cli_io.ts";

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

interface Case {
  name: string;
  command: string[];
  stdin?: string;
  expect: Outcome;
  /** v1 protocols carry the status as plain text without an exit code (client-go likewise). */
  expectV1?: Outcome;
}

const V1_PROTOCOLS = ["channel.k8s.io", "base64.channel.k8s.io"];

const CASES: Case[] = [
  {
    name: "stdout and stderr apart",
    command: ["sh", "-c", "printf out; printf err >&2"],
    expect: { code: 0, stdout: "out", stderr: "err" },
  },
  {
    name: "stdin reaches the command",
    // Legacy protocols cannot half-close stdin, so the command stops reading by itself.
    command: ["head", "-c", "4"],
    stdin: "abcdefgh",
    expect: { code: 0, stdout: "abcd", stderr: "" },
  },
  {
    name: "non-zero exit code",
    command: ["sh", "-c", "exit 42"],
    expect: { code: 42, stdout: "", stderr: "command terminated with exit code 42\n" },
    expectV1: {
      code: 1,
      stdout: "",
      stderr:
        "error: command terminated with non-zero exit code: error executing command [sh -c exit 42], exit code 42\n",
    },
  },
  {
    name: "binary output with every byte value",
    command: ["sh", "-c", "printf '\\000\\001\\177\\200\\377'"],
    expect: { code: 0, stdout: "\u0000\u0001\u007f\ufffd\ufffd", stderr: "" },
  },
];

async function run(server: FakeApiServer, kubeconfig: string, args: string[], stdin?: string) {
  const captured = captureIo({ stdin, env: { HOME: "/nonexistent-home" } });
  const code = await runCli(rootCommand, ["--kubeconfig", kubeconfig, ...args], captured.io);
  const session = server.requests.findLast((request) => request.session)?.session;
  return { code, stdout: captured.stdout(), stderr: captured.stderr(), session };
}

for (const transport of ["raw", "native"]) {
  Deno.test(`protocols (${transport}): every subprotocol passes the same cases`, async (t) => {
    const server = await startFakeApiServer({
      pods: [{ name: "web-0", containers: [{ name: "app" }] }],
    });
    try {
      const kubeconfig = await writeKubeconfig(server, { user: "token" });
      for (const protocol of SUPPORTED_PROTOCOLS) {
        for (const testCase of CASES) {
          await t.step(`${protocol}: ${testCase.name}`, async () => {
            const args = [`--transport=${transport}`, "exec", `--protocol=${protocol}`];
            if (testCase.stdin !== undefined) args.push("-i");
            const result = await run(
              server,
              kubeconfig,
              [...args, "web-0", "--", ...testCase.command],
              testCase.stdin,
            );
            assert.equal(result.session?.protocol, protocol);
            assert.deepEqual(
              { code: result.code, stdout: result.stdout, stderr: result.stderr },
              V1_PROTOCOLS.includes(protocol)
                ? testCase.expectV1 ?? testCase.expect
                : testCase.expect,
            );
          });
        }
      }
      await t.step("default offer on a server without v5 negotiates v4", async () => {
        server.faults.next({ kind: "refuseV5" });
        const result = await run(server, kubeconfig, [
          `--transport=${transport}`,
          "exec",
          "web-0",
          "--",
          "echo",
          "v4",
        ]);
        assert.equal(result.session?.protocol, "v4.channel.k8s.io");
        assert.deepEqual([result.code, result.stdout, result.stderr], [0, "v4\n", ""]);
      });
    } finally {
      await server.close();
    }
  });
}

Deno.test("protocols: --transport accepts only raw or native", async () => {
  const captured = captureIo({ env: { HOME: "/nonexistent-home" } });
  const code = await runCli(rootCommand, ["--transport=spdy", "version", "--client"], captured.io);
  assert.equal(code, 1);
  assert.equal(
    captured.stderr(),
    'error: invalid argument "spdy" for "--transport" flag: must be one of raw, native\n' +
      "See 'kubexec version -h' for help and examples\n",
  );
});
