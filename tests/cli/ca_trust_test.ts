/**
 * A kubeconfig CA that did not sign the server's certificate, while Deno's root store (extended
 * with `DENO_CERT`) holds the CA that did: kubectl trusts only the kubeconfig's CA and refuses;
 * kubexec by default trusts the default roots too (docs/differences.md) and connects, refuses with
 * kubectl's words under `--strict-ca-trust`, and `doctor` warns about it.
 *
 * @module
 */
import assert from "node:assert/strict";
import { startFakeApiServer } from "../support/fake_apiserver.ts";
import { writeKubeconfig } from "../support/kubeconfig_fixture.ts";
import { kubectlPath, runKubectl, runKubexec } from "../support/oracle.ts";
import { testPki } from "../support/pki.ts";

const klog = /^[EIW]\d{4} \d{2}:\d{2}:\d{2}\.\d+ .*\n/gm;

Deno.test("a kubeconfig CA that did not sign the server: kubectl's refusal with --strict-ca-trust", async () => {
  const server = await startFakeApiServer({
    tokens: { "admin-token": { name: "admin", groups: ["system:masters"] } },
    pods: [{ name: "web-0", containers: [{ name: "app" }] }],
  });
  await using _server = { [Symbol.asyncDispose]: () => server.close() };
  const pki = await testPki();
  const kubeconfig = await writeKubeconfig(server, { user: "token", token: "admin-token" });
  const base64 = (text: string) => btoa(text);
  await Deno.writeTextFile(
    kubeconfig,
    (await Deno.readTextFile(kubeconfig)).replace(
      base64(server.caPem),
      base64(pki.otherCa.certPem),
    ),
  );
  // Deno's root store gets the server's real CA, as a publicly trusted CA would be there.
  const env = { DENO_CERT: pki.ca.certFile };
  const exec = ["--kubeconfig", kubeconfig, "exec", "web-0", "--", "echo", "hi"];

  const loose = await runKubexec(exec, { env });
  assert.deepEqual(loose, { code: 0, stdout: "hi\n", stderr: "" });

  const strict = await runKubexec(["--strict-ca-trust", ...exec], { env });
  // Both CAs are named "ca", as a rotated CA (or another kubeadm cluster's "kubernetes") is: Go
  // says which candidate failed.
  const refusal =
    'Unable to connect to the server: tls: failed to verify certificate: x509: certificate signed by unknown authority (possibly because of "x509: ECDSA verification failure" while trying to verify candidate authority certificate "ca")\n';
  assert.deepEqual(strict, { code: 1, stdout: "", stderr: refusal });
  if (kubectlPath) {
    const theirs = await runKubectl(exec, { env });
    assert.deepEqual({ ...theirs, stderr: theirs.stderr.replace(klog, "") }, strict);
  }

  const doctor = await runKubexec(["--kubeconfig", kubeconfig, "doctor"], { env });
  assert.equal(doctor.code, 0, doctor.stdout);
  assert.match(
    doctor.stdout,
    /\nwarn tls +server certificate .* is trusted through the default roots, not the kubeconfig's CA\n +cause: .*certificate signed by unknown authority.*\n +fix: +.*--strict-ca-trust/,
  );
  const strictDoctor = await runKubexec(
    ["--kubeconfig", kubeconfig, "--strict-ca-trust", "doctor"],
    {
      env,
    },
  );
  assert.equal(strictDoctor.code, 1);
  assert.match(strictDoctor.stdout, /\nFAIL tls +.*unknown authority|\nFAIL tls /);
});
