/**
 * Just enough X.509 for `kubexec doctor` to explain a certificate: subject, issuer, validity,
 * subject alternative names and whether it is a CA. Reads DER (RFC 5280) directly — no signature
 * checking here; trust decisions stay with the TLS engines.
 *
 * @module
 */
import { parseIp } from "../transport/ip.ts";

/** A certificate could not be read. */
export class CertificateParseError extends Error {
  /** The error name, `CertificateParseError`. */
  override name = "CertificateParseError";
  /** Builds the error; `detail` says which part of the encoding was wrong. */
  constructor(detail: string) {
    super(`cannot parse certificate: ${detail}`);
  }
}

/** A distinguished name, reduced to what messages need. */
export interface DistinguishedName {
  /** The common name (CN), when present. */
  commonName?: string;
  /** Organisations (O): Kubernetes reads them as groups of a client certificate. */
  organizations: string[];
  /** `CN=admin, O=system:masters`, in the order of the certificate. */
  text: string;
}

/** What doctor reports about one certificate. */
export interface CertificateInfo {
  /** Whom the certificate names. */
  subject: DistinguishedName;
  /** Who signed it. */
  issuer: DistinguishedName;
  /** Start of validity. */
  notBefore: Date;
  /** End of validity. */
  notAfter: Date;
  /** DNS names of the subjectAltName extension. */
  dnsNames: string[];
  /** IP addresses of the subjectAltName extension, in Go's notation (`10.0.0.1`, `::1`). */
  ipAddresses: string[];
  /** basicConstraints `cA: true`. */
  isCa: boolean;
}

interface Element {
  tag: number;
  /** Content bytes. */
  content: Uint8Array;
  /** Offset just after this element in the enclosing buffer. */
  end: number;
}

function readElement(bytes: Uint8Array, offset: number): Element {
  if (offset + 2 > bytes.length) throw new CertificateParseError("truncated element header");
  const tag = bytes[offset];
  let length = bytes[offset + 1];
  let start = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4 || start + count > bytes.length) {
      throw new CertificateParseError("unsupported length encoding");
    }
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[start + i];
    start += count;
  }
  if (start + length > bytes.length) {
    throw new CertificateParseError("element longer than its buffer");
  }
  return { tag, content: bytes.subarray(start, start + length), end: start + length };
}

function children(content: Uint8Array): Element[] {
  const out: Element[] = [];
  for (let offset = 0; offset < content.length;) {
    const element = readElement(content, offset);
    out.push(element);
    offset = element.end;
  }
  return out;
}

function expect(element: Element | undefined, tag: number, what: string): Element {
  if (!element || element.tag !== tag) throw new CertificateParseError(`expected ${what}`);
  return element;
}

function oid(content: Uint8Array): string {
  if (content.length === 0) return "";
  const parts = [Math.floor(content[0] / 40), content[0] % 40];
  let value = 0;
  for (let i = 1; i < content.length; i++) {
    value = value * 128 + (content[i] & 0x7f);
    if (!(content[i] & 0x80)) {
      parts.push(value);
      value = 0;
    }
  }
  return parts.join(".");
}

const NAME_ATTRIBUTES: Record<string, string> = {
  "2.5.4.3": "CN",
  "2.5.4.6": "C",
  "2.5.4.7": "L",
  "2.5.4.8": "ST",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
};

function decodeString(element: Element): string {
  // BMPString (0x1e) is UTF-16BE; the others used in names are ASCII-compatible or UTF-8.
  if (element.tag === 0x1e) {
    let text = "";
    for (let i = 0; i + 1 < element.content.length; i += 2) {
      text += String.fromCharCode(element.content[i] * 256 + element.content[i + 1]);
    }
    return text;
  }
  return new TextDecoder().decode(element.content);
}

function parseName(element: Element): DistinguishedName {
  const name: DistinguishedName = { organizations: [], text: "" };
  const parts: string[] = [];
  for (const set of children(element.content)) {
    for (const attribute of children(set.content)) {
      const [type, value] = children(attribute.content);
      const id = oid(expect(type, 0x06, "attribute type").content);
      if (!value) continue;
      const text = decodeString(value);
      const label = NAME_ATTRIBUTES[id] ?? id;
      parts.push(`${label}=${text}`);
      if (label === "CN" && name.commonName === undefined) name.commonName = text;
      if (label === "O") name.organizations.push(text);
    }
  }
  name.text = parts.join(", ");
  return name;
}

function parseTime(element: Element): Date {
  const text = new TextDecoder().decode(element.content);
  let match: RegExpExecArray | null;
  if (element.tag === 0x17) {
    match = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text);
    if (match) {
      const year = Number(match[1]);
      match[1] = String(year < 50 ? 2000 + year : 1900 + year);
    }
  } else if (element.tag === 0x18) {
    match = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  } else {
    throw new CertificateParseError("expected a time");
  }
  if (!match) throw new CertificateParseError(`unsupported time ${JSON.stringify(text)}`);
  const [, year, month, day, hour, minute, second] = match.map(Number);
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second));
}

