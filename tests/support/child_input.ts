/**
 * Feeding a child process's stdin in uneven pieces, as a shell pipeline does, for tests of code
 * that reads a pipe.
 *
 * @module
 */
import { within } from "./deadline.ts";

/**
 * Writes `input` to `child`'s stdin in pieces whose sizes cycle through `sizes`, closes it and
 * returns the child's output. A child that has not ended within `ms` (hung, say) is killed and the
 * promise rejects.
 *
 * @example
 * ```ts ignore
 * import { outputWhenFed, randomBytes } from "./child_input.ts";
 * const child = new Deno.Command("cat", { stdin: "piped", stdout: "piped" }).spawn();
 * const output = await outputWhenFed(child, randomBytes(1 << 20), [1, 65536, 7], 10_000);
 * ```
 */
export async function outputWhenFed(
  child: Deno.ChildProcess,
  input: Uint8Array,
  sizes: number[],
  ms: number,
): Promise<Deno.CommandOutput> {
  const feeding = (async () => {
    const writer = child.stdin.getWriter();
    for (let offset = 0, turn = 0; offset < input.length; turn++) {
      const size = sizes[turn % sizes.length];
      await writer.write(input.slice(offset, offset + size));
      offset += size;
    }
    await writer.close();
  })();
  const [output] = await within(ms, Promise.all([child.output(), feeding]), () => child.kill());
  return output;
}
