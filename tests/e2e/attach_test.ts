/**
 * attach to the long-running main process of the `attach` pod (a shell loop that answers each line
 * on stdout and stderr and exits on "quit"; the harness restarts it like a kubelet would).
 */
import { scenarioTest } from "./compare.ts";

scenarioTest({
  name: "attach: -i sends stdin to the running process and streams its output",
  args: ["attach", "-i", "attach"],
  stdin: "hello\nquit\n",
  expect: {
    code: 0,
    stdout: "attach: hello\nattach: quit\n",
    stderr: "If you don't see a command prompt, try pressing enter.\n" +
      "attach-err: hello\nattach-err: quit\n",
  },
});

scenarioTest({
  name: "attach: -c names the container",
  args: ["attach", "-i", "attach", "-c", "main"],
  stdin: "again\nquit\n",
  expect: {
    code: 0,
    stdout: "attach: again\nattach: quit\n",
    stderr: "If you don't see a command prompt, try pressing enter.\n" +
      "attach-err: again\nattach-err: quit\n",
  },
});

scenarioTest({
  name: "attach: an unknown container is refused before connecting",
  args: ["attach", "-i", "attach", "-c", "nope"],
  stdin: "",
  expect: {
    code: 1,
    stdout: "",
    stderr: "error: cannot attach to the container: container nope not found in pod attach\n",
  },
});

scenarioTest({
  name: "attach: a completed pod is refused before connecting",
  args: ["attach", "done"],
  expect: {
    code: 1,
    stdout: "",
    stderr: "error: cannot attach a container in a completed pod; current phase is Succeeded\n",
  },
});
