/**
 * Drives a program under a real pseudo-terminal with tmux, as a person at a terminal would: type
 * into a pane, read its screen, resize it, inspect its terminal settings. Each {@linkcode TmuxPane}
 * runs its own tmux server on a private socket in a temporary directory, so tests never touch a
 * user's tmux and clean up completely with {@linkcode TmuxPane.close}.
 *
 * @module
 */

/** tmux did not show what a test waited for. */
export class ScreenTimeoutError extends Error {
  /** What was awaited. */
  readonly awaited: string;
  /** The screen when the wait gave up. */
  readonly screen: string;
  /**
   * @param awaited the pattern or condition that never appeared
   * @param screen the pane's content at the end
   */
  constructor(awaited: string, screen: string) {
    super(`the terminal never showed ${awaited}; screen:\n${screen}`);
    this.name = "ScreenTimeoutError";
    this.awaited = awaited;
    this.screen = screen;
  }
}

/** Options of {@linkcode TmuxPane.start}. */
export interface TmuxPaneOptions {
  columns: number;
  rows: number;
  /** The pane's program and arguments (run without a shell in between). */
  command: string[];
  /** The environment the program starts with (nothing else is inherited). */
  env: Record<string, string>;
}

/** Whether tmux is installed. */
export async function tmuxAvailable(): Promise<boolean> {
  try {
    const out = await new Deno.Command("tmux", { args: ["-V"], stdout: "null", stderr: "null" })
      .output();
    return out.success;
  } catch {
    return false;
  }
}

const POLL_MS = 25;
const DEFAULT_WAIT_MS = 30_000;

/**
 * One tmux window with one pane running a program.
 *
 * @example
 * ```ts ignore
 * import { TmuxPane } from "./tmux.ts";
 * const pane = await TmuxPane.start({ columns: 100, rows: 30, command: ["sh"], env: { PATH: "/usr/bin:/bin" } });
 * try {
 *   await pane.type("echo hi\n");
 *   await pane.waitFor(/^hi$/m);
 * } finally {
 *   await pane.close();
 * }
 * ```
 */
export class TmuxPane {
  readonly #dir: string;
  readonly #socket: string;
  readonly #target = "conformance";

  private constructor(dir: string) {
    this.#dir = dir;
    this.#socket = `${dir}/tmux.sock`;
  }

