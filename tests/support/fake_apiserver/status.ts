/**
 * `metav1.Status` bodies written exactly like kube-apiserver: field order kind, apiVersion,
 * metadata, status, message, reason, details, code (Go marshals struct fields in declaration
 * order), details as name, group, kind, causes. Stream status (channel 3) omits kind/apiVersion.
 *
 * @module
 */

/** A cause inside `details.causes` (Go `StatusCause`, whose `Type` marshals as `reason`). */
export interface StatusCause {
  reason?: string;
  message?: string;
}

/** The fields of a `metav1.Status` the fake writes. */
export interface StatusFields {
  status: "Success" | "Failure";
  message?: string;
  reason?: string;
  details?: { name?: string; group?: string; kind?: string; causes?: StatusCause[] };
  code?: number;
}

/**
 * Serialises a Status; `withType` adds `kind`/`apiVersion` as HTTP error bodies carry them.
 *
 * @example
 * ```ts
 * import { statusJson } from "./status.ts";
 * statusJson({ status: "Success" }, false); // {"metadata":{},"status":"Success"}
 * ```
 */
export function statusJson(fields: StatusFields, withType: boolean): string {
  const out: Record<string, unknown> = {};
  if (withType) {
    out.kind = "Status";
    out.apiVersion = "v1";
  }
  out.metadata = {};
  out.status = fields.status;
  if (fields.message) out.message = fields.message;
  if (fields.reason) out.reason = fields.reason;
  if (fields.details) {
    const details: Record<string, unknown> = {};
    if (fields.details.name) details.name = fields.details.name;
    if (fields.details.group) details.group = fields.details.group;
    if (fields.details.kind) details.kind = fields.details.kind;
    if (fields.details.causes) {
      details.causes = fields.details.causes.map((cause) => {
        const c: Record<string, string> = {};
        if (cause.reason) c.reason = cause.reason;
        if (cause.message) c.message = cause.message;
        return c;
      });
    }
    out.details = details;
  }
  if (fields.code) out.code = fields.code;
  return JSON.stringify(out);
}

/** A resource as the API server names it in messages (`pods`, `deployments.apps`). */
export interface GroupResource {
  group: string;
  resource: string;
}

function qualified(resource: GroupResource): string {
  return resource.group ? `${resource.resource}.${resource.group}` : resource.resource;
}

/**
 * The 404 Status for a missing object (`pods "nope" not found`).
 *
 * @example
 * ```ts
 * import { notFound } from "./status.ts";
 * notFound({ group: "", resource: "pods" }, "nope").message; // pods "nope" not found
 * ```
 */
export function notFound(resource: GroupResource, name: string): StatusFields {
  return {
    status: "Failure",
    message: `${qualified(resource)} ${JSON.stringify(name)} not found`,
    reason: "NotFound",
    details: { name, group: resource.group, kind: resource.resource },
    code: 404,
  };
}

/**
 * The 403 Status of an authorization denial (apiserver `responsewriters.Forbidden`).
 *
 * @example
 * ```ts
 * import { forbidden } from "./status.ts";
 * forbidden({ group: "", resource: "pods" }, "web-0", 'User "a" cannot get resource ...');
 * ```
 */
export function forbidden(resource: GroupResource, name: string, why: string): StatusFields {
  return {
    status: "Failure",
    message: name
      ? `${qualified(resource)} ${JSON.stringify(name)} is forbidden: ${why}`
      : `${qualified(resource)} is forbidden: ${why}`,
    reason: "Forbidden",
    details: { name, group: resource.group, kind: resource.resource },
    code: 403,
  };
}

/**
 * A 400 BadRequest Status with the given message.
 *
 * @example
 * ```ts
 * import { badRequest } from "./status.ts";
 * badRequest("Upgrade request required").code; // 400
 * ```
 */
export function badRequest(message: string): StatusFields {
  return { status: "Failure", message, reason: "BadRequest", code: 400 };
}

/** The 401 Status kube-apiserver writes for missing or bad credentials. */
export const UNAUTHORIZED: StatusFields = {
  status: "Failure",
  message: "Unauthorized",
  reason: "Unauthorized",
  code: 401,
};

/**
 * An InternalError Status (`apierrors.NewInternalError`): message prefixed with
 * "Internal error occurred: ", the raw error as the only cause.
 *
 * @example
 * ```ts
 * import { internalError } from "./status.ts";
 * internalError("boom").message; // Internal error occurred: boom
 * ```
 */
export function internalError(error: string): StatusFields {
  return {
    status: "Failure",
    message: `Internal error occurred: ${error}`,
    reason: "InternalError",
    details: { causes: [{ message: error }] },
    code: 500,
  };
}

/**
 * The stream status of a command that exited non-zero. `message` differs between the v5
 * translator and the CRI server behind v4, so the caller passes the error text.
 *
 * @example
 * ```ts
 * import { nonZeroExit } from "./status.ts";
 * nonZeroExit(3, "command terminated with exit code 3");
 * ```
 */
export function nonZeroExit(code: number, errorText: string): StatusFields {
  return {
    status: "Failure",
    message: `command terminated with non-zero exit code: ${errorText}`,
    reason: "NonZeroExitCode",
    details: { causes: [{ reason: "ExitCode", message: String(code) }] },
  };
}
