"""A process that accepts on the bridge socket but never greets (a hung app) must not stall
stride-lsp: it gives up after --bridge-timeout and completes with its own engine."""
import os
import socket
import subprocess
import sys
import tempfile
import time

from lsp_client import LspClient

lsp, model = sys.argv[1:3]
sock_path = os.path.join(tempfile.mkdtemp(), "bridge.sock")
hung = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
hung.bind(sock_path)
hung.listen(4)  # the kernel completes connect(); nothing is ever sent

t0 = time.monotonic()
p = subprocess.Popen([lsp, "--bridge", sock_path, "--bridge-timeout", "300", "--no-history",
                      "--backend", "cpu", "--model", model],
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
c = LspClient(p.stdout.read1, lambda b: (p.stdin.write(b), p.stdin.flush()))
init = c.initialize()
assert "result" in init, init
waited = time.monotonic() - t0
print("initialize answered after %.2f s" % waited)
assert waited < 10, "stride-lsp waited too long on the silent bridge"
c.open("file:///b.py", "def add(a, b):\n    return ")
r = c.call("textDocument/inlineCompletion", LspClient.position("file:///b.py", 1, 11))
assert "result" in r and r["result"]["items"], r
c.call("shutdown", None)
c.notify("exit", None)
assert p.wait(timeout=30) == 0
err = p.stderr.read().decode()
assert "completing with local engine" in err, err
hung.close()
print("silent bridge: fell back to the local engine")
