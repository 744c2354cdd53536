/**
 * Scripts that exercise `lib/cli/io.ts` in a process of their own, where the process's real
 * standard streams (and the permissions it runs with) are what is under test.
 *
 * @module
 */

const IO_MODULE = new URL("../../lib/cli/io.ts", import.meta.url).href;

/**
 * Writes a script to `dir` that imports `names` from `lib/cli/io.ts` and then runs `body`; returns
 * its path.
 *
 * @example
 * ```ts ignore
 * import { ioScript } from "../support/io_script.ts";
 * const script = await ioScript(dir, ["processIo"], "processIo();");
 * ```
 */
export async function ioScript(dir: string, names: string[], body: string): Promise<string> {
  const path = `${dir}/io_script_${names.join("_")}.ts`;
  await Deno.writeTextFile(
    path,
    `import { ${names.join(", ")} } from ${JSON.stringify(IO_MODULE)};\n${body}`,
  );
  return path;
}
