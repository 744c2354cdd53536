/**
 * Child process for `tls_test.ts`: connects to `URL` trusting only the CA in `CA_FILE` (with
 * `STRICT=1`, client-go's rule) and prints `ok` or the error name, so the parent can run it with
 * `DENO_CERT` extending Deno's root store.
 *
 * @module
 */
import { createApiClient } from "../../lib/transport/api_client.ts";
import { noCredentials } from "../support/transport_credentials.ts";

const client = createApiClient(
  {
    server: Deno.env.get("URL")!,
    tls: { caPem: await Deno.readTextFile(Deno.env.get("CA_FILE")!) },
    auth: {},
    namespace: "default",
    namespaceExplicit: false,
  },
  noCredentials(),
  { env: () => undefined, strictCaTrust: Deno.env.get("STRICT") === "1" },
);
try {
  const response = await client.request({ path: "/" });
  Deno.stdout.writeSync(new TextEncoder().encode(`ok ${response.status}`));
} catch (error) {
  Deno.stdout.writeSync(
    new TextEncoder().encode(`${(error as Error).name}: ${(error as Error).message}`),
  );
}
