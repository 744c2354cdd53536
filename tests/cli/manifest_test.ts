import assert from "node:assert/strict";
import { ManifestError, manifestTarget } from "../../lib/cli/manifest.ts";

Deno.test("manifest: the object's TYPE/NAME, namespace, and a pod as described", () => {
  assert.deepEqual(
    manifestTarget("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n", "d.yaml"),
    { target: "deployment.v1.apps/web" },
  );
  assert.deepEqual(
    manifestTarget('{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"j"}}', "j.json"),
    { target: "job.v1.batch/j" },
  );
  const pod = manifestTarget(
    "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: ns}\nspec: {containers: [{name: a}]}\n",
    "p.yaml",
  );
  assert.equal(pod.target, "pod/p");
  assert.equal(pod.namespace, "ns");
  assert.deepEqual((pod.pod?.spec as { containers: unknown[] }).containers, [{ name: "a" }]);
  // A list holding one object, and empty documents around it, name that object.
  assert.deepEqual(
    manifestTarget(
      "---\napiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Service, metadata: {name: s}}\n---\n",
      "l.yaml",
    ),
    { target: "service/s" },
  );
});

Deno.test("manifest: no object, several, or one without apiVersion, kind or name", () => {
  const refused: [string, RegExp][] = [
    ["", /^no objects passed to exec/],
    ["# only a comment\n", /^no objects passed to exec/],
    [
      "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: b}\n",
      /^cannot exec into multiple objects at a time$/,
    ],
    ["kind: Pod\nmetadata: {name: a}\n", /apiVersion not set/],
    ["apiVersion: v1\nmetadata: {name: a}\n", /kind not set/],
    ["apiVersion: v1\nkind: Pod\n", /^resource name may not be empty/],
    ["- a\n- b\n", /holds objects/],
  ];
  for (const [text, message] of refused) {
    assert.throws(() => manifestTarget(text, "f.yaml"), (error: unknown) => {
      assert.ok(error instanceof ManifestError, text);
      assert.match(error.message, message, text);
      return true;
    });
  }
});
