/**
 * The API checks of `kubexec doctor`: who the server thinks you are (SelfSubjectReview), what you
 * may do with pods' streaming subresources (SelfSubjectAccessReview), and which WebSocket
 * subprotocols the server accepts for exec on a real pod.
 *
 * @module
 */
import type { ApiClient, ApiResponse } from "../transport/types.ts";
import { UpgradeError } from "../transport/errors.ts";
import { StatusError, statusErrorFromResponse } from "../kube/status.ts";
import { pathSegment, type Pod } from "../kube/pods.ts";
import { resolvePod } from "../kube/target.ts";
import { chooseContainer } from "../kube/containers.ts";
import { type StepResult, stepResult } from "./types.ts";

/** Who the server says the credentials belong to. */
export interface Identity {
  /** The user name (`system:serviceaccount:ns:name` for service accounts). */
  username: string;
  /** The groups, `system:authenticated` included. */
  groups: string[];
}

/** How the credentials were obtained, to word the advice after a 401. */
export type CredentialKind =
  | "token"
  | "token-file"
  | "basic"
  | "client-certificate"
  | "exec-plugin"
  | "auth-provider"
  | "plain-http"
  | "none";

const ADVICE_FOR_401: Record<CredentialKind, { cause: string; fix: string }> = {
  "token": {
    cause: "the bearer token is expired, revoked or for another cluster",
    fix: "get a fresh token for this cluster",
  },
  "token-file": {
    cause: "the token in the tokenFile is expired or for another cluster",
    fix: "refresh the file's token",
  },
  "basic": {
    cause: "the user name or password is wrong, or the cluster disables basic authentication",
    fix: "check them, or use a token or client certificate",
  },
  "client-certificate": {
    cause: "the client certificate is expired or not issued by a CA this cluster trusts",
    fix: "get a new certificate for this cluster",
  },
  "exec-plugin": {
    cause: "the credential plugin's token was rejected, even after running the plugin again",
    fix: "log in with the plugin's own tool (aws sso login, gcloud auth login, az login, …)",
  },
  "auth-provider": {
    cause: "the auth-provider's token was rejected",
    fix: "log in again to refresh it",
  },
  "plain-http": {
    cause: "credentials are only sent to https:// servers, and this server URL is http://",
    fix: "use the API server's https:// URL",
  },
  "none": {
    cause: "the kubeconfig user has no credentials and the server refuses anonymous requests",
    fix: "add a token, client certificate or exec plugin to the kubeconfig user",
  },
};

const encoder = new TextEncoder();

function postJson(client: ApiClient, path: string, body: unknown): Promise<ApiResponse> {
  return client.request({
    method: "POST",
    path,
    headers: [["Content-Type", "application/json"], ["Accept", "application/json"]],
    body: encoder.encode(JSON.stringify(body)),
  });
}

/** The body as JSON, or `undefined` when it is not JSON (an HTML page, plain text). */
function decode<T>(response: ApiResponse): T | undefined {
  try {
    return JSON.parse(new TextDecoder().decode(response.body)) as T;
  } catch {
    return undefined;
  }
}

/** A short description of what a response carried, for messages (`text/html`, `no body`). */
function bodyKind(response: ApiResponse): string {
  if (response.body.length === 0) return "no body";
  return response.headers.get("content-type")?.split(";")[0].trim() || "a body of unknown type";
}

/**
 * Whether the server answers like a Kubernetes API server: `GET /version` gives the JSON with
 * `gitVersion` that every API server serves (to anyone, `system:public-info-viewer`). An ingress,
 * a web UI or a login portal on the same address does not.
 */
async function speaksKubernetes(client: ApiClient): Promise<{ yes: boolean; seen: string }> {
  try {
    const response = await client.request({
      path: "/version",
      headers: [["Accept", "application/json"]],
    });
    const version = decode<{ gitVersion?: unknown }>(response);
    if (typeof version?.gitVersion === "string") return { yes: true, seen: version.gitVersion };
    return { yes: false, seen: `${response.status} with ${bodyKind(response)}` };
  } catch (error) {
    return { yes: false, seen: (error as Error).message };
  }
}

function notKubernetes(path: string, answer: ApiResponse, seen: string): StepResult {
  return stepResult(
    "authentication",
    "fail",
    `the server does not answer like a Kubernetes API server (${answer.status} with ${
      bodyKind(answer)
    } for ${path}; GET /version: ${seen})`,
    {
      cause:
        "the server URL reaches another service: an ingress, a web UI or a login portal, or the wrong port",
      fix: "use the API server's own URL (from a working kubeconfig, or your cluster's console)",
    },
  );
}

