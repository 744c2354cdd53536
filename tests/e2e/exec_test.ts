/**
 * exec against the real kube-apiserver: output and stderr, stdin with EOF, exit codes, 64 MiB
 * byte-exact both ways, container defaulting (annotation, first container with a notice, `-c`),
 * `deploy/NAME`, and both kubelet routes (WebSocket proxied to the kubelet on the modern node,
 * translated to SPDY by the apiserver on the legacy node). Each row runs through kubectl and, once
 * exec works, through kubexec, which must match.
 */
import { cluster } from "./cluster.ts";
import { scenarioTest, stdinSha256 } from "./compare.ts";

const webPod = cluster?.pods.web ?? "web";
const big = { size: 64 * 1024 * 1024, seed: 20261126 };
const bigSha = cluster ? stdinSha256(big) : "";

scenarioTest({
  name: "exec: stdout and stderr are kept apart",
  args: ["exec", "shell", "--", "sh", "-c", "echo out; echo err >&2"],
  expect: { code: 0, stdout: "out\n", stderr: "err\n" },
});

scenarioTest({
  name: "exec: runs in the pod's working directory with the container's env",
  args: ["exec", "shell", "--", "sh", "-c", 'echo "$KUBEXEC_POD/$KUBEXEC_CONTAINER"'],
  expect: { code: 0, stdout: "shell/main\n", stderr: "" },
});

scenarioTest({
  name: "exec: stdin is piped and EOF ends cat (echo hi | exec -i -- cat)",
  args: ["exec", "-i", "shell", "--", "cat"],
  stdin: "hi\n",
  expect: { code: 0, stdout: "hi\n", stderr: "" },
});

scenarioTest({
  name: "exec: stdin through the apiserver's WebSocket-to-SPDY translation (legacy node)",
  args: ["exec", "-i", "legacy", "--", "cat"],
  stdin: "through the translator\n",
  expect: { code: 0, stdout: "through the translator\n", stderr: "" },
});

scenarioTest({
  name: "exec: exit code 0",
  args: ["exec", "shell", "--", "true"],
  expect: { code: 0, stdout: "", stderr: "" },
});

scenarioTest({
  name: "exec: exit code 1",
  args: ["exec", "shell", "--", "false"],
  expect: { code: 1, stdout: "", stderr: "command terminated with exit code 1\n" },
});

scenarioTest({
  name: "exec: exit code 42",
  args: ["exec", "shell", "--", "sh", "-c", "exit 42"],
  expect: { code: 42, stdout: "", stderr: "command terminated with exit code 42\n" },
});

scenarioTest({
  name: "exec: exit code 42 on the legacy node",
  args: ["exec", "legacy", "--", "sh", "-c", "exit 42"],
  expect: { code: 42, stdout: "", stderr: "command terminated with exit code 42\n" },
});

scenarioTest({
  name: "exec: 64 MiB upload arrives byte-exact",
  args: ["exec", "-i", "shell", "--", "sh", "-c", "cat > upload.bin && sha256sum < upload.bin"],
  stdin: big,
  expect: { code: 0, stdout: `${bigSha}  -\n`, stderr: "" },
});

scenarioTest({
  name: "exec: 64 MiB download arrives byte-exact",
  args: ["exec", "shell", "--", "sh", "-c", `head -c ${big.size} upload.bin`],
  expect: { code: 0, stdoutSha256: bigSha, stderr: "" },
});

scenarioTest({
  name: "exec: the default-container annotation picks the container silently",
  args: ["exec", "multi", "--", "sh", "-c", "echo $KUBEXEC_CONTAINER"],
  expect: { code: 0, stdout: "beta\n", stderr: "" },
});

scenarioTest({
  name: "exec: multi-container pod without -c or annotation uses the first, with a notice",
  args: ["exec", "multi-noanno", "--", "sh", "-c", "echo $KUBEXEC_CONTAINER"],
  expect: {
    code: 0,
    stdout: "alpha\n",
    stderr: 'Defaulted container "alpha" out of: alpha, beta\n',
  },
});

