/**
 * From global flags to a ready {@linkcode ApiClient}: resolve the kubeconfig into a RestConfig,
 * build the credential provider, and open the client every REST call and upgrade goes through.
 *
 * @module
 */
import { resolveRestConfig } from "../kubeconfig/resolve.ts";
import { redactUrlPassword } from "../log.ts";
import type { RestConfig } from "../kubeconfig/types.ts";
import { createCredentialProvider } from "../auth/mod.ts";
import { createApiClient } from "../transport/api_client.ts";
import type { ApiClient } from "../transport/types.ts";
import type { GlobalOptions } from "./global_flags.ts";
import type { Io } from "./io.ts";
import { writeText } from "./io.ts";

/** A resolved cluster connection. */
export interface Cluster {
  config: RestConfig;
  client: ApiClient;
}

/** Options of {@linkcode connectCluster}. */
export interface ConnectOptions {
  /**
   * Whether our stdin is being read while credentials may be fetched (exec plugins may then not
   * prompt on it): fan-out sessions and shell completion, not a single exec or attach, whose
   * credentials come before stdin is streamed.
   */
  stdinInUse: boolean;
}

/**
 * Resolves the kubeconfig and builds the API client for a command.
 *
 * @example
 * ```ts
 * import { connectCluster } from "./connect.ts";
 * // const { config, client } = await connectCluster(context.global, context.io, { stdinInUse: false });
 * ```
 */
export async function connectCluster(
  global: GlobalOptions,
  io: Io,
  options: ConnectOptions,
): Promise<Cluster> {
  const warnings: string[] = [];
  const config = await resolveRestConfig(global.overrides, {
    env: io.env,
    logger: global.logger,
    warn: (message) => void warnings.push(message),
  });
  for (const message of warnings) await writeText(io.stderr, `Warning: ${message}\n`);
  if (config.tls.insecure) {
    // kubectl's client-go prints no warning, but an operator on a bastion must see it.
    await writeText(
      io.stderr,
      "Warning: TLS certificate verification is disabled (insecure-skip-tls-verify); the connection is not authenticated\n",
    );
  }
  global.logger(
    6,
    () =>
      `Config loaded: context=${config.contextName ?? "(none)"} server=${
        redactUrlPassword(config.server)
      }`,
  );
  const credentials = await createCredentialProvider(config.auth, {
    stdinIsTerminal: io.stdinIsTerminal,
    stdinInUse: options.stdinInUse,
    // kubectl skips an exec plugin when a client certificate is configured.
    clientCertConfigured: Boolean(config.tls.certPem),
    // An interactive plugin prompts on the real terminal, which only exists outside tests.
    pluginStdin: io.stdinIsTerminal ? "inherit" : undefined,
    // Only an exec plugin writes there; not asking otherwise leaves a process's stderr stream
    // unbuilt (lib/cli/io.ts).
    pluginStderr: config.auth.exec ? io.stderr : undefined,
    logger: global.logger,
  });
  const client = createApiClient(config, credentials, {
    logger: global.logger,
    env: io.env,
    transport: global.transport,
    strictCaTrust: global.strictCaTrust,
    // exec/attach/cp upgrade on the connection of their GET pod; runCli closes what is left.
    keepAlive: true,
  });
  return { config, client };
}