/**
 * Asks the server who the credentials belong to (`POST selfsubjectreviews`, v1 then v1beta1).
 *
 * @example
 * ```ts ignore
 * import { checkAuthentication } from "./api_checks.ts";
 * const { result, identity } = await checkAuthentication(client, "token");
 * ```
 */
export async function checkAuthentication(
  client: ApiClient,
  kind: CredentialKind,
  impersonating?: string,
): Promise<{ result: StepResult; identity?: Identity }> {
  const via = impersonating ? ` (impersonating ${impersonating})` : "";
  let response: ApiResponse | undefined;
  let path = "";
  try {
    for (const version of ["v1", "v1beta1"]) {
      path = `/apis/authentication.k8s.io/${version}/selfsubjectreviews`;
      response = await postJson(client, path, {
        apiVersion: `authentication.k8s.io/${version}`,
        kind: "SelfSubjectReview",
      });
      if (response.status !== 404) break;
    }
  } catch (error) {
    // Plain HTTP to a TLS port: the server drops the request it cannot read as a handshake.
    const plainToTls = client.server.protocol === "http:" &&
      /closed the connection|reset|EOF/i.test((error as Error).message);
    return {
      result: stepResult("authentication", "fail", `request failed: ${(error as Error).message}`, {
        cause: plainToTls
          ? "the server URL is http://, and the port may expect TLS: it hung up on plain HTTP"
          : "the connection failed after the earlier checks passed",
        fix: plainToTls
          ? "try the same URL with https://"
          : "run again with -v=6 to see the request",
      }),
    };
  }
  const answer = response!;
  if (answer.status === 200 || answer.status === 201) {
    const review = decode<
      { kind?: unknown; status?: { userInfo?: { username?: string; groups?: string[] } } }
    >(answer);
    if (review?.kind !== "SelfSubjectReview") {
      return { result: notKubernetes(path, answer, (await speaksKubernetes(client)).seen) };
    }
    const info = review.status?.userInfo ?? {};
    const identity = { username: info.username ?? "", groups: info.groups ?? [] };
    const groups = identity.groups.length > 0 ? `, groups ${identity.groups.join(", ")}` : "";
    return {
      result: stepResult(
        "authentication",
        "ok",
        `authenticated as "${identity.username}"${groups}${via}`,
      ),
      identity,
    };
  }
  if (answer.status === 401) {
    return {
      result: stepResult(
        "authentication",
        "fail",
        "401 Unauthorized: the server rejected the credentials",
        {
          ...ADVICE_FOR_401[kind],
        },
      ),
    };
  }
  const error = statusErrorFromResponse(answer, path);
  if (answer.status === 403 && impersonating && /impersonate/i.test(error.message)) {
    return {
      result: stepResult("authentication", "fail", `403 Forbidden: ${error.message}`, {
        cause: `your own user may not impersonate ${impersonating}`,
        fix: "drop --as/--as-group, or ask for the impersonate verb on that user or group",
      }),
    };
  }
  if (answer.status === 403 || answer.status === 404) {
    // An API server answers these with a Status (or, for a missing group, plain text) and serves
    // /version; anything else at this address is not one.
    const api = await speaksKubernetes(client);
    if (!api.yes) return { result: notKubernetes(path, answer, api.seen) };
    return {
      result: stepResult(
        "authentication",
        "warn",
        `the credentials were accepted, but the server does not say whose they are (${answer.status} on SelfSubjectReview)${via}`,
        {
          cause: answer.status === 404
            ? "the API server is older than 1.27 or has SelfSubjectReview disabled"
            : "your user may not create SelfSubjectReviews",
          fix: "nothing needed for exec; the name only helps reading RBAC denials",
        },
      ),
    };
  }
  return {
    result: stepResult("authentication", "fail", `${answer.status}: ${error.message}`, {
      cause: "the API server answered with an unexpected error",
      fix: error.hint ?? "run again with -v=8 to see the response",
    }),
  };
}

/** The streaming subresources doctor checks, and what each is for. */
export const STREAMING_SUBRESOURCES = ["exec", "attach", "portforward"] as const;

const VERBS = ["get", "create"] as const;

