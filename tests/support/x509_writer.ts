/**
 * Writes X.509 v3 certificates with Web Crypto alone, so the test PKI (and `deno task demo`) need
 * no `openssl` command: DER encoding of the few ASN.1 types a certificate uses, P-256 or RSA keys,
 * and the extensions the tests ask for (basic constraints, key usage, extended key usage, subject
 * alternative names).
 *
 * @module
 */
import { concatBytes } from "../../lib/bytes.ts";

/** A key pair in the PEM forms files hold: PKCS#8 private key, and its SubjectPublicKeyInfo. */
export interface KeyPairPem {
  keyPem: string;
  /** The Web Crypto private key, to sign with. */
  privateKey: CryptoKey;
  /** The DER SubjectPublicKeyInfo, for certificates. */
  spki: Uint8Array;
  keyType: "ec" | "rsa";
}

/** What to put in a certificate. */
export interface CertificateSpec {
  /** Relative distinguished names in order, e.g. `[["CN", "alice"], ["O", "dev"]]`. */
  subject: [string, string][];
  issuer: [string, string][];
  /** The subject's public key. */
  spki: Uint8Array;
  /** The issuer's key, which signs. */
  signer: KeyPairPem;
  notBefore: Date;
  notAfter: Date;
  ca?: boolean;
  /** `serverAuth` and/or `clientAuth`. */
  extendedKeyUsage?: ("serverAuth" | "clientAuth")[];
  /** DNS names and IP addresses. */
  altNames?: string[];
  /** A leaf's key usage (digitalSignature, keyEncipherment), as client certificates carry it. */
  leafKeyUsage?: boolean;
}

const OID = {
  CN: "2.5.4.3",
  O: "2.5.4.10",
  ecPublicKey: "1.2.840.10045.2.1",
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  sha256WithRsa: "1.2.840.113549.1.1.11",
  basicConstraints: "2.5.29.19",
  keyUsage: "2.5.29.15",
  extKeyUsage: "2.5.29.37",
  subjectAltName: "2.5.29.17",
  serverAuth: "1.3.6.1.5.5.7.3.1",
  clientAuth: "1.3.6.1.5.5.7.3.2",
} as const;

