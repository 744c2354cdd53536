/**
 * Decides whether an exec credential plugin runs interactively (gets our stdin), from its
 * `interactiveMode` and the state of our standard input, as client-go's `isInteractive` does.
 * Standard input counts as available when it is a terminal and is not being streamed to the pod.
 *
 * @module
 */

/** The plugin's `interactiveMode`; an empty value is invalid (v1 requires the field). */
export type InteractiveMode = "Never" | "IfAvailable" | "Always";

/** The state of our standard input. */
export interface StdinState {
  /** Our stdin is a terminal. */
  isTerminal: boolean;
  /** Our stdin is streamed to the pod (`-i`), so a plugin must not read it. */
  inUse: boolean;
  /** Appended as `: <message>` to the `Always` error when stdin is in use. */
  unavailableMessage?: string;
}

/**
 * The outcome: interactive or not, or the reason (client-go's text) interactive mode is required
 * but impossible, with a hint for the user.
 */
export type InteractiveDecision = { interactive: boolean } | { error: string; hint: string };

/**
 * Applies client-go's rules: `Never` → not interactive; `IfAvailable` → interactive iff stdin is an
 * unused terminal; `Always` → interactive, or an error when stdin is not a terminal or is in use.
 *
 * @example
 * ```ts
 * import { decideInteractive } from "./exec_interactive.ts";
 * decideInteractive("IfAvailable", { isTerminal: true, inUse: false }); // { interactive: true }
 * decideInteractive("Always", { isTerminal: false, inUse: false });
 * // { error: "standard input is not a terminal", hint: "the credential plugin …" }
 * ```
 */
export function decideInteractive(mode: string, stdin: StdinState): InteractiveDecision {
  switch (mode) {
    case "Never":
      return { interactive: false };
    case "IfAvailable":
      return { interactive: stdin.isTerminal && !stdin.inUse };
    case "Always": {
      if (!stdin.isTerminal) {
        return {
          error: "standard input is not a terminal",
          hint: "the credential plugin (interactiveMode: Always) prompts on a terminal; " +
            "run from an interactive shell or log in with the plugin first",
        };
      }
      if (stdin.inUse) {
        const suffix = stdin.unavailableMessage ? `: ${stdin.unavailableMessage}` : "";
        return {
          error: `standard input is unavailable${suffix}`,
          hint: "the credential plugin (interactiveMode: Always) needs stdin, which -i gives to " +
            "the pod; run a command without -i first to log in",
        };
      }
      return { interactive: true };
    }
    default:
      return {
        error: `unknown interactiveMode: ${JSON.stringify(mode)}`,
        hint: "client.authentication.k8s.io/v1 plugins must set exec.interactiveMode " +
          "to Never, IfAvailable or Always",
      };
  }
}
