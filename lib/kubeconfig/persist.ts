/**
 * Writes a refreshed `auth-provider` config (oidc's new `id-token`/`refresh-token`) back into the
 * kubeconfig file that defined the user, as client-go's `PersisterForUser`/`ModifyConfig` does.
 *
 * Only that user's `auth-provider.config` changes; the rest of the document is kept (comments are
 * lost because the file is re-serialized, as with kubectl). The file is replaced atomically
 * through a temporary file in the same directory, keeping its permission bits. A kubeconfig that is
 * a symlink (to a copy kept with dotfiles, say) stays one: the file it points to is replaced, as
 * client-go's `os.WriteFile` writes through the link.
 *
 * @module
 */
import { parse } from "../yaml/parse.ts";
import { stringify } from "../yaml/stringify.ts";
import { FileReadError, KubeconfigError } from "./errors.ts";
import { dirname } from "./paths.ts";

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/**
 * Replaces `users[name=userName].user.auth-provider.config` in `file` with `config`.
 *
 * @throws {FileReadError} when the file cannot be read
 * @throws {KubeconfigError} when the user is no longer in the file
 *
 * @example
 * ```ts
 * import { persistAuthProviderConfig } from "./persist.ts";
 * const file = await Deno.makeTempFile();
 * await Deno.writeTextFile(file, "users:\n- name: me\n  user:\n    auth-provider:\n      name: oidc\n");
 * await persistAuthProviderConfig(file, "me", { "id-token": "new" });
 * await Deno.remove(file);
 * ```
 */
export async function persistAuthProviderConfig(
  file: string,
  userName: string,
  config: Record<string, string>,
): Promise<void> {
  if (file === "") {
    throw new KubeconfigError(`cannot persist auth-provider config for ${userName}: no file`);
  }
  let text: string;
  let mode: number | null = null;
  let target: string;
  try {
    text = await Deno.readTextFile(file);
    mode = (await Deno.stat(file)).mode;
    target = await Deno.realPath(file);
  } catch (error) {
    throw FileReadError.from("open", file, error);
  }
  const document = parse(text, { filename: file, duplicateKeys: "last" });
  const users = isObject(document) && Array.isArray(document.users) ? document.users : [];
  const entry = users.find((item) => isObject(item) && item.name === userName);
  if (!isObject(entry)) {
    throw new KubeconfigError(`user "${userName}" not found in ${file}`);
  }
  if (!isObject(entry.user)) entry.user = {};
  const user = entry.user as Record<string, unknown>;
  const provider = isObject(user["auth-provider"]) ? user["auth-provider"] : { name: "" };
  provider.config = { ...config };
  user["auth-provider"] = provider;
  const temporary = await Deno.makeTempFile({ dir: dirname(target), prefix: ".kubeconfig-" });
  try {
    await Deno.writeTextFile(temporary, stringify(document), {
      mode: mode === null ? 0o600 : mode & 0o777,
    });
    if (mode !== null) await Deno.chmod(temporary, mode & 0o777).catch(() => {});
    await Deno.rename(temporary, target);
  } catch (error) {
    await Deno.remove(temporary).catch(() => {});
    throw error;
  }
}
