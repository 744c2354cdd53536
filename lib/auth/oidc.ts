/**
 * The `oidc` auth-provider (`users[].user.auth-provider.name: oidc`), which client-go still ships
 * (`plugin/pkg/client/auth/oidc/oidc.go`): the `id-token` is sent as the bearer token while it is
 * valid for 10 more seconds; otherwise the `refresh-token` is exchanged at the token endpoint named
 * by the issuer's `/.well-known/openid-configuration`, and the new `id-token` (and `refresh-token`,
 * when the issuer rotated it) is written back through `persist` before use.
 *
 * Config keys: `idp-issuer-url`, `client-id` (both required), `client-secret`,
 * `idp-certificate-authority` (file) or `idp-certificate-authority-data` (base64 PEM) to trust for
 * TLS to the issuer, `id-token`, `refresh-token`; `extra-scopes` is ignored as in client-go.
 *
 * Client authentication at the token endpoint follows golang.org/x/oauth2's auto-detection: HTTP
 * basic first, then the client credentials in the form body when the first attempt is refused.
 *
 * @module
 */
import type { Logger } from "../log.ts";
import { silentLogger } from "../log.ts";
import { OidcError } from "./errors.ts";
import { InvalidJwtError, jwtExpiry } from "./jwt.ts";
import type { CredentialProvider } from "./types.ts";

/** Options of {@linkcode oidcProvider}. */
export interface OidcOptions {
  /** Writes the changed config back to the kubeconfig file; without it the change is kept in memory. */
  persist?: (config: Record<string, string>) => Promise<void>;
  /** Clock in milliseconds since the epoch, for the id-token's `exp`; defaults to `Date.now`. */
  now?: () => number;
  logger?: Logger;
  /** Reads `idp-certificate-authority`; defaults to `Deno.readTextFile`. */
  readTextFile?: (path: string) => Promise<string>;
}

/** client-go treats an id-token as expired this long before its `exp`. */
export const ID_TOKEN_EXPIRY_DELTA_MS = 10_000;
const MAX_RESPONSE_BYTES = 1024 * 1024;

const CONFIG_SECRET_KEYS = ["id-token", "refresh-token", "client-secret"];

/** Reads a response body, refusing more than {@linkcode MAX_RESPONSE_BYTES}. */
async function readBody(response: Response): Promise<string> {
  if (response.body === null) return "";
  const chunks: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of response.body) {
    length += chunk.length;
    if (length > MAX_RESPONSE_BYTES) {
      throw new OidcError(
        `oidc: response from ${response.url} exceeds ${MAX_RESPONSE_BYTES} bytes`,
      );
    }
    chunks.push(chunk);
  }
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return new TextDecoder().decode(bytes);
}

/** The most specific message of an error chain: `fetch failed` hides the TLS or socket cause. */
function innermostMessage(error: unknown): string {
  let message = error instanceof Error ? error.message : String(error);
  let cause = error instanceof Error ? error.cause : undefined;
  while (cause instanceof Error) {
    message = cause.message;
    cause = cause.cause;
  }
  return message;
}

/** Go's `http.Response.Status` text, e.g. `404 Not Found`. */
function statusLine(response: Response): string {
  return response.statusText ? `${response.status} ${response.statusText}` : `${response.status}`;
}

/** `application/x-www-form-urlencoded` encoding as Go's `url.QueryEscape` does it. */
function queryEscape(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (character) => {
    return `%${character.charCodeAt(0).toString(16).toUpperCase()}`;
  }).replaceAll("%20", "+");
}

function decodeCaData(data: string): string {
  try {
    const binary = atob(data.replace(/\s+/g, ""));
    return new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
  } catch {
    throw new OidcError("illegal base64 data in idp-certificate-authority-data");
  }
}

interface TokenResponse {
  idToken: string;
  refreshToken?: string;
}

/**
 * Creates the oidc provider. Throws {@linkcode OidcError} at once when `idp-issuer-url` or
 * `client-id` is missing, with client-go's texts.
 *
 * @example
 * ```ts
 * import { oidcProvider } from "./oidc.ts";
 * const provider = oidcProvider({
 *   "idp-issuer-url": "https://issuer.example",
 *   "client-id": "kubernetes",
 *   "id-token": "header.payload.signature",
 * });
 * provider.description; // "oidc auth-provider https://issuer.example"
 * ```
 */
