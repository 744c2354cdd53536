// deno-lint-ignore-file no-console
/**
 * `deno task demo`: kubexec against the built-in fake API server, for a newcomer without a cluster.
 * Starts the server on loopback with a throwaway kubeconfig, runs a few kubexec commands as
 * subprocesses (with exactly the shipped binary's permissions) and shows what they print.
 *
 * @module
 */
import { startFakeApiServer } from "./support/fake_apiserver.ts";
import { writeKubeconfig } from "./support/kubeconfig_fixture.ts";
import { SHIPPED_PERMISSIONS } from "./support/oracle.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;
const encoder = new TextEncoder();
const bold = (text: string) => (Deno.stdout.isTerminal() ? `\x1b[1m${text}\x1b[0m` : text);

async function show(title: string, args: string[], stdin?: string): Promise<void> {
  const shown = args.map((arg) => (/[\s'";$|]/.test(arg) ? `'${arg}'` : arg)).join(" ");
  console.log(`\n${bold(`# ${title}`)}`);
  console.log(
    `${stdin !== undefined ? `echo ${JSON.stringify(stdin.trim())} | ` : ""}kubexec ${shown}`,
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...SHIPPED_PERMISSIONS, MAIN, ...args],
    env: { KUBECONFIG: kubeconfig, NO_COLOR: "1" },
    stdin: "piped",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  const writer = child.stdin.getWriter();
  if (stdin !== undefined) await writer.write(encoder.encode(stdin));
  await writer.close();
  const { code } = await child.status;
  console.log(`(exit code ${code})`);
}

const server = await startFakeApiServer({
  pods: [
    { name: "web-0", labels: { app: "web" }, containers: [{ name: "app" }, { name: "sidecar" }] },
  ],
  objects: [{
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: "default" },
    spec: { selector: { matchLabels: { app: "web" } } },
  }],
});
const kubeconfig = await writeKubeconfig(server, { user: "cert" });
try {
  console.log(`fake API server at ${server.url}; kubeconfig ${kubeconfig}`);
  console.log("(its pods run commands as local processes in a temporary directory)");
  await show("a command with output", [
    "exec",
    "web-0",
    "-c",
    "app",
    "--",
    "echo",
    "hello from the pod",
  ]);
  await show("the first container is defaulted, as kubectl does", [
    "exec",
    "web-0",
    "--",
    "uname",
    "-s",
  ]);
  await show("a deployment resolves to its pod", [
    "exec",
    "deploy/web",
    "-c",
    "app",
    "--",
    "sh",
    "-c",
    "echo $HOSTNAME",
  ]);
  await show("a non-zero exit code comes back", [
    "exec",
    "web-0",
    "-c",
    "app",
    "--",
    "sh",
    "-c",
    "exit 3",
  ]);
  await show("stdin is streamed and half-closed at EOF", [
    "exec",
    "-i",
    "web-0",
    "-c",
    "app",
    "--",
    "wc",
    "-c",
  ], "piped through the pod\n");
  await Deno.writeTextFile(
    `${await server.podDir("default", "web-0")}/motd.txt`,
    "hello from the pod's file system\n",
  );
  await show("cp prints a remote file to stdout, as kubectl cp does", [
    "cp",
    "-c",
    "app",
    "web-0:motd.txt",
    "/dev/stdout",
  ]);
  await show("errors name the cause", ["exec", "nope", "--", "true"]);
  console.log(`\nWith a real cluster: deno task kubexec -- exec -it POD -- sh`);
} finally {
  await server.close();
}