/**
 * Checks with SelfSubjectAccessReviews whether the user may `get` and `create` each streaming
 * subresource of pods in `namespace` (WebSocket upgrades are GETs; API servers from 1.35 also
 * check `create`, kubectl's SPDY requests are POSTs): one result per subresource.
 *
 * @example
 * ```ts ignore
 * import { checkAuthorization } from "./api_checks.ts";
 * for (const result of await checkAuthorization(client, "default", "web-0", "alice")) console.log(result.summary);
 * ```
 */
export async function checkAuthorization(
  client: ApiClient,
  namespace: string,
  podName: string | undefined,
  user: string | undefined,
): Promise<StepResult[]> {
  const results: StepResult[] = [];
  for (const subresource of STREAMING_SUBRESOURCES) {
    const denied: string[] = [];
    const reasons: string[] = [];
    let failure: string | undefined;
    for (const verb of VERBS) {
      try {
        const response = await postJson(
          client,
          "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
          {
            apiVersion: "authorization.k8s.io/v1",
            kind: "SelfSubjectAccessReview",
            spec: {
              resourceAttributes: {
                namespace,
                verb,
                group: "",
                resource: "pods",
                subresource,
                ...(podName ? { name: podName } : {}),
              },
            },
          },
        );
        if (response.status !== 200 && response.status !== 201) {
          failure = statusErrorFromResponse(response, "selfsubjectaccessreviews").message;
          break;
        }
        const review = decode<{ status?: { allowed?: boolean; reason?: string } }>(response);
        if (review === undefined) {
          failure = `${response.status} with ${bodyKind(response)}`;
          break;
        }
        if (!review.status?.allowed) {
          denied.push(verb);
          if (review.status?.reason) reasons.push(review.status.reason);
        }
      } catch (error) {
        failure = (error as Error).message;
        break;
      }
    }
    const scope = `pods/${subresource} in namespace "${namespace}"${
      podName ? ` (pod ${podName})` : ""
    }`;
    if (failure !== undefined) {
      results.push(stepResult("authorization", "warn", `${scope}: could not check (${failure})`, {
        cause: "the server did not answer the SelfSubjectAccessReview",
        fix: "ask the cluster's administrator which permissions your user has",
      }));
    } else if (denied.length === 0) {
      results.push(stepResult("authorization", "ok", `${scope}: get and create allowed`));
    } else {
      const command = subresource === "portforward" ? "port-forward" : subresource;
      const onlyCreate = denied.length === 1 && denied[0] === "create";
      results.push(stepResult(
        "authorization",
        onlyCreate ? "warn" : "fail",
        `${scope}: ${denied.join(" and ")} denied${user ? ` for "${user}"` : ""}${
          reasons.length > 0 ? ` (${reasons.join("; ")})` : ""
        }`,
        {
          cause: onlyCreate
            ? `kubexec ${command} works while the API server checks only get (WebSocket upgrades are GETs), but API servers from 1.35 also check create, and kubectl's SPDY requests need it`
            : `RBAC does not grant get on pods/${subresource} here: kubexec ${command} will get 403 Forbidden`,
          fix:
            `ask the cluster's administrator for a Role with verbs [get, create] on resource pods/${subresource} in namespace "${namespace}", bound to your user`,
        },
      ));
    }
  }
  return results;
}

/** Subprotocols doctor offers, one at a time, to learn which the server accepts. */
export const PROBED_PROTOCOLS = ["v5.channel.k8s.io", "v4.channel.k8s.io"] as const;

/** The command doctor runs in the container: harmless, and present in most images. */
export const PROBE_COMMAND = "true";

async function probeUpgrade(
  client: ApiClient,
  path: string,
  protocol: string,
  timeoutMs: number,
): Promise<string | Error> {
  try {
    const ws = await client.upgrade(path, [protocol]);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const drained = (async () => {
      while ((await ws.receive()) !== null) {
        // The command's output and status are not needed: only the accepted subprotocol is.
      }
    })();
    const late = new Promise<"late">((resolve) => {
      timer = setTimeout(() => resolve("late"), timeoutMs);
    });
    const outcome = await Promise.race([drained.then(() => "done" as const), late]);
    clearTimeout(timer);
    if (outcome === "late") {
      await ws.close(1000);
      await drained.catch(() => undefined);
    }
    return ws.protocol;
  } catch (error) {
    return error as Error;
  }
}

