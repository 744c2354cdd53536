/**
 * A seeded mutation fuzzer for lib/yaml: it takes the YAML test suite's inputs, mutates them
 * (character flips, inserted YAML punctuation, deletions, truncation, duplicated slices, changed
 * indentation, spliced documents, deep nesting, alias bombs) and checks that every result either
 * parses or throws a `YamlError` with a sane position — never another exception. Inputs are capped
 * at {@linkcode MAX_FUZZ_INPUT_LENGTH} characters so that every parse is bounded.
 *
 * Run `deno run --allow-read tests/yaml/fuzz.ts --count 1000000 [--seed N]` (that is
 * `deno task fuzz`); tests/yaml/fuzz_test.ts runs a smaller batch on every test run.
 *
 * @module
 */

import { MAX_NESTING_DEPTH, parseAll, YamlError } from "../../lib/yaml/parse.ts";
import { loadSuiteCases } from "./suite_support.ts";

/** Longest input the fuzzer builds, in UTF-16 code units. */
export const MAX_FUZZ_INPUT_LENGTH = 8192;

/** What a fuzzing run saw. */
export interface FuzzReport {
  /** Inputs tried. */
  inputs: number;
  /** Inputs that parsed. */
  parsed: number;
  /** Inputs rejected with a YamlError. */
  rejected: number;
  /** The seed used (pass it again to replay the run). */
  seed: number;
}

/** An input made the parser throw something other than a YamlError (or a YamlError without a position). */
export class FuzzFailure extends Error {
  override name = "FuzzFailure";
  /** The input that failed. */
  readonly input: string;
  /** Index of the input in the run (with the seed, enough to replay it). */
  readonly index: number;

  constructor(index: number, input: string, cause: unknown) {
    super(`input #${index} ${JSON.stringify(input.slice(0, 400))} threw ${String(cause)}`, {
      cause,
    });
    this.input = input;
    this.index = index;
  }
}

const PUNCTUATION = [
  ": ",
  ":",
  "- ",
  "-",
  "? ",
  "?",
  "[",
  "]",
  "{",
  "}",
  ",",
  ", ",
  "#",
  " #",
  "&a ",
  "&b",
  "*a",
  "*b",
  "!!str ",
  "!!int ",
  "!!map ",
  "!!seq ",
  "!t ",
  "!",
  "!<tag:x>",
  "!e!x ",
  "|",
  ">",
  "|-",
  ">+",
  "|2",
  ">1-",
  "'",
  "''",
  '"',
  '\\"',
  "\\",
  "\\x4",
  "\\u12",
  "\\U0001F600",
  "\n",
  "\r\n",
  "\r",
  "\t",
  " ",
  "  ",
  "---",
  "---\n",
  "...",
  "...\n",
  "%YAML 1.2\n",
  "%TAG !e! tag:e,2000:\n",
  "%",
  "@",
  "`",
  "\ufeff",
  "\u2028",
  "\x85",
  "\u00e9",
  "\u{1F600}",
  "~",
  "null",
  "0x",
  ".inf",
  "<<: ",
  "\x00",
  "\x07",
  "\x7f",
]; // deno-fmt-ignore

