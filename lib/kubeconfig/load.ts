/**
 * kubectl's loading rules: which kubeconfig files are read and how they become one config.
 *
 * `--kubeconfig` names the only file (it must exist); otherwise `KUBECONFIG` lists files (`:`, or
 * `;` on Windows; empty entries, duplicates and missing files skipped); otherwise
 * `~/.kube/config`. Files are merged with {@linkcode mergeConfigs}. Environment access is injected
 * so tests and embedders control it.
 *
 * @module
 */
import { parseAll, YamlError } from "../yaml/parse.ts";
import { type LoadedConfig } from "./config.ts";
import { decodeKubeconfig } from "./decode.ts";
import { FileReadError, KubeconfigLoadError, KubeconfigLoadErrors } from "./errors.ts";
import { mergeConfigs } from "./merge.ts";
import { joinPath } from "./paths.ts";

/** Reads an environment variable; `Deno.env.get` by default. */
export type EnvLookup = (name: string) => string | undefined;

/** Inputs of the loading rules. */
export interface LoadingOptions {
  /** `--kubeconfig`: the one file to read, which must exist. */
  kubeconfig?: string;
  /** Environment lookup (`KUBECONFIG`, `HOME`, …); defaults to `Deno.env.get`. */
  env?: EnvLookup;
  /** Operating system whose conventions apply; defaults to the running one. */
  os?: typeof Deno.build.os;
  /**
   * Receives what client-go logs at `-v=4`: that every `KUBECONFIG` file is missing (kubectl says
   * nothing about it by default).
   */
  verbose?: (message: string) => void;
}

/** The files the loading rules chose, in precedence order. */
export interface LoadingPrecedence {
  /** True when the list is `--kubeconfig`'s single file. */
  explicit: boolean;
  paths: string[];
  /** True when the list came from `KUBECONFIG`. */
  fromEnvironment: boolean;
}

/**
 * The default environment lookup, tolerant of a missing `--allow-env`.
 *
 * @example
 * ```ts
 * import { defaultEnv } from "./load.ts";
 * defaultEnv("KUBECONFIG"); // the variable, or undefined
 * ```
 */
export const defaultEnv: EnvLookup = (name) => {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
};

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * The user's home directory as client-go's `homedir.HomeDir` finds it: `HOME` on Unix; on Windows
 * the first of `HOME`, `HOMEDRIVE`+`HOMEPATH`, `USERPROFILE` holding `.kube\config`, else the
 * first that exists, else the first that is set.
 *
 * @example
 * ```ts
 * import { homeDirectory } from "./load.ts";
 * await homeDirectory((name) => name === "HOME" ? "/home/me" : undefined, "linux"); // "/home/me"
 * ```
 */
export async function homeDirectory(
  env: EnvLookup = defaultEnv,
  os: typeof Deno.build.os = Deno.build.os,
): Promise<string | undefined> {
  if (os !== "windows") return env("HOME") || undefined;
  const drive = env("HOMEDRIVE");
  const path = env("HOMEPATH");
  const candidates = [env("HOME"), drive && path ? drive + path : undefined, env("USERPROFILE")]
    .filter((candidate): candidate is string => !!candidate);
  for (const candidate of candidates) {
    if (await exists(joinPath(candidate, ".kube\\config", true))) return candidate;
  }
  for (const candidate of candidates) if (await exists(candidate)) return candidate;
  return candidates[0];
}

/**
 * Lists the kubeconfig files the loading rules would read.
 *
 * @example
 * ```ts
 * import { loadingPrecedence } from "./load.ts";
 * const env = (name: string) => ({ KUBECONFIG: "/a:/b:/a", HOME: "/h" } as Record<string, string>)[name];
 * (await loadingPrecedence({ env, os: "linux" })).paths; // ["/a", "/b"]
 * ```
 */
export async function loadingPrecedence(options: LoadingOptions = {}): Promise<LoadingPrecedence> {
  const env = options.env ?? defaultEnv;
  const os = options.os ?? Deno.build.os;
  if (options.kubeconfig) {
    return { explicit: true, paths: [options.kubeconfig], fromEnvironment: false };
  }
  const list = env("KUBECONFIG");
  if (list) {
    const paths = [...new Set(list.split(os === "windows" ? ";" : ":"))].filter((path) => path);
    return { explicit: false, paths, fromEnvironment: true };
  }
  const home = await homeDirectory(env, os);
  const paths = home === undefined ? [] : [joinPath(home, ".kube/config", os === "windows")];
  return { explicit: false, paths, fromEnvironment: false };
}