function upgradeFailure(error: Error): { summary: string; cause: string; fix: string } {
  if (error instanceof UpgradeError) {
    const body = new TextDecoder().decode(error.body);
    if (error.status === 400 && /upgrade request required/i.test(body)) {
      return {
        summary: "the WebSocket upgrade arrived as a plain request (400 Upgrade request required)",
        cause:
          "a proxy, load balancer or ingress between you and the API server dropped the Upgrade: websocket and Connection: Upgrade headers",
        fix:
          'let it pass WebSocket upgrades (nginx: proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection "upgrade"), or bypass it (NO_PROXY)',
      };
    }
    if (error.status === 403 && body.trim() === "") {
      return {
        summary: "the server refused every offered subprotocol (403 with an empty body)",
        cause: "the API server or kubelet does not speak v5 or v4 of the streaming protocol",
        fix: "use kubectl with SPDY for this cluster; kubexec needs v4 or v5 over WebSocket",
      };
    }
    const status = statusErrorFromResponse(
      {
        status: error.status,
        statusText: error.statusText,
        headers: error.headers,
        body: error.body,
      },
      "exec",
    );
    return {
      summary: `the exec upgrade was refused: ${error.status} ${status.message}`,
      cause: error.status === 403
        ? "RBAC denies exec on this pod (see the authorization lines)"
        : error.status === 401
        ? "the credentials were rejected on the upgrade"
        : "the API server refused the upgrade",
      fix: status.hint ?? "run again with -v=8 to see the response",
    };
  }
  return {
    summary: `the exec upgrade failed: ${error.message}`,
    cause: "the WebSocket handshake broke",
    fix: "a proxy in the way may not support WebSocket; run again with -v=8",
  };
}

/**
 * Tries the exec upgrade on `target` (a pod or TYPE/NAME) offering v5 and v4 in turn, running
 * {@linkcode PROBE_COMMAND}: ok with both, warn with v4 only, fail with neither (with the cause).
 *
 * @example
 * ```ts ignore
 * import { checkProtocol } from "./api_checks.ts";
 * (await checkProtocol(client, { namespace: "default", target: "web-0", container: "", timeoutMs: 10_000 })).summary;
 * ```
 */
export async function checkProtocol(
  client: ApiClient,
  options: {
    namespace: string;
    target: string;
    /** The target's pod when the caller resolved it already. */
    pod?: Pod;
    container: string;
    timeoutMs: number;
  },
): Promise<StepResult> {
  let path: string;
  let where: string;
  try {
    const pod = options.pod ?? await resolvePod(client, options.namespace, options.target, {
      timeoutMs: options.timeoutMs,
    });
    const { container } = chooseContainer(pod, options.container);
    where = `pod ${pod.metadata.name}, container ${container.name}`;
    path = `/api/v1/namespaces/${pathSegment(options.namespace)}/pods/${
      pathSegment(pod.metadata.name)
    }/exec?command=${PROBE_COMMAND}&container=${
      encodeURIComponent(container.name)
    }&stderr=true&stdout=true`;
  } catch (error) {
    const message = error instanceof StatusError ? error.userMessage : (error as Error).message;
    const forbidden = error instanceof StatusError && error.code === 403;
    return stepResult("protocol", "fail", `cannot find ${options.target}: ${message}`, {
      cause: forbidden
        ? `your user may not read ${options.target} in namespace "${options.namespace}", so no command can find it`
        : "the target named on the command line was not found or is not running",
      fix: forbidden
        ? "name a pod you may read, or ask for get on it (kubexec resolves TYPE/NAME by reading the workload, then its pods)"
        : "check the name and the namespace (-n); kubexec doctor takes a pod or TYPE/NAME",
    });
  }
  const accepted: string[] = [];
  let firstError: Error | undefined;
  for (const protocol of PROBED_PROTOCOLS) {
    const outcome = await probeUpgrade(client, path, protocol, options.timeoutMs);
    if (typeof outcome === "string") accepted.push(outcome);
    else firstError ??= outcome;
  }
  if (accepted.includes(PROBED_PROTOCOLS[0])) {
    return stepResult(
      "protocol",
      "ok",
      `exec upgrade on ${where} accepted: ${accepted.join(", ")}`,
    );
  }
  if (accepted.length > 0) {
    return stepResult(
      "protocol",
      "warn",
      `exec upgrade on ${where} accepted: ${accepted.join(", ")} (no v5)`,
      {
        cause:
          "the API server is older than 1.30 (no v5 stream translator): closing stdin cannot be signalled, so commands reading stdin to its end (exec -i … -- cat) do not see it end",
        fix: "upgrade the cluster to 1.30 or later for v5; everything else works",
      },
    );
  }
  const failure = upgradeFailure(firstError ?? new Error("no subprotocol accepted"));
  return stepResult("protocol", "fail", `${where}: ${failure.summary}`, failure);
}
