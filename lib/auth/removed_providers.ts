/**
 * The legacy in-tree auth-providers that client-go removed in Kubernetes 1.26, with the exec
 * credential plugin that replaces each. The messages are client-go's stubs
 * (`plugin/pkg/client/auth/{gcp,azure}`), exactly as kubectl prints them; the error's `hint` adds
 * the release that removed them and what to change in the kubeconfig.
 *
 * @module
 */
import { AuthProviderRemovedError } from "./errors.ts";

/** A removed provider: its replacement plugin and the message users get. */
export interface RemovedProvider {
  replacement: string;
  message: string;
  hint: string;
}

/** The removed providers by `auth-provider` name. */
export const REMOVED_AUTH_PROVIDERS: Readonly<Record<string, RemovedProvider>> = {
  gcp: {
    replacement: "gke-gcloud-auth-plugin",
    message: "The gcp auth plugin has been removed.\n" +
      'Please use the "gke-gcloud-auth-plugin" kubectl/client-go credential plugin instead.\n' +
      "See https://cloud.google.com/blog/products/containers-kubernetes/kubectl-auth-changes-in-gke for further details",
    hint: "auth-provider gcp was removed in Kubernetes 1.26; install gke-gcloud-auth-plugin and " +
      "run `gcloud container clusters get-credentials` to rewrite the user as an exec plugin",
  },
  azure: {
    replacement: "kubelogin",
    message: "The azure auth plugin has been removed.\n" +
      "Please use the https://github.com/Azure/kubelogin kubectl/client-go credential plugin instead.\n" +
      "See https://kubernetes.io/docs/reference/access-authn-authz/authentication/#client-go-credential-plugins for further details",
    hint: "auth-provider azure was removed in Kubernetes 1.26; install kubelogin and run " +
      "`kubelogin convert-kubeconfig` to rewrite the user as an exec plugin",
  },
};

/**
 * Returns the error for a removed provider, or `undefined` when `name` was not removed.
 *
 * @example
 * ```ts
 * import { removedProviderError } from "./removed_providers.ts";
 * removedProviderError("azure")?.replacement; // "kubelogin"
 * removedProviderError("oidc"); // undefined
 * ```
 */
export function removedProviderError(name: string): AuthProviderRemovedError | undefined {
  const removed = Object.hasOwn(REMOVED_AUTH_PROVIDERS, name)
    ? REMOVED_AUTH_PROVIDERS[name]
    : undefined;
  return removed &&
    new AuthProviderRemovedError(name, removed.replacement, removed.message, {
      hint: removed.hint,
    });
}
