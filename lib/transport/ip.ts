/**
 * Minimal IP address parsing and CIDR matching with the semantics of Go's `net.ParseIP`,
 * `net.ParseCIDR` and `IPNet.Contains`, as `NO_PROXY` matching needs them. IPv4-mapped IPv6
 * addresses count as IPv4, as in Go.
 *
 * @module
 */

/** A parsed address: 4 bytes for IPv4 (including IPv4-mapped IPv6), 16 bytes for IPv6. */
export type IpBytes = Uint8Array;

/**
 * Parses dotted IPv4 or IPv6 text (no zone, no brackets); `undefined` when it is not an IP.
 *
 * @example
 * ```ts
 * import { parseIp } from "./ip.ts";
 * parseIp("10.1.2.3"); // Uint8Array [10, 1, 2, 3]
 * parseIp("example.com"); // undefined
 * ```
 */
export function parseIp(text: string): IpBytes | undefined {
  if (text.includes(":")) {
    const v6 = parseIpv6(text);
    if (!v6) return undefined;
    const mapped = v6.subarray(0, 10).every((b) => b === 0) && v6[10] === 0xff && v6[11] === 0xff;
    return mapped ? v6.slice(12) : v6;
  }
  return parseIpv4(text);
}

function parseIpv4(text: string): IpBytes | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    // Go (since 1.17) refuses leading zeros, which some readers take for octal.
    if (!/^(0|[1-9]\d{0,2})$/.test(parts[i])) return undefined;
    const value = Number(parts[i]);
    if (value > 255) return undefined;
    bytes[i] = value;
  }
  return bytes;
}

function parseIpv6(text: string): IpBytes | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const parseGroups = (part: string): number[] | undefined => {
    if (part === "") return [];
    const groups: number[] = [];
    const pieces = part.split(":");
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i];
      if (i === pieces.length - 1 && piece.includes(".")) {
        const v4 = parseIpv4(piece);
        if (!v4) return undefined;
        groups.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(piece)) {
        groups.push(parseInt(piece, 16));
      } else {
        return undefined;
      }
    }
    return groups;
  };
  const head = parseGroups(halves[0]);
  const tail = halves.length === 2 ? parseGroups(halves[1]) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...head, ...new Array(halves.length === 2 ? missing : 0).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  groups.forEach((group, i) => {
    bytes[2 * i] = group >> 8;
    bytes[2 * i + 1] = group & 0xff;
  });
  return bytes;
}

/** A parsed CIDR block. */
export interface Cidr {
  /** The network address (host bits cleared). */
  network: IpBytes;
  /** Prefix length in bits, relative to the address family. */
  prefixLength: number;
}

/**
 * Parses `address/prefix`; `undefined` when malformed. An IPv4-mapped IPv6 address with a prefix
 * of 96 or more becomes an IPv4 block, as in Go.
 *
 * @example
 * ```ts
 * import { parseCidr } from "./ip.ts";
 * parseCidr("10.0.0.0/8"); // { network: [10,0,0,0], prefixLength: 8 }
 * ```
 */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf("/");
  if (slash < 0) return undefined;
  const addressText = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return undefined;
  let prefixLength = Number(prefixText);
  const isV6Text = addressText.includes(":");
  let network = parseIp(addressText);
  if (!network) return undefined;
  if (isV6Text && network.length === 4) {
    if (prefixLength > 128) return undefined;
    if (prefixLength < 96) {
      const full = new Uint8Array(16);
      full[10] = full[11] = 0xff;
      full.set(network, 12);
      network = full;
    } else {
      prefixLength -= 96;
    }
  }
  if (prefixLength > network.length * 8) return undefined;
  return { network: mask(network, prefixLength), prefixLength };
}

function mask(address: IpBytes, prefixLength: number): IpBytes {
  const out = address.slice();
  for (let bit = prefixLength; bit < out.length * 8; bit++) out[bit >> 3] &= ~(0x80 >> (bit & 7));
  return out;
}

/**
 * Whether `cidr` contains `address` (families must match).
 *
 * @example
 * ```ts
 * import { cidrContains, parseCidr, parseIp } from "./ip.ts";
 * cidrContains(parseCidr("10.0.0.0/8")!, parseIp("10.9.8.7")!); // true
 * ```
 */
export function cidrContains(cidr: Cidr, address: IpBytes): boolean {
  if (address.length !== cidr.network.length) return false;
  const masked = mask(address, cidr.prefixLength);
  return masked.every((byte, i) => byte === cidr.network[i]);
}

/**
 * Whether two parsed addresses are equal.
 *
 * @example
 * ```ts
 * import { ipEqual, parseIp } from "./ip.ts";
 * ipEqual(parseIp("::ffff:1.2.3.4")!, parseIp("1.2.3.4")!); // true
 * ```
 */
export function ipEqual(a: IpBytes, b: IpBytes): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/**
 * Whether `address` is a loopback address (127.0.0.0/8 or ::1).
 *
 * @example
 * ```ts
 * import { isLoopback, parseIp } from "./ip.ts";
 * isLoopback(parseIp("127.0.0.2")!); // true
 * ```
 */
export function isLoopback(address: IpBytes): boolean {
  if (address.length === 4) return address[0] === 127;
  return address.subarray(0, 15).every((b) => b === 0) && address[15] === 1;
}