function tlv(tag: number, ...content: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const body = concatBytes(content);
  let length: number[];
  if (body.length < 0x80) length = [body.length];
  else {
    const bytes: number[] = [];
    for (let n = body.length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
    length = [0x80 | bytes.length, ...bytes];
  }
  return concatBytes([new Uint8Array([tag, ...length]), body]);
}

const sequence = (...items: Uint8Array[]): Uint8Array<ArrayBuffer> => tlv(0x30, ...items);
const set = (...items: Uint8Array[]) => tlv(0x31, ...items);
const octets = (bytes: Uint8Array) => tlv(0x04, bytes);
const bitString = (bytes: Uint8Array) => tlv(0x03, new Uint8Array([0]), bytes);
const utf8 = (text: string) => tlv(0x0c, new TextEncoder().encode(text));
const boolean = (value: boolean) => tlv(0x01, new Uint8Array([value ? 0xff : 0]));

/** A non-negative INTEGER from big-endian bytes (leading zeros dropped, a sign byte added). */
function integer(bytes: Uint8Array): Uint8Array {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const trimmed = bytes.subarray(start);
  return tlv(0x02, trimmed[0] & 0x80 ? concatBytes([new Uint8Array([0]), trimmed]) : trimmed);
}

function oid(dotted: string): Uint8Array {
  const [first, second, ...rest] = dotted.split(".").map(Number);
  const bytes = [first * 40 + second];
  for (const arc of rest) {
    const base128 = [arc & 0x7f];
    for (let n = Math.floor(arc / 128); n > 0; n = Math.floor(n / 128)) {
      base128.unshift(0x80 | (n & 0x7f));
    }
    bytes.push(...base128);
  }
  return tlv(0x06, new Uint8Array(bytes));
}

function time(date: Date): Uint8Array {
  const two = (n: number) => String(n).padStart(2, "0");
  const year = date.getUTCFullYear();
  const rest = `${two(date.getUTCMonth() + 1)}${two(date.getUTCDate())}${two(date.getUTCHours())}${
    two(date.getUTCMinutes())
  }${two(date.getUTCSeconds())}Z`;
  // UTCTime until 2049, GeneralizedTime after (RFC 5280 4.1.2.5).
  return year < 2050
    ? tlv(0x17, new TextEncoder().encode(`${two(year % 100)}${rest}`))
    : tlv(0x18, new TextEncoder().encode(`${year}${rest}`));
}

function name(rdns: [string, string][]): Uint8Array {
  return sequence(
    ...rdns.map(([key, value]) => set(sequence(oid(key === "CN" ? OID.CN : OID.O), utf8(value)))),
  );
}

function extension(id: string, critical: boolean, value: Uint8Array): Uint8Array {
  return sequence(oid(id), ...(critical ? [boolean(true)] : []), octets(value));
}

function ipBytes(text: string): Uint8Array | undefined {
  if (/^\d+\.\d+\.\d+\.\d+$/.test(text)) return new Uint8Array(text.split(".").map(Number));
  if (!text.includes(":")) return undefined;
  const [head, tail = ""] = text.split("::");
  const groups = (part: string) => part === "" ? [] : part.split(":").map((g) => parseInt(g, 16));
  const front = groups(head);
  const back = text.includes("::") ? groups(tail) : [];
  const all = [...front, ...new Array(8 - front.length - back.length).fill(0), ...back];
  return new Uint8Array(all.flatMap((group) => [group >> 8, group & 0xff]));
}

function extensions(spec: CertificateSpec): Uint8Array {
  // A CA's basic constraints are critical; a leaf's say only "not a CA" (the default, so empty).
  const list: Uint8Array[] = [
    spec.ca
      ? extension(OID.basicConstraints, true, sequence(boolean(true)))
      : extension(OID.basicConstraints, false, sequence()),
  ];
  // Bits from the first byte's top: keyCertSign (5) and cRLSign (6) for a CA, digitalSignature
  // (0) and keyEncipherment (2) for a leaf; the first content byte counts the unused low bits.
  if (spec.ca) list.push(extension(OID.keyUsage, true, tlv(0x03, new Uint8Array([1, 0x06]))));
  else if (spec.leafKeyUsage) {
    list.push(extension(OID.keyUsage, true, tlv(0x03, new Uint8Array([5, 0xa0]))));
  }
  if (spec.extendedKeyUsage?.length) {
    list.push(
      extension(OID.extKeyUsage, false, sequence(...spec.extendedKeyUsage.map((u) => oid(OID[u])))),
    );
  }
  if (spec.altNames?.length) {
    const names = spec.altNames.map((altName) => {
      const ip = ipBytes(altName);
      return ip ? tlv(0x87, ip) : tlv(0x82, new TextEncoder().encode(altName));
    });
    list.push(extension(OID.subjectAltName, false, sequence(...names)));
  }
  return tlv(0xa3, sequence(...list));
}

/** Web Crypto's raw ECDSA signature (r ‖ s) as the DER `Ecdsa-Sig-Value` X.509 carries. */
function ecdsaDer(raw: Uint8Array): Uint8Array {
  const half = raw.length / 2;
  return sequence(integer(raw.subarray(0, half)), integer(raw.subarray(half)));
}

function pem(label: string, der: Uint8Array): string {
  const base64 = btoa(String.fromCharCode(...der));
  return `-----BEGIN ${label}-----\n${
    base64.match(/.{1,64}/g)!.join("\n")
  }\n-----END ${label}-----\n`;
}

/**
 * A new P-256 (default) or RSA 2048 key pair.
 *
 * @example
 * ```ts ignore
 * const key = await generateKeyPair("ec");
 * ```
 */
export async function generateKeyPair(keyType: "ec" | "rsa" = "ec"): Promise<KeyPairPem> {
  const pair = keyType === "ec"
    ? await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
      "sign",
      "verify",
    ])
    : await crypto.subtle.generateKey(
      {
        name: "RSASSA-PKCS1-v1_5",
        modulusLength: 2048,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: "SHA-256",
      },
      true,
      ["sign", "verify"],
    );
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", pair.publicKey));
  return { keyPem: pem("PRIVATE KEY", pkcs8), privateKey: pair.privateKey, spki, keyType };
}

/**
 * A signed X.509 v3 certificate, in PEM.
 *
 * @example
 * ```ts ignore
 * const ca = await generateKeyPair();
 * const now = new Date();
 * const pem = await writeCertificate({
 *   subject: [["CN", "ca"]], issuer: [["CN", "ca"]], spki: ca.spki, signer: ca, ca: true,
 *   notBefore: now, notAfter: new Date(now.getTime() + 86_400_000),
 * });
 * ```
 */
export async function writeCertificate(spec: CertificateSpec): Promise<string> {
  const algorithm = spec.signer.keyType === "ec"
    ? sequence(oid(OID.ecdsaWithSha256))
    : sequence(oid(OID.sha256WithRsa), tlv(0x05));
  const serial = crypto.getRandomValues(new Uint8Array(16));
  serial[0] &= 0x7f;
  const tbs = sequence(
    tlv(0xa0, integer(new Uint8Array([2]))), // v3
    integer(serial),
    algorithm,
    name(spec.issuer),
    sequence(time(spec.notBefore), time(spec.notAfter)),
    name(spec.subject),
    spec.spki,
    extensions(spec),
  );
  const raw = new Uint8Array(
    await crypto.subtle.sign(
      spec.signer.keyType === "ec"
        ? { name: "ECDSA", hash: "SHA-256" }
        : { name: "RSASSA-PKCS1-v1_5" },
      spec.signer.privateKey,
      tbs,
    ),
  );
  const signature = spec.signer.keyType === "ec" ? ecdsaDer(raw) : raw;
  return pem("CERTIFICATE", sequence(tbs, algorithm, bitString(signature)));
}
