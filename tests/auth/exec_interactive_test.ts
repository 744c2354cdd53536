/**
 * Tests of the interactive-mode decision (client-go's `isInteractive`) and its hints.
 *
 * @module
 */
import assert from "node:assert/strict";
import { decideInteractive } from "../../lib/auth/exec_interactive.ts";

Deno.test("interactive: every mode against every stdin state", () => {
  const states = [
    { isTerminal: true, inUse: false },
    { isTerminal: false, inUse: false },
    { isTerminal: true, inUse: true },
    { isTerminal: false, inUse: true },
  ];
  const outcome = (mode: string) =>
    states.map((stdin) => {
      const decision = decideInteractive(mode, stdin);
      return "error" in decision ? decision.error : decision.interactive;
    });
  assert.deepEqual(outcome("Never"), [false, false, false, false]);
  assert.deepEqual(outcome("IfAvailable"), [true, false, false, false]);
  assert.deepEqual(outcome("Always"), [
    true,
    "standard input is not a terminal",
    "standard input is unavailable",
    "standard input is not a terminal",
  ]);
  assert.deepEqual(outcome(""), Array(4).fill('unknown interactiveMode: ""'));
  assert.deepEqual(outcome("always"), Array(4).fill('unknown interactiveMode: "always"'));
});

Deno.test("interactive: every refusal carries a hint", () => {
  for (
    const [mode, stdin] of [
      ["Always", { isTerminal: false, inUse: false }],
      ["Always", { isTerminal: true, inUse: true, unavailableMessage: "m" }],
      ["", { isTerminal: true, inUse: false }],
    ] as const
  ) {
    const decision = decideInteractive(mode, stdin);
    assert.ok("error" in decision && decision.hint.length > 20, JSON.stringify(decision));
  }
});
