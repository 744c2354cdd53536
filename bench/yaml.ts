/**
 * Parse-speed benchmark for lib/yaml: a generated kubeconfig-shaped document of about 1 MiB
 * (1,000 clusters, contexts and users, with long base64 `*-data` values) parsed repeatedly.
 * `deno run bench/yaml.ts [runs]` prints the figures; bench/main.ts can call
 * {@linkcode measureYamlParse}.
 *
 * @module
 */

import { parse } from "../lib/yaml/parse.ts";

/** Timing of repeated parses of the generated document. */
export interface YamlParseMeasurement {
  /** Size of the document in UTF-8 bytes. */
  bytes: number;
  /** Median time of one parse, in milliseconds. */
  medianMs: number;
  /** Fastest parse, in milliseconds. */
  minMs: number;
  /** Slowest parse, in milliseconds. */
  maxMs: number;
}

const ENTRIES = 1000;
const TARGET_BYTES = 1024 * 1024;
const BASE64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Deterministic base64-looking text of `length` characters. */
function base64Text(length: number, seed: number): string {
  let state = seed;
  let text = "";
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    text += BASE64_ALPHABET[state >>> 26];
  }
  return text;
}

function buildDocument(dataLength: number): string {
  const lines = ["apiVersion: v1", "kind: Config", "preferences: {}", "current-context: context-0"];
  lines.push("clusters:");
  for (let i = 0; i < ENTRIES; i++) {
    lines.push(
      `- name: cluster-${i}`,
      "  cluster:",
      `    server: https://10.${i >> 8}.${i & 255}.1:6443`,
      `    certificate-authority-data: ${base64Text(dataLength, i * 3 + 1)}`,
      "    # a comment the parser must skip",
    );
  }
  lines.push("contexts:");
  for (let i = 0; i < ENTRIES; i++) {
    lines.push(
      `- name: context-${i}`,
      `  context: {cluster: cluster-${i}, user: "user-${i}", namespace: 'team-${i % 17}'}`,
    );
  }
  lines.push("users:");
  for (let i = 0; i < ENTRIES; i++) {
    lines.push(
      `- name: user-${i}`,
      "  user:",
      `    client-certificate-data: ${base64Text(dataLength, i * 3 + 2)}`,
      `    client-key-data: ${base64Text(dataLength >> 1, i * 3 + 3)}`,
    );
  }
  return lines.join("\n") + "\n";
}

/**
 * Builds the ~1 MiB kubeconfig document the benchmark parses.
 *
 * @example
 * ```ts
 * import { generateKubeconfigDocument } from "./yaml.ts";
 * generateKubeconfigDocument().length; // about 1,048,576
 * ```
 */
export function generateKubeconfigDocument(): string {
  const skeleton = buildDocument(0).length;
  const dataLength = Math.max(16, Math.round((TARGET_BYTES - skeleton) / (2.5 * ENTRIES)));
  return buildDocument(dataLength);
}

/**
 * Parses the generated document `runs` times (after a few warm-up parses) and reports the times.
 *
 * @example
 * ```ts
 * import { measureYamlParse } from "./yaml.ts";
 * const { medianMs } = measureYamlParse(5);
 * ```
 */
export function measureYamlParse(runs = 20): YamlParseMeasurement {
  const text = generateKubeconfigDocument();
  for (let i = 0; i < 3; i++) parse(text);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    parse(text);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const middle = times.length >> 1;
  const medianMs = times.length % 2 === 1 ? times[middle] : (times[middle - 1] + times[middle]) / 2;
  return {
    bytes: new TextEncoder().encode(text).length,
    medianMs,
    minMs: times[0],
    maxMs: times[times.length - 1],
  };
}

if (import.meta.main) {
  const runs = Deno.args.length > 0 ? Number(Deno.args[0]) : 20;
  const result = measureYamlParse(runs);
  // deno-lint-ignore no-console
  console.log(
    `yaml parse: ${(result.bytes / 1048576).toFixed(2)} MiB kubeconfig, ${runs} runs: median ${
      result.medianMs.toFixed(1)
    } ms, min ${result.minMs.toFixed(1)} ms, max ${result.maxMs.toFixed(1)} ms`,
  );
}