  /** Starts a tmux server with one detached window of the given size running `command`. */
  static async start(options: TmuxPaneOptions): Promise<TmuxPane> {
    const dir = await Deno.makeTempDir({ prefix: "kubexec-tmux-" });
    const pane = new TmuxPane(dir);
    try {
      await Deno.writeTextFile(
        `${dir}/tmux.conf`,
        "set -g status off\nset -g history-limit 5000\n",
      );
      const env = Object.entries(options.env).flatMap((
        [name, value],
      ) => ["-e", `${name}=${value}`]);
      await pane.tmux([
        "-f",
        `${dir}/tmux.conf`,
        "new-session",
        "-d",
        "-s",
        pane.#target,
        "-x",
        String(options.columns),
        "-y",
        String(options.rows),
        ...env,
        "--",
        ...options.command,
      ]);
      await pane.tmux(["set-option", "-t", pane.#target, "remain-on-exit", "on"]);
      return pane;
    } catch (error) {
      await pane.close();
      throw error;
    }
  }

  /** Runs a tmux command against this pane's server and returns its stdout. */
  async tmux(args: string[]): Promise<string> {
    const out = await new Deno.Command("tmux", {
      args: ["-S", this.#socket, ...args],
      stdout: "piped",
      stderr: "piped",
      env: { TMUX: "" },
    }).output();
    if (!out.success) {
      throw new Error(`tmux ${args[0]} failed: ${new TextDecoder().decode(out.stderr).trim()}`);
    }
    return new TextDecoder().decode(out.stdout);
  }

  /** Types text literally (`\n` is sent as Enter). */
  async type(text: string): Promise<void> {
    const lines = text.split("\n");
    for (let i = 0; i < lines.length; i++) {
      if (lines[i] !== "") await this.tmux(["send-keys", "-t", this.#target, "-l", lines[i]]);
      if (i < lines.length - 1) await this.tmux(["send-keys", "-t", this.#target, "Enter"]);
    }
  }

  /** Sends one tmux key name, e.g. `C-c`. */
  async key(name: string): Promise<void> {
    await this.tmux(["send-keys", "-t", this.#target, name]);
  }

  /** The visible screen plus scrollback, trailing blanks trimmed. */
  async screen(): Promise<string> {
    const text = await this.tmux(["capture-pane", "-p", "-J", "-S", "-", "-t", this.#target]);
    return text.replace(/\s+$/, "");
  }

  /** Waits until the screen matches `pattern` and returns the match. */
  async waitFor(pattern: RegExp, timeoutMs = DEFAULT_WAIT_MS): Promise<RegExpMatchArray> {
    let screen = "";
    for (let waited = 0; waited <= timeoutMs; waited += POLL_MS) {
      screen = await this.screen();
      const match = screen.match(pattern);
      if (match) return match;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    throw new ScreenTimeoutError(String(pattern), screen);
  }

  /** Waits until `condition` holds (polled), naming it in the error when it never does. */
  async waitUntil(
    what: string,
    condition: () => boolean | Promise<boolean>,
    timeoutMs = DEFAULT_WAIT_MS,
  ): Promise<void> {
    for (let waited = 0; waited <= timeoutMs; waited += POLL_MS) {
      if (await condition()) return;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    throw new ScreenTimeoutError(what, await this.screen());
  }

  /** The pane's size as tmux reports it. */
  async size(): Promise<{ columns: number; rows: number }> {
    const [columns, rows] = (await this.display("#{pane_width} #{pane_height}")).split(" ");
    return { columns: Number(columns), rows: Number(rows) };
  }

  /** Resizes the window (and so the pane); the program gets SIGWINCH. */
  async resize(columns: number, rows: number): Promise<void> {
    await this.tmux([
      "resize-window",
      "-t",
      this.#target,
      "-x",
      String(columns),
      "-y",
      String(rows),
    ]);
  }

  /** The pane's terminal device, e.g. `/dev/pts/3`. */
  async ttyPath(): Promise<string> {
    return await this.display("#{pane_tty}");
  }

  /** The pid of the pane's program. */
  async pid(): Promise<number> {
    return Number(await this.display("#{pane_pid}"));
  }

  /**
   * Runs `stty -F PANE_TTY ARGS` from outside the pane (its program keeps running), e.g. `-a` for
   * the settings or `-g` for a comparable snapshot.
   */
  async stty(...args: string[]): Promise<string> {
    const out = await new Deno.Command("stty", {
      args: ["-F", await this.ttyPath(), ...args],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
    return new TextDecoder().decode(out.stdout);
  }

  /** Expands a tmux format (`#{pane_width}`, …) for this pane. */
  async display(format: string): Promise<string> {
    return (await this.tmux(["display-message", "-p", "-t", this.#target, format])).trim();
  }

  /** Stops the tmux server (and the pane's processes) and removes the temporary directory. */
  async close(): Promise<void> {
    await this.tmux(["kill-server"]).catch(() => {});
    await Deno.remove(this.#dir, { recursive: true }).catch(() => {});
  }
}

/**
 * Whether a terminal's `stty -a` shows canonical mode and echo (a cooked, restored terminal).
 *
 * @example
 * ```ts
 * import { isCooked } from "./tmux.ts";
 * isCooked("speed 38400 baud; ... isig icanon iexten echo echoe"); // true
 * isCooked("speed 38400 baud; ... -isig -icanon -iexten -echo"); // false
 * ```
 */
export function isCooked(sttyAll: string): boolean {
  const flags = new Set(sttyAll.split(/[\s;]+/));
  return flags.has("icanon") && flags.has("echo") && flags.has("isig");
}
