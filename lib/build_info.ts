/**
 * Build facts stamped by the release workflow before `deno compile` (see
 * `.github/workflows/release.yml`). In a source checkout they stay empty.
 *
 * @module
 */

/** The git commit the binary was built from; empty when not stamped. */
export const BUILD_COMMIT = "";
