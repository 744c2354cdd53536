"""The Python peer: `kubectl exec`'s job done with the official client (python3-kubernetes).

python3 bench/python_exec.py KUBECONFIG POD COMMAND... streams the command's stdout to stdout
(the client decodes it as UTF-8 text; the bench sends zero bytes, which survive that) and exits
with the command's exit code.
"""
import sys

from kubernetes import client, config
from kubernetes.stream import stream


def main():
    config.load_kube_config(config_file=sys.argv[1])
    api = client.CoreV1Api()
    response = stream(
        api.connect_get_namespaced_pod_exec, sys.argv[2], "default",
        command=sys.argv[3:], stderr=True, stdin=False, stdout=True, tty=False,
        _preload_content=False)
    out = sys.stdout.buffer
    while response.is_open():
        response.update(timeout=1)
        if response.peek_stdout():
            out.write(response.read_stdout().encode())
        if response.peek_stderr():
            sys.stderr.write(response.read_stderr())
    response.close()
    sys.exit(response.returncode or 0)


main()
