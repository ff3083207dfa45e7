"""stride-lsp on stdio with the real engine: one inline completion from the tiny model."""
import subprocess
import sys

from lsp_client import LspClient

lsp = sys.argv[1]
proc = subprocess.Popen([lsp, "--no-bridge", "--no-history", "--backend", "cpu"] + sys.argv[2:],
                        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
c = LspClient(proc.stdout.read1, lambda b: (proc.stdin.write(b), proc.stdin.flush()))
print(c.initialize()["result"]["capabilities"]["positionEncoding"])
c.open("file:///tmp/add.py", "def add(a, b):\n    return ")
r = c.call("textDocument/inlineCompletion", LspClient.position("file:///tmp/add.py", 1, 11))
print(r)
assert "result" in r, r
c.call("shutdown", None)
c.notify("exit", None)
print("exit", proc.wait(timeout=30))
