"""The app quits while stride-lsp completes through its bridge: the next requests fail with
RequestFailed (or are answered) until stride-lsp has loaded the model itself, then they are served
by its local engine; the session never breaks."""
import os
import subprocess
import sys
import tempfile
import time

from lsp_client import LspClient

lsp, host, model = sys.argv[1:4]
sock = os.path.join(tempfile.mkdtemp(), "stride", "bridge.sock")
h = subprocess.Popen([host, model, sock], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
assert h.stdout.readline().startswith("ready"), "bridge host did not start"

p = subprocess.Popen([lsp, "--bridge", sock, "--no-history", "--backend", "cpu", "--model", model],
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
c = LspClient(p.stdout.read1, lambda b: (p.stdin.write(b), p.stdin.flush()))
c.initialize()
c.open("file:///b.py", "def add(a, b):\n    return ")
where = LspClient.position("file:///b.py", 1, 11)
r = c.call("textDocument/inlineCompletion", where)
assert "result" in r and r["result"]["items"], r

h.stdin.close()  # the app quits
assert h.wait(timeout=30) == 0

failed = 0
deadline = time.monotonic() + 60
while True:
    r = c.call("textDocument/inlineCompletion", where)
    if "result" in r:
        break
    assert r["error"]["code"] == -32803, r  # RequestFailed while the local engine loads
    failed += 1
    assert time.monotonic() < deadline, "no local fallback within 60 s: %s" % r
    time.sleep(0.1)
assert r["result"]["items"], r
print("answered by the local engine after %d RequestFailed replies" % failed)
c.call("shutdown", None)
c.notify("exit", None)
assert p.wait(timeout=30) == 0
err = p.stderr.read().decode()
assert "completing through the Stride app" in err and "completing with local engine" in err, err
print("bridge fallback: ok")
