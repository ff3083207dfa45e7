"""The bridge: a host process (standing in for the app) loads the model once and serves it through
BridgeServer; two stride-lsp processes complete through it without loading the model themselves."""
import os
import stat
import subprocess
import sys
import tempfile

from lsp_client import LspClient

lsp, host, model = sys.argv[1:4]
tmp = tempfile.mkdtemp()
sock = os.path.join(tmp, "stride", "bridge.sock")
h = subprocess.Popen([host, model, sock], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
assert h.stdout.readline().startswith("ready"), "bridge host did not start"
assert stat.S_IMODE(os.stat(os.path.dirname(sock)).st_mode) == 0o700
assert stat.S_IMODE(os.stat(sock).st_mode) == 0o600

for n in range(2):
    # A model path that does not exist: only the bridge can make this work.
    p = subprocess.Popen([lsp, "--bridge", sock, "--no-history", "--model", "/nonexistent"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    c = LspClient(p.stdout.read1, lambda b, p=p: (p.stdin.write(b), p.stdin.flush()))
    c.initialize()
    c.open("file:///b.py", "def add(a, b):\n    return ")
    r = c.call("textDocument/inlineCompletion", LspClient.position("file:///b.py", 1, 11))
    assert "result" in r and r["result"]["items"], r
    print("stride-lsp %d via bridge:" % n, repr(r["result"]["items"][0]["insertText"]))
    c.call("shutdown", None)
    c.notify("exit", None)
    assert p.wait(timeout=30) == 0
    assert b"completing through the Stride app" in p.stderr.read()

h.stdin.close()
out = h.stdout.read()
assert h.wait(timeout=30) == 0
assert "served 2" in out, out
assert not os.path.exists(sock), "socket left behind"
print("bridge: 2 stride-lsp processes served by one engine")
