import assert from "node:assert/strict";
import { ManifestError, manifestObjects, objectTarget } from "../../lib/cli/manifest.ts";

const only = (text: string, file = "f.yaml") => {
  const objects = manifestObjects(text, file);
  assert.equal(objects.length, 1, text);
  return objectTarget(objects[0]);
};

Deno.test("manifest: the object's TYPE/NAME, namespace, and a pod as described", () => {
  // A workload comes with itself: its selector is the file's, not the server's copy's.
  assert.deepEqual(only("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n"), {
    target: "deployment.v1.apps/web",
    workload: { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web" } },
  });
  assert.equal(
    only('{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"j"}}').target,
    "job.v1.batch/j",
  );
  const pod = only(
    "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: ns}\nspec: {containers: [{name: a}]}\n",
  );
  assert.equal(pod.target, "pod/p");
  assert.equal(pod.namespace, "ns");
  assert.deepEqual((pod.pod?.spec as { containers: unknown[] }).containers, [{ name: "a" }]);
  // A list holding one object, and empty documents around it, name that object.
  assert.deepEqual(
    only(
      "---\napiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Service, metadata: {name: s}}\n---\n",
    ),
    {
      target: "service/s",
      workload: { apiVersion: "v1", kind: "Service", metadata: { name: "s" } },
    },
  );
});

Deno.test("manifest: documents are counted, empty ones are not", () => {
  assert.equal(manifestObjects("", "e.yaml").length, 0);
  assert.equal(manifestObjects("# only a comment\n", "e.yaml").length, 0);
  assert.equal(manifestObjects("kind: Pod\n---\n---\nkind: Service\n", "two.yaml").length, 2);
  assert.throws(() => manifestObjects("- a\n- b\n", "f.yaml"), ManifestError);
});

Deno.test("manifest: an object without apiVersion, kind or name, or of a kind without pods", () => {
  const refused: [string, RegExp][] = [
    ["kind: Pod\nmetadata: {name: a}\n", /apiVersion not set/],
    ["apiVersion: v1\nmetadata: {name: a}\n", /kind not set/],
    ["apiVersion: v1\nkind: Pod\n", /^resource name may not be empty/],
    [
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
      /^cannot attach to \*v1\.ConfigMap: selector for \*v1\.ConfigMap not implemented$/,
    ],
    [
      "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n",
      /^cannot attach to \*unstructured\.Unstructured: selector for \*unstructured\.Unstructured not implemented$/,
    ],
  ];
  for (const [text, message] of refused) {
    assert.throws(() => only(text), (error: unknown) => {
      assert.ok(error instanceof ManifestError, text);
      assert.match(error.message, message, text);
      return true;
    });
  }
});
