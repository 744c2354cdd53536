/**
 * The YAML 1.2 core schema: how a scalar's text becomes null, a boolean, a number or a string, with
 * or without an explicit tag. Kept apart from the parser so the rules can be read (and tested) on
 * their own.
 *
 * @module
 */

/**
 * The prefix of the tags the YAML specification defines (`!!str` expands to `${YAML_TAG_PREFIX}str`).
 *
 * @example
 * ```ts
 * import { YAML_TAG_PREFIX } from "./schema.ts";
 * `${YAML_TAG_PREFIX}int`; // "tag:yaml.org,2002:int"
 * ```
 */
export const YAML_TAG_PREFIX = "tag:yaml.org,2002:";

/**
 * The non-specific tag `!`: the scalar is a string whatever it looks like.
 *
 * @example
 * ```ts
 * import { NON_SPECIFIC_TAG, resolveScalar } from "./schema.ts";
 * resolveScalar("12", NON_SPECIFIC_TAG, true); // "12"
 * ```
 */
export const NON_SPECIFIC_TAG = "!";

const NULL_PATTERN = /^(?:~|null|Null|NULL|)$/;
const BOOL_PATTERN = /^(?:true|True|TRUE|false|False|FALSE)$/;
const DECIMAL_PATTERN = /^[-+]?[0-9]+$/;
const OCTAL_PATTERN = /^0o[0-7]+$/;
const HEX_PATTERN = /^0x[0-9a-fA-F]+$/;
const FLOAT_PATTERN = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/;
const INFINITY_PATTERN = /^[-+]?\.(?:inf|Inf|INF)$/;
const NAN_PATTERN = /^\.(?:nan|NaN|NAN)$/;

/**
 * Raised when a scalar does not fit the tag it carries; the parser adds the position.
 *
 * @example
 * ```ts
 * import { TagMismatchError } from "./schema.ts";
 * new TagMismatchError("tag:yaml.org,2002:int", "abc").message; // 'cannot resolve "abc" as !!int'
 * ```
 */
export class TagMismatchError extends Error {
  override name = "TagMismatchError";
  /** The full tag, e.g. `tag:yaml.org,2002:int`. */
  readonly tag: string;
  /** The scalar text that did not fit. */
  readonly text: string;

  constructor(tag: string, text: string) {
    super(`cannot resolve "${text}" as ${displayTag(tag)}`);
    this.tag = tag;
    this.text = text;
  }
}

/**
 * Shortens a tag for messages: `tag:yaml.org,2002:int` reads `!!int`.
 *
 * @example
 * ```ts
 * import { displayTag } from "./schema.ts";
 * displayTag("tag:yaml.org,2002:int"); // "!!int"
 * ```
 */
export function displayTag(tag: string): string {
  return tag.startsWith(YAML_TAG_PREFIX) ? `!!${tag.slice(YAML_TAG_PREFIX.length)}` : tag;
}

/**
 * Types an untagged plain scalar by the core schema; anything that is not null, a boolean or a
 * number stays a string.
 *
 * @example
 * ```ts
 * import { resolvePlainScalar } from "./schema.ts";
 * resolvePlainScalar("0x1F"); // 31
 * resolvePlainScalar("yes"); // "yes" (YAML 1.2 has no yes/no booleans)
 * ```
 */
export function resolvePlainScalar(text: string): unknown {
  if (text.length === 0) return null;
  const first = text.charCodeAt(0);
  // Most scalars in a kubeconfig are names and URLs: decide from the first character which rules
  // can match at all, so they skip every regular expression.
  if (first === 0x7e /* ~ */ || first === 0x6e /* n */ || first === 0x4e /* N */) {
    if (NULL_PATTERN.test(text)) return null;
    return text;
  }
  if (
    first === 0x74 /* t */ || first === 0x54 /* T */ || first === 0x66 /* f */ || first === 0x46
  ) {
    if (BOOL_PATTERN.test(text)) return first === 0x74 || first === 0x54;
    return text;
  }
  const isNumberStart = (first >= 0x30 && first <= 0x39) || first === 0x2d /* - */ ||
    first === 0x2b /* + */ || first === 0x2e /* . */;
  if (!isNumberStart) return text;
  const number = resolveNumber(text, true);
  return number === undefined ? text : number;
}

/** Parses an integer or float of the core schema, or returns `undefined`. */
function resolveNumber(text: string, allowFloat: boolean): number | undefined {
  if (DECIMAL_PATTERN.test(text)) return parseInt(text, 10);
  if (OCTAL_PATTERN.test(text)) return parseInt(text.slice(2), 8);
  if (HEX_PATTERN.test(text)) return parseInt(text.slice(2), 16);
  if (!allowFloat) return undefined;
  if (FLOAT_PATTERN.test(text)) return Number(text);
  if (INFINITY_PATTERN.test(text)) return text.charCodeAt(0) === 0x2d ? -Infinity : Infinity;
  if (NAN_PATTERN.test(text)) return NaN;
  return undefined;
}

/**
 * Builds the value of a scalar from its text and tag. `tag` is `null` when the node had none;
 * `plain` tells whether the scalar was unquoted (only untagged plain scalars are typed implicitly).
 * Tags outside the core schema keep the value the untagged scalar would have had.
 *
 * @throws {TagMismatchError} when the text does not fit a core-schema tag (`!!int abc`).
 * @example
 * ```ts
 * import { resolveScalar } from "./schema.ts";
 * resolveScalar("12", "tag:yaml.org,2002:str", true); // "12"
 * resolveScalar("12", null, true); // 12
 * ```
 */
export function resolveScalar(text: string, tag: string | null, plain: boolean): unknown {
  if (tag === null) return plain ? resolvePlainScalar(text) : text;
  if (tag === NON_SPECIFIC_TAG) return text;
  if (!tag.startsWith(YAML_TAG_PREFIX)) return plain ? resolvePlainScalar(text) : text;
  switch (tag.slice(YAML_TAG_PREFIX.length)) {
    case "str":
    case "binary":
    case "timestamp":
      return text;
    case "null":
      if (NULL_PATTERN.test(text)) return null;
      break;
    case "bool":
      if (BOOL_PATTERN.test(text)) return /^[tT]/.test(text);
      break;
    case "int": {
      const value = resolveNumber(text, false);
      if (value !== undefined) return value;
      break;
    }
    case "float": {
      const value = resolveNumber(text, true);
      if (value !== undefined) return value;
      break;
    }
    case "map":
    case "seq":
      break;
    default:
      return plain ? resolvePlainScalar(text) : text;
  }
  throw new TagMismatchError(tag, text);
}