export function oidcProvider(
  initialConfig: Record<string, string>,
  options: OidcOptions = {},
): CredentialProvider {
  const issuer = initialConfig["idp-issuer-url"] ?? "";
  if (issuer === "") throw new OidcError("Must provide idp-issuer-url");
  if ((initialConfig["client-id"] ?? "") === "") throw new OidcError("Must provide client-id");
  const now = options.now ?? Date.now;
  const logger = options.logger ?? silentLogger;
  const readTextFile = options.readTextFile ?? Deno.readTextFile;
  if (initialConfig["extra-scopes"]) {
    logger(
      2,
      () => "extra-scopes auth provider field depricated, refresh request don't send scopes",
    );
  }

  let config = { ...initialConfig };
  let rejectedIdToken: string | undefined;
  let running: Promise<string> | undefined;

  /**
   * Removes every secret of the current config from a text that may echo one. Secrets shorter
   * than 4 characters are left alone: masking them would garble the text and protect nothing.
   */
  function redact(text: string): string {
    let result = text;
    for (const key of CONFIG_SECRET_KEYS) {
      const secret = config[key];
      if (secret && secret.length >= 4) result = result.replaceAll(secret, "<masked>");
    }
    return result;
  }

  async function httpClient(): Promise<Deno.HttpClient | undefined> {
    let caPem: string | undefined;
    if (config["idp-certificate-authority-data"]) {
      caPem = decodeCaData(config["idp-certificate-authority-data"]);
    } else if (config["idp-certificate-authority"]) {
      const path = config["idp-certificate-authority"];
      try {
        caPem = await readTextFile(path);
      } catch (error) {
        throw new OidcError(
          `oidc: reading idp-certificate-authority ${JSON.stringify(path)}: ${
            (error as Error).message
          }`,
        );
      }
    }
    return caPem === undefined ? undefined : Deno.createHttpClient({ caCerts: [caPem] });
  }

  async function send(
    client: Deno.HttpClient | undefined,
    method: string,
    url: string,
    init: RequestInit,
  ): Promise<Response> {
    try {
      return await fetch(url, { ...init, method, ...(client ? { client } : {}) });
    } catch (error) {
      const verb = method === "GET" ? "Get" : "Post";
      throw new OidcError(`${verb} ${JSON.stringify(url)}: ${redact(innermostMessage(error))}`, {
        cause: error,
      });
    }
  }

  async function tokenEndpoint(client: Deno.HttpClient | undefined): Promise<string> {
    const wellKnown = `${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`;
    const response = await send(client, "GET", wellKnown, {});
    const body = await readBody(response);
    if (response.status !== 200) {
      const shown = body.length > 80 ? `${body.slice(0, 80)}...` : body;
      throw new OidcError(
        `oidc: failed to query metadata endpoint ${statusLine(response)}: ${JSON.stringify(shown)}`,
      );
    }
    let metadata: unknown;
    try {
      metadata = JSON.parse(body);
    } catch {
      throw new OidcError("oidc: failed to decode provider discovery object: invalid JSON");
    }
    const endpoint = metadata !== null && typeof metadata === "object"
      ? (metadata as Record<string, unknown>).token_endpoint
      : undefined;
    if (typeof endpoint !== "string" || endpoint === "") {
      throw new OidcError("oidc: discovery object doesn't contain a token_endpoint");
    }
    return endpoint;
  }

  function parseTokenResponse(response: Response, body: string): Record<string, unknown> {
    const type = (response.headers.get("content-type") ?? "").split(";")[0].trim();
    if (type === "application/x-www-form-urlencoded" || type === "text/plain") {
      return Object.fromEntries(new URLSearchParams(body));
    }
    try {
      const parsed = JSON.parse(body);
      if (parsed !== null && typeof parsed === "object") return parsed as Record<string, unknown>;
    } catch {
      // Reported below without echoing the body, which would hold tokens.
    }
    throw new OidcError("failed to refresh token: oauth2: cannot parse json");
  }

  /** One token request with the client credentials in a header or in the body. */
  async function requestToken(
    client: Deno.HttpClient | undefined,
    endpoint: string,
    refreshToken: string,
    credentialsInBody: boolean,
  ): Promise<TokenResponse> {
    const clientId = config["client-id"];
    const clientSecret = config["client-secret"] ?? "";
    const form = new URLSearchParams({ grant_type: "refresh_token", refresh_token: refreshToken });
    const headers: Record<string, string> = {
      "Content-Type": "application/x-www-form-urlencoded",
    };
    if (credentialsInBody) {
      form.set("client_id", clientId);
      if (clientSecret !== "") form.set("client_secret", clientSecret);
    } else {
      headers.Authorization = `Basic ${
        btoa(`${queryEscape(clientId)}:${queryEscape(clientSecret)}`)
      }`;
    }
    const response = await send(client, "POST", endpoint, { headers, body: form.toString() });
    const body = await readBody(response);
    if (response.status < 200 || response.status > 299) {
      let reason = `cannot fetch token: ${statusLine(response)}`;
      try {
        const error = JSON.parse(body) as Record<string, unknown>;
        if (typeof error.error === "string") {
          reason = JSON.stringify(error.error);
          if (typeof error.error_description === "string") {
            reason += ` ${JSON.stringify(error.error_description)}`;
          }
        }
      } catch {
        // A non-JSON error body is not shown: it could echo the request.
      }
      throw new OidcError(`failed to refresh token: oauth2: ${redact(reason)}`);
    }
    const fields = parseTokenResponse(response, body);
    if (typeof fields.access_token !== "string" || fields.access_token === "") {
      throw new OidcError("failed to refresh token: oauth2: server response missing access_token");
    }
    if (typeof fields.id_token !== "string" || fields.id_token === "") {
      throw new OidcError(
        'token response did not contain an id_token, either the scope "openid" wasn\'t requested ' +
          "upon login, or the provider doesn't support id_tokens as part of the refresh response",
      );
    }
    const result: TokenResponse = { idToken: fields.id_token };
    if (typeof fields.refresh_token === "string" && fields.refresh_token !== "") {
      result.refreshToken = fields.refresh_token;
    }
    return result;
  }

  async function refresh(): Promise<string> {
    const refreshToken = config["refresh-token"] ?? "";
    if (refreshToken === "") {
      throw new OidcError("No valid id-token, and cannot refresh without refresh-token");
    }
    const client = await httpClient();
    let tokens: TokenResponse;
    try {
      const endpoint = await tokenEndpoint(client);
      logger(4, () => `oidc: refreshing the id-token at ${endpoint}`);
      try {
        tokens = await requestToken(client, endpoint, refreshToken, false);
      } catch (error) {
        if (!(error instanceof OidcError)) throw error;
        logger(6, () => `oidc: token request with basic auth failed, retrying with form fields`);
        tokens = await requestToken(client, endpoint, refreshToken, true);
      }
    } finally {
      client?.close();
    }
    const updated: Record<string, string> = { ...config, "id-token": tokens.idToken };
    if (tokens.refreshToken !== undefined && tokens.refreshToken !== refreshToken) {
      updated["refresh-token"] = tokens.refreshToken;
    }
    if (options.persist) {
      try {
        await options.persist({ ...updated });
      } catch (error) {
        throw new OidcError(`could not persist new tokens: ${redact((error as Error).message)}`, {
          cause: error,
        });
      }
    }
    config = updated;
    return tokens.idToken;
  }

  function validIdToken(): string | undefined {
    const idToken = config["id-token"] ?? "";
    if (idToken === "" || idToken === rejectedIdToken) return undefined;
    let expiresAt: number;
    try {
      expiresAt = jwtExpiry(idToken);
    } catch (error) {
      throw new OidcError(
        error instanceof InvalidJwtError ? error.problem : "ID Token is not a valid JWT",
      );
    }
    return now() + ID_TOKEN_EXPIRY_DELTA_MS < expiresAt ? idToken : undefined;
  }

  async function idToken(): Promise<string> {
    const valid = validIdToken();
    if (valid !== undefined) return valid;
    running ??= refresh().finally(() => {
      running = undefined;
    });
    return await running;
  }

  return {
    description: `oidc auth-provider ${issuer}`,
    async get() {
      return { headers: [["Authorization", `Bearer ${await idToken()}`]] };
    },
    invalidate() {
      const current = config["id-token"] ?? "";
      if (running !== undefined) return Promise.resolve(true);
      if (current === "" || current === rejectedIdToken || !config["refresh-token"]) {
        return Promise.resolve(false);
      }
      rejectedIdToken = current;
      logger(4, () => "oidc: id-token rejected, it will be refreshed");
      return Promise.resolve(true);
    },
  };
}
