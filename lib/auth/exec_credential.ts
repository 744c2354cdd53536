/**
 * Reads and validates the `ExecCredential` an exec credential plugin prints on stdout, with
 * client-go's checks and wording (`plugin/pkg/client/auth/exec/exec.go`). The output is never
 * quoted in an error: it normally holds a token or a private key.
 *
 * Only JSON output is accepted; client-go also decodes YAML, which no known plugin prints.
 *
 * @module
 */
import { ExecCredentialFormatError } from "./errors.ts";
import type { ClientCertificate } from "./types.ts";

/** What a plugin run yielded. */
export interface ExecCredentialResult {
  /** Bearer token, when the plugin returned one. */
  token?: string;
  /** Client certificate and key (PEM), when the plugin returned them. */
  clientCert?: ClientCertificate;
  /** `status.expirationTimestamp` in milliseconds since the epoch; absent means no expiry. */
  expiresAt?: number;
}

/** The version client-go reports for output without `apiVersion`. */
const INTERNAL_VERSION = "client.authentication.k8s.io/__internal";
const VERSION_KIND_ERROR = "decoding stdout: couldn't get version/kind; json parse error: ";
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const CERTIFICATE_PEM = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;
const PRIVATE_KEY_PEM =
  /-----BEGIN ((RSA|EC) )?PRIVATE KEY-----[\s\S]+?-----END ((RSA|EC) )?PRIVATE KEY-----/;

function optionalString(
  command: string,
  status: Record<string, unknown>,
  field: string,
): string {
  const value = status[field];
  if (value === undefined || value === null) return "";
  if (typeof value !== "string") {
    throw new ExecCredentialFormatError(
      command,
      `decoding stdout: status.${field} must be a string`,
    );
  }
  return value;
}

function parseExpiry(command: string, status: Record<string, unknown>): number | undefined {
  const value = status.expirationTimestamp;
  if (value === undefined || value === null || value === "") return undefined;
  const time = typeof value === "string" && RFC3339.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(time)) {
    throw new ExecCredentialFormatError(
      command,
      "decoding stdout: status.expirationTimestamp is not an RFC 3339 time",
    );
  }
  return time;
}

/**
 * Parses a plugin's stdout. `apiVersion` is the version the plugin was configured with; the output
 * must use the same one. Throws {@linkcode ExecCredentialFormatError} on anything unusable.
 *
 * @example
 * ```ts
 * import { parseExecCredential } from "./exec_credential.ts";
 * const result = parseExecCredential(
 *   '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"t"}}',
 *   "client.authentication.k8s.io/v1",
 *   "my-plugin",
 * );
 * result.token; // "t"
 * ```
 */
export function parseExecCredential(
  output: string,
  apiVersion: string,
  command: string,
): ExecCredentialResult {
  const fail = (problem: string): never => {
    throw new ExecCredentialFormatError(command, problem);
  };
  const returnedVersion = (version: string) =>
    `exec plugin is configured to use API version ${apiVersion}, plugin returned version ${version}`;
  // client-go decodes empty output to an object without apiVersion and names the version it
  // assumed then; kubectl users know this text.
  if (output.trim() === "") fail(returnedVersion(INTERNAL_VERSION));
  let parsed: unknown;
  try {
    parsed = JSON.parse(output);
  } catch {
    fail(`${VERSION_KIND_ERROR}output is not valid JSON`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    fail(`${VERSION_KIND_ERROR}output is not a JSON object`);
  }
  const object = parsed as Record<string, unknown>;
  if (object.apiVersion !== undefined && typeof object.apiVersion !== "string") {
    fail(`${VERSION_KIND_ERROR}apiVersion must be a string`);
  }
  if (object.kind !== undefined && typeof object.kind !== "string") {
    fail(`${VERSION_KIND_ERROR}kind must be a string`);
  }
  if (!object.apiVersion) fail(returnedVersion(INTERNAL_VERSION));
  if (object.apiVersion !== apiVersion) fail(returnedVersion(object.apiVersion as string));
  // A missing kind is accepted, as client-go's decoder defaults it from the target type.
  if (object.kind && object.kind !== "ExecCredential") {
    fail(
      `decoding stdout: no kind ${JSON.stringify(object.kind)} is registered for version ` +
        JSON.stringify(apiVersion),
    );
  }
  const status = object.status;
  if (status === undefined || status === null) fail("exec plugin didn't return a status field");
  if (typeof status !== "object" || Array.isArray(status)) {
    fail("decoding stdout: status must be an object");
  }
  const fields = status as Record<string, unknown>;
  const token = optionalString(command, fields, "token");
  const certPem = optionalString(command, fields, "clientCertificateData");
  const keyPem = optionalString(command, fields, "clientKeyData");
  const expiresAt = parseExpiry(command, fields);

  if (token === "" && certPem === "" && keyPem === "") {
    fail("exec plugin didn't return a token or cert/key pair");
  }
  if ((certPem === "") !== (keyPem === "")) {
    fail("exec plugin returned only certificate or key, not both");
  }
  const result: ExecCredentialResult = {};
  if (token !== "") result.token = token;
  if (certPem !== "") {
    if (!CERTIFICATE_PEM.test(certPem)) {
      fail("failed parsing client key/certificate: no PEM certificate in clientCertificateData");
    }
    if (!PRIVATE_KEY_PEM.test(keyPem)) {
      fail("failed parsing client key/certificate: no PEM private key in clientKeyData");
    }
    result.clientCert = { certPem, keyPem };
  }
  if (expiresAt !== undefined) result.expiresAt = expiresAt;
  return result;
}