/** mulberry32: small, fast and seedable, so failures can be replayed. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}

type Random = () => number;

function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)];
}

function position(random: Random, text: string): number {
  return Math.floor(random() * (text.length + 1));
}

function nested(random: Random): string {
  const depth = Math.floor(random() * MAX_NESTING_DEPTH * 2);
  switch (Math.floor(random() * 4)) {
    case 0:
      return "[".repeat(depth) + "x" + "]".repeat(Math.floor(random() * (depth + 1)));
    case 1:
      return "{a: ".repeat(depth) + "x" + "}".repeat(depth);
    case 2:
      return Array.from({ length: depth }, (_, i) => `${" ".repeat(i)}k:`).join("\n");
    default:
      return "- ".repeat(depth) + "x";
  }
}

function aliasBomb(random: Random): string {
  const width = 2 + Math.floor(random() * 9);
  const levels = 2 + Math.floor(random() * 12);
  let text = "a0: &a0 [x]\n";
  for (let i = 1; i < levels; i++) {
    text += `a${i}: &a${i} [${Array.from({ length: width }, () => `*a${i - 1}`).join(", ")}]\n`;
  }
  return text;
}

/** Applies one random mutation to `text`. */
function mutate(random: Random, text: string, corpus: readonly string[]): string {
  const at = position(random, text);
  switch (Math.floor(random() * 11)) {
    case 0: {
      const replacement = random() < 0.5
        ? pick(random, PUNCTUATION)
        : String.fromCharCode(Math.floor(random() * 0x80));
      return text.slice(0, at) + replacement + text.slice(at + 1);
    }
    case 1:
    case 2:
      return text.slice(0, at) + pick(random, PUNCTUATION) + text.slice(at);
    case 3: {
      const length = Math.floor(random() * 16);
      return text.slice(0, at) + text.slice(at + length);
    }
    case 4:
      return text.slice(0, at);
    case 5: {
      const start = position(random, text);
      const slice = text.slice(start, start + Math.floor(random() * 64));
      return text.slice(0, at) + slice + text.slice(at);
    }
    case 6: {
      const lines = text.split("\n");
      const line = Math.floor(random() * lines.length);
      lines[line] = random() < 0.5 ? ` ${lines[line]}` : lines[line].replace(/^ /, "");
      return lines.join("\n");
    }
    case 7: {
      const lines = text.split("\n");
      const from = Math.floor(random() * lines.length);
      const to = Math.floor(random() * lines.length);
      [lines[from], lines[to]] = [lines[to], lines[from]];
      return lines.join("\n");
    }
    case 8:
      return text.slice(0, at) + pick(random, corpus) + text.slice(at);
    case 9:
      return random() < 0.5 ? nested(random) : text.slice(0, at) + nested(random);
    default:
      return random() < 0.5 ? aliasBomb(random) : text + "\n" + aliasBomb(random);
  }
}

/** Parses one input; throws FuzzFailure unless it parses or fails with a positioned YamlError. */
function check(index: number, input: string): boolean {
  try {
    parseAll(input);
    return true;
  } catch (error) {
    if (
      error instanceof YamlError && error.line >= 1 && error.column >= 1 &&
      Number.isInteger(error.line) && Number.isInteger(error.column)
    ) {
      return false;
    }
    throw new FuzzFailure(index, input, error);
  }
}

/**
 * Runs `count` mutated inputs through `parseAll`.
 *
 * @throws {FuzzFailure} at the first input that breaks the contract.
 * @example
 * ```ts
 * import { fuzzYaml } from "./fuzz.ts";
 * const report = fuzzYaml({ count: 1000, seed: 1 });
 * report.parsed + report.rejected; // 1000
 * ```
 */
export function fuzzYaml(options: { count: number; seed?: number }): FuzzReport {
  const seed = options.seed ?? 1;
  const random = seededRandom(seed);
  const corpus = loadSuiteCases().map((suiteCase) => suiteCase.input);
  const report: FuzzReport = { inputs: 0, parsed: 0, rejected: 0, seed };
  for (let index = 0; index < options.count; index++) {
    let input = pick(random, corpus);
    const mutations = 1 + Math.floor(random() * 4);
    for (let i = 0; i < mutations; i++) input = mutate(random, input, corpus);
    if (input.length > MAX_FUZZ_INPUT_LENGTH) input = input.slice(0, MAX_FUZZ_INPUT_LENGTH);
    if (check(index, input)) report.parsed++;
    else report.rejected++;
    report.inputs++;
  }
  return report;
}

function readFlag(args: string[], name: string, fallback: number): number {
  const index = args.indexOf(name);
  if (index === -1) return fallback;
  const value = Number(args[index + 1]);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name} needs a whole number`);
  return value;
}

if (import.meta.main) {
  const count = readFlag(Deno.args, "--count", 100_000);
  const seed = readFlag(Deno.args, "--seed", Date.now() % 2 ** 31);
  const started = performance.now();
  const report = fuzzYaml({ count, seed });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  // deno-lint-ignore no-console
  console.log(
    `yaml fuzz: ${report.inputs} inputs, ${report.parsed} parsed, ${report.rejected} rejected with YamlError, 0 other errors (seed ${report.seed}, ${seconds} s)`,
  );
}
