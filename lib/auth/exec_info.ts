/**
 * Builds the `KUBERNETES_EXEC_INFO` value an exec credential plugin receives: the `ExecCredential`
 * request object encoded byte for byte as client-go encodes it (Go's `json.Encoder`: fields in struct
 * order, empty optional fields left out, `<`, `>`, `&`, U+2028 and U+2029 escaped, a trailing
 * newline). Plugins such as `aws eks get-token` parse it, and some compare it, so the shape matters.
 *
 * @module
 */
import type { ExecClusterInfo } from "../kubeconfig/types.ts";

/** Encodes a value as Go's `encoding/json` does with HTML escaping on; keys keep insertion order. */
function goJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (character) => {
    return `\\u${character.charCodeAt(0).toString(16).padStart(4, "0")}`;
  });
}

/**
 * Returns a copy of `value` whose object keys are sorted at every level: client-go hands the cluster
 * extension over as the raw JSON its YAML loader produced from a Go map, whose keys are sorted.
 */
function sortedValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedValue);
  if (value !== null && typeof value === "object") {
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      sorted[key] = sortedValue((value as Record<string, unknown>)[key]);
    }
    return sorted;
  }
  return value;
}

/** The `spec.cluster` object in client-go's field order, empty optional fields left out. */
function clusterObject(cluster: ExecClusterInfo): Record<string, unknown> {
  const object: Record<string, unknown> = { server: cluster.server ?? "" };
  if (cluster["tls-server-name"]) object["tls-server-name"] = cluster["tls-server-name"];
  if (cluster["insecure-skip-tls-verify"]) object["insecure-skip-tls-verify"] = true;
  if (cluster["certificate-authority-data"]) {
    object["certificate-authority-data"] = cluster["certificate-authority-data"];
  }
  if (cluster["proxy-url"]) object["proxy-url"] = cluster["proxy-url"];
  if (cluster["disable-compression"]) object["disable-compression"] = true;
  if (cluster.config !== undefined && cluster.config !== null) {
    object.config = sortedValue(cluster.config);
  }
  return object;
}

/**
 * The `KUBERNETES_EXEC_INFO` value, trailing newline included. `cluster` is given only when the
 * plugin has `provideClusterInfo: true`; its `certificate-authority-data` is the base64 text of the
 * CA bundle (file contents inlined by the kubeconfig resolver).
 *
 * @example
 * ```ts
 * import { execInfo } from "./exec_info.ts";
 * execInfo("client.authentication.k8s.io/v1", false);
 * // '{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false}}\n'
 * ```
 */
export function execInfo(
  apiVersion: string,
  interactive: boolean,
  cluster?: ExecClusterInfo,
): string {
  const spec: Record<string, unknown> = {};
  if (cluster) spec.cluster = clusterObject(cluster);
  spec.interactive = interactive;
  return goJson({ kind: "ExecCredential", apiVersion, spec }) + "\n";
}
