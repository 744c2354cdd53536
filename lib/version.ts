/**
 * The one place kubexec's version comes from: `deno.json`'s `version` field, embedded at build time
 * (JSON imports are bundled by `deno compile`, so nothing is read from disk at run time).
 *
 * @module
 */
import denoConfig from "../deno.json" with { type: "json" };
import { BUILD_COMMIT } from "./build_info.ts";

/** Version information printed by `kubexec version`. */
export interface VersionInfo {
  /** kubexec's semantic version, e.g. `0.1.0`. */
  version: string;
  /** The git commit the binary was built from, or `unknown`. */
  gitCommit: string;
  /** The Deno runtime version. */
  deno: string;
  /** `os/arch`, e.g. `linux/x86_64`. */
  platform: string;
}

/** kubexec's version, from `deno.json`. */
export const VERSION: string = denoConfig.version;

/**
 * Collects the version information of the running binary.
 *
 * @example
 * ```ts
 * import { versionInfo } from "./version.ts";
 * console.log(versionInfo().version);
 * ```
 */
export function versionInfo(): VersionInfo {
  return {
    version: VERSION,
    gitCommit: BUILD_COMMIT || "unknown",
    deno: Deno.version.deno,
    platform: `${Deno.build.os}/${Deno.build.arch}`,
  };
}

/**
 * The `User-Agent` kubexec sends, shaped like kubectl's `kubectl/<ver> (<os>/<arch>) kubernetes/<commit>`.
 *
 * @example
 * ```ts
 * import { userAgent } from "./version.ts";
 * userAgent(); // "kubexec/0.1.0 (linux/x86_64) deno/2.9.6"
 * ```
 */
export function userAgent(): string {
  return `kubexec/${VERSION} (${Deno.build.os}/${Deno.build.arch}) deno/${Deno.version.deno}`;
}
