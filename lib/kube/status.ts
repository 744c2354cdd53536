/**
 * `metav1.Status` errors from the API server, decoded from response bodies and rendered the way
 * kubectl's `StandardErrorMessage` does, with a `hint` for the common causes.
 *
 * @module
 */
import type { ApiResponse } from "../transport/types.ts";

/** The fields of `metav1.Status` kubexec reads. */
export interface Status {
  kind?: string;
  apiVersion?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: {
    name?: string;
    kind?: string;
    group?: string;
    causes?: { reason?: string; message?: string; field?: string }[];
  };
}

const BODY_PREVIEW = 200;

function hintFor(status: Status, path: string): string | undefined {
  const code = status.code ?? 0;
  if (code === 403 && /pods\/(exec|attach|portforward)/.test(status.message ?? "")) {
    const sub = /pods\/(exec|attach|portforward)/.exec(status.message ?? "")![1];
    const verb = /cannot (\w+) resource/.exec(status.message ?? "")?.[1] ?? "get";
    return `WebSocket ${sub} needs both "get" and "create" on pods/${sub} (RBAC; "create" is checked from Kubernetes 1.35, and a role with only "create" is enough for kubectl, which falls back to SPDY); ask an admin or check: kubectl auth can-i ${verb} pods/${sub}`;
  }
  if (code === 403 && path.includes("/pods")) {
    return `your user lacks RBAC permission for this request; check: kubectl auth can-i get pods`;
  }
  if (code === 400 && status.message === "Upgrade request required") {
    return "a proxy or load balancer between you and the API server dropped the Upgrade/Connection headers; allow WebSocket upgrades there or connect directly";
  }
  if (code === 401) {
    return "the server rejected your credentials: check the token, client certificate or exec plugin of your kubeconfig user";
  }
  return undefined;
}

/** An API request answered with a failure `Status` (or a non-Status error body). */
export class StatusError extends Error {
  /** HTTP status code. */
  readonly code: number;
  /** The decoded Status (synthesised when the body was not one). */
  readonly status: Status;
  /** The first line kubectl would print. */
  readonly userMessage: string;
  /** The likely cause and fix, when known. */
  readonly hint?: string;

  /**
   * @param status the Status (code, reason, message)
   * @param path the request path, for hints
   * @param hint an explicit hint overriding the derived one
   */
  constructor(status: Status, path = "", hint?: string) {
    const message = status.message ?? "unknown";
    super(message);
    this.name = "StatusError";
    this.code = status.code ?? 0;
    this.status = status;
    if (status.reason === "Unauthorized") {
      this.userMessage = `error: You must be logged in to the server (${message})`;
    } else if (status.reason) {
      this.userMessage = `Error from server (${status.reason}): ${message}`;
    } else {
      this.userMessage = `Error from server: ${message}`;
    }
    this.hint = hint ?? hintFor(status, path);
  }
}

const REASON_BY_CODE: Record<number, string> = {
  400: "BadRequest",
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  405: "MethodNotAllowed",
  409: "Conflict",
  429: "TooManyRequests",
  500: "InternalError",
  503: "ServiceUnavailable",
  504: "Timeout",
};

/**
 * Builds a {@linkcode StatusError} from a failed response: the JSON Status body when there is one,
 * otherwise a synthetic Status like client-go's (`the server could not find the requested
 * resource`), with a hint when the body is HTML (not an API server).
 *
 * @example
 * ```ts
 * import { statusErrorFromResponse } from "./status.ts";
 * const body = new TextEncoder().encode('{"kind":"Status","message":"pods \\"x\\" not found","reason":"NotFound","code":404}');
 * const error = statusErrorFromResponse({ status: 404, statusText: "Not Found", headers: new Headers(), body }, "/api/v1/namespaces/d/pods/x");
 * error.userMessage; // 'Error from server (NotFound): pods "x" not found'
 * ```
 */
export function statusErrorFromResponse(response: ApiResponse, path: string): StatusError {
  const text = new TextDecoder().decode(response.body);
  try {
    const parsed = JSON.parse(text) as Status;
    if (parsed && parsed.kind === "Status") {
      return new StatusError({ ...parsed, code: parsed.code ?? response.status }, path);
    }
  } catch {
    // Not JSON: fall through to a synthetic Status.
  }
  const code = response.status;
  const contentType = response.headers.get("content-type") ?? "";
  const isHtml = contentType.includes("html") || /^\s*<(!doctype|html)/i.test(text);
  let message: string;
  if (isHtml) {
    const title = /<title[^>]*>([^<]*)<\/title>/i.exec(text)?.[1]?.trim();
    message = `the server answered HTTP ${
      [code, response.statusText].filter(Boolean).join(" ")
    } with an HTML page${
      title ? ` ("${title.slice(0, BODY_PREVIEW)}")` : ""
    } instead of a Kubernetes API response`;
  } else if (code === 404) {
    message = "the server could not find the requested resource";
  } else if (code === 401) {
    message = "Unauthorized";
  } else {
    const preview = text.trim().slice(0, BODY_PREVIEW);
    message = preview
      ? `an error on the server ("${preview}") has prevented the request from succeeding`
      : `the server responded with the status code ${code} but did not return more information`;
  }
  const hint = isHtml
    ? "an HTML page usually comes from a web server, SSO portal or proxy rather than a Kubernetes API server: check the server URL of your kubeconfig and any proxy in between"
    : undefined;
  return new StatusError(
    { code, reason: isHtml ? undefined : REASON_BY_CODE[code], message },
    path,
    hint,
  );
}