/**
 * Reads and decodes one kubeconfig file (YAML or JSON). An empty file is an empty config.
 *
 * @throws {FileReadError} when the file cannot be read (`NotFound` is left to the caller via `cause`)
 * @throws {KubeconfigLoadError} on YAML syntax or type errors, with `file:line:col`
 *
 * @example
 * ```ts
 * import { loadKubeconfigFile } from "./load.ts";
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, "current-context: dev\n");
 * (await loadKubeconfigFile(path)).currentContext; // "dev"
 * await Deno.remove(path);
 * ```
 */
export async function loadKubeconfigFile(path: string): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    const problem = FileReadError.from("read", path, error);
    throw new KubeconfigLoadError(path, problem.message, undefined, { cause: error });
  }
  let document: unknown;
  try {
    // Go's YAML v2 reader, behind kubectl's loading, lets a repeated key replace the first, and
    // reads the first document only (a trailing `---` from a template is common).
    document = parseAll(text, { filename: path, duplicateKeys: "last" })[0] ?? null;
  } catch (error) {
    if (error instanceof YamlError) {
      throw new KubeconfigLoadError(path, error.reason, {
        line: error.line,
        column: error.column,
      });
    }
    throw error;
  }
  return decodeKubeconfig(document, path, text);
}

function isNotFound(error: unknown): boolean {
  return error instanceof KubeconfigLoadError && error.cause instanceof Deno.errors.NotFound;
}

/**
 * Applies the loading rules and merges the files into one config. Missing `KUBECONFIG` entries and
 * a missing `~/.kube/config` are skipped; a missing `--kubeconfig` file is an error.
 *
 * @throws {FileReadError} `stat <file>: no such file or directory` for a missing `--kubeconfig`
 * @throws {KubeconfigLoadError} for a file that cannot be decoded, {@linkcode KubeconfigLoadErrors}
 * when several cannot
 *
 * @example
 * ```ts
 * import { loadKubeconfig } from "./load.ts";
 * const config = await loadKubeconfig({ env: () => undefined });
 * config.clusters.size; // 0: no HOME, no KUBECONFIG
 * ```
 */
export async function loadKubeconfig(options: LoadingOptions = {}): Promise<LoadedConfig> {
  const precedence = await loadingPrecedence(options);
  if (precedence.explicit) {
    const [path] = precedence.paths;
    try {
      await Deno.stat(path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) {
        throw FileReadError.from("stat", path, error);
      }
    }
  }
  const configs: LoadedConfig[] = [];
  const missing: string[] = [];
  // Every file is tried, so that all the broken ones are reported at once, as kubectl does.
  const failures: KubeconfigLoadError[] = [];
  for (const path of precedence.paths) {
    try {
      configs.push(await loadKubeconfigFile(path));
    } catch (error) {
      if (isNotFound(error)) missing.push(path);
      else if (error instanceof KubeconfigLoadError) failures.push(error);
      else throw error;
    }
  }
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) throw new KubeconfigLoadErrors(failures);
  if (precedence.fromEnvironment && configs.length === 0 && missing.length > 0) {
    options.verbose?.(`Config not found: ${missing.join(", ")}`);
  }
  return mergeConfigs(configs);
}

/**
 * The config the `config` commands show (client-go's `GetStartingConfig`): like
 * {@linkcode loadKubeconfig}, except that a missing `--kubeconfig` file reads as an empty config
 * rather than an error, as `kubectl config view` does.
 *
 * @example
 * ```ts
 * import { loadStartingConfig } from "./load.ts";
 * const config = await loadStartingConfig({ kubeconfig: "/nonexistent/config" });
 * config.contexts.size; // 0
 * ```
 */
export async function loadStartingConfig(options: LoadingOptions = {}): Promise<LoadedConfig> {
  try {
    return await loadKubeconfig(options);
  } catch (error) {
    if (error instanceof FileReadError && error.operation === "stat") return mergeConfigs([]);
    throw error;
  }
}