scenarioTest({
  name: "exec: -c selects the container",
  args: ["exec", "multi-noanno", "-c", "beta", "--", "sh", "-c", "echo $KUBEXEC_CONTAINER"],
  expect: { code: 0, stdout: "beta\n", stderr: "" },
});

scenarioTest({
  name: "exec: deploy/NAME resolves to the Deployment's pod",
  args: ["exec", `deploy/${cluster?.deployment ?? "web"}`, "--", "sh", "-c", "echo $KUBEXEC_POD"],
  expect: { code: 0, stdout: `${webPod}\n`, stderr: "" },
});

scenarioTest({
  name: "exec: 404 for a missing pod",
  args: ["exec", "nope", "--", "true"],
  expect: { code: 1, stdout: "", stderr: 'Error from server (NotFound): pods "nope" not found\n' },
});

scenarioTest({
  name: "exec: a namespace that does not exist is named, not the pod",
  args: ["exec", "-n", "nons", "nope", "--", "true"],
  expect: {
    code: 1,
    stdout: "",
    stderr: 'Error from server (NotFound): namespaces "nons" not found\n',
  },
});

/** A manifest of a kind no pod can be found for (the fake server's discovery lacks ConfigMap). */
const CONFIGMAP_MANIFEST = (() => {
  const dir = Deno.makeTempDirSync({ prefix: "kubexec-e2e-manifest-" });
  Deno.writeTextFileSync(
    `${dir}/cm.yaml`,
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
  );
  addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
  return `${dir}/cm.yaml`;
})();

scenarioTest({
  name: "exec -f: an object no pod can be found for",
  args: ["exec", "-f", CONFIGMAP_MANIFEST, "--", "true"],
  expect: {
    code: 1,
    stdout: "",
    stderr: "error: cannot attach to *v1.ConfigMap: selector for *v1.ConfigMap not implemented\n",
  },
});

scenarioTest({
  name: "exec: 400 for an unknown container",
  args: ["exec", "shell", "-c", "nope", "--", "true"],
  expect: {
    code: 1,
    stdout: "",
    stderr: "Error from server (BadRequest): container nope is not valid for pod shell\n",
  },
});

scenarioTest({
  name: "exec: -it with stdin that is not a terminal falls back to no TTY, with a notice",
  args: ["exec", "-it", "shell", "--", "sh", "-c", "echo hi; cat"],
  stdin: "x\n",
  expect: {
    code: 0,
    stdout: "hi\nx\n",
    stderr: "Unable to use a TTY - input is not a terminal or the right kind of file\n",
  },
});

scenarioTest({
  name: "exec: a completed pod is refused before connecting",
  args: ["exec", "done", "--", "true"],
  expect: {
    code: 1,
    stdout: "",
    stderr: "error: cannot exec into a container in a completed pod; current phase is Succeeded\n",
  },
});

scenarioTest({
  name: "exec: 400 for a pod no node was assigned to",
  args: ["exec", "unscheduled", "--", "true"],
  expect: {
    code: 1,
    stdout: "",
    stderr: "Error from server (BadRequest): pod unscheduled does not have a host assigned\n",
  },
});

scenarioTest({
  name: "exec: a kind without pods is refused after it is found (node/NAME)",
  args: ["exec", "node/node-modern", "--", "true"],
  expect: {
    code: 1,
    stdout: "",
    stderr: "error: cannot attach to *v1.Node: selector for *v1.Node not implemented\n",
  },
});

scenarioTest({
  name: "exec: a kind without pods that is not there is the server's NotFound (configmap/NAME)",
  args: ["exec", "configmap/nope", "--", "true"],
  expect: {
    code: 1,
    stdout: "",
    stderr: 'Error from server (NotFound): configmaps "nope" not found\n',
  },
});

scenarioTest({
  name: "exec: the core group spelt out (pod.v1./NAME)",
  args: ["exec", "pod.v1./shell", "--", "echo", "core"],
  expect: { code: 0, stdout: "core\n", stderr: "" },
});