function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return bytes.join(".");
  const groups: string[] = [];
  for (let i = 0; i + 1 < bytes.length; i += 2) {
    groups.push((bytes[i] * 256 + bytes[i + 1]).toString(16));
  }
  // Compress the longest run of zero groups, as Go (RFC 5952) prints IPv6 addresses.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < groups.length;) {
    if (groups[i] !== "0") {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === "0") j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  if (bestStart < 0) return groups.join(":");
  return `${groups.slice(0, bestStart).join(":")}::${
    groups.slice(bestStart + bestLength).join(":")
  }`;
}

/**
 * Reads a DER-encoded certificate.
 *
 * @example
 * ```ts ignore
 * import { parseCertificate, pemCertificates } from "./x509.ts";
 * const [der] = pemCertificates(await Deno.readTextFile("ca.crt"));
 * parseCertificate(der).subject.commonName; // "kubernetes"
 * ```
 */
export function parseCertificate(der: Uint8Array): CertificateInfo {
  const certificate = expect(readElement(der, 0), 0x30, "a certificate sequence");
  const tbs = expect(children(certificate.content)[0], 0x30, "tbsCertificate");
  const fields = children(tbs.content);
  let index = fields[0]?.tag === 0xa0 ? 1 : 0;
  index += 2; // serialNumber, signature algorithm
  const issuer = parseName(expect(fields[index++], 0x30, "issuer"));
  const [notBefore, notAfter] = children(expect(fields[index++], 0x30, "validity").content);
  if (!notBefore || !notAfter) throw new CertificateParseError("incomplete validity");
  const subject = parseName(expect(fields[index++], 0x30, "subject"));
  const info: CertificateInfo = {
    subject,
    issuer,
    notBefore: parseTime(notBefore),
    notAfter: parseTime(notAfter),
    dnsNames: [],
    ipAddresses: [],
    isCa: false,
  };
  const extensions = fields.slice(index + 1).find((field) => field.tag === 0xa3);
  if (!extensions) return info;
  const list = expect(children(extensions.content)[0], 0x30, "extensions");
  for (const extension of children(list.content)) {
    const parts = children(extension.content);
    const id = oid(expect(parts[0], 0x06, "extension id").content);
    const value = expect(parts[parts.length - 1], 0x04, "extension value").content;
    if (id === "2.5.29.17") {
      const names = expect(readElement(value, 0), 0x30, "subjectAltName");
      for (const name of children(names.content)) {
        if (name.tag === 0x82) info.dnsNames.push(new TextDecoder().decode(name.content));
        if (name.tag === 0x87) info.ipAddresses.push(formatIp(name.content));
      }
    } else if (id === "2.5.29.19") {
      const constraints = children(expect(readElement(value, 0), 0x30, "basicConstraints").content);
      info.isCa = constraints[0]?.tag === 0x01 && constraints[0].content[0] !== 0;
    }
  }
  return info;
}

/**
 * The DER bytes of every `CERTIFICATE` block in a PEM text, in order.
 *
 * @example
 * ```ts
 * import { pemCertificates } from "./x509.ts";
 * pemCertificates("no pem here").length; // 0
 * ```
 */
export function pemCertificates(pem: string): Uint8Array[] {
  const blocks = pem.matchAll(
    /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g,
  );
  const out: Uint8Array[] = [];
  for (const [, body] of blocks) {
    try {
      out.push(Uint8Array.fromBase64(body.replace(/\s+/g, "")));
    } catch {
      throw new CertificateParseError("invalid base64 in a PEM block");
    }
  }
  return out;
}

/**
 * Whether the certificate is valid for `name` by Go's rules: IP addresses match IP SANs only;
 * host names match DNS SANs exactly or through a leftmost `*.` wildcard covering one label; the
 * common name is not consulted.
 *
 * @example
 * ```ts
 * import { certificateMatchesName } from "./x509.ts";
 * const cert = { dnsNames: ["*.example.com"], ipAddresses: ["10.0.0.1"] };
 * certificateMatchesName(cert, "api.example.com"); // true
 * certificateMatchesName(cert, "10.0.0.1"); // true
 * certificateMatchesName(cert, "example.com"); // false
 * ```
 */
export function certificateMatchesName(
  certificate: Pick<CertificateInfo, "dnsNames" | "ipAddresses">,
  name: string,
): boolean {
  const ip = parseIp(name);
  if (ip) {
    const wanted = formatIp(ip);
    return certificate.ipAddresses.includes(wanted);
  }
  const host = name.toLowerCase().replace(/\.$/, "");
  return certificate.dnsNames.some((pattern) => {
    const lower = pattern.toLowerCase().replace(/\.$/, "");
    if (lower === host) return true;
    if (!lower.startsWith("*.")) return false;
    const dot = host.indexOf(".");
    return dot > 0 && host.slice(dot + 1) === lower.slice(2);
  });
}

/**
 * The names a certificate is valid for, as Go lists them in a mismatch error.
 *
 * @example
 * ```ts
 * import { certificateNames } from "./x509.ts";
 * certificateNames({ dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"] }); // "localhost, 127.0.0.1"
 * ```
 */
export function certificateNames(
  certificate: Pick<CertificateInfo, "dnsNames" | "ipAddresses">,
): string {
  return [...certificate.dnsNames, ...certificate.ipAddresses].join(", ");
}
