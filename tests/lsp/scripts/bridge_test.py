"""The bridge: a host process (standing in for the app) loads the model once and serves it through
BridgeServer; two stride-lsp processes complete through it without loading the model themselves.
Each records its completions in one shared history (the app's role in production: the bridge records
nothing), and an item's stride.accepted command marks that process's own row accepted_all."""
import os
import sqlite3
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
history = os.path.join(tmp, "history.sqlite")


def history_row(row_id):
    db = sqlite3.connect(history)
    try:
        return db.execute("SELECT source, outcome FROM completions WHERE id = ?", (row_id,)).fetchone()
    finally:
        db.close()


for n in range(2):
    # A model path that does not exist: only the bridge can make this work.
    p = subprocess.Popen([lsp, "--bridge", sock, "--history", history, "--model", "/nonexistent"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    c = LspClient(p.stdout.read1, lambda b, p=p: (p.stdin.write(b), p.stdin.flush()))
    c.initialize()
    c.open("file:///b.py", "def add(a, b):\n    return ")
    r = c.call("textDocument/inlineCompletion", LspClient.position("file:///b.py", 1, 11))
    assert "result" in r and r["result"]["items"], r
    print("stride-lsp %d via bridge:" % n, repr(r["result"]["items"][0]["insertText"]))
    command = r["result"]["items"][0]["command"]
    assert command["command"] == "stride.accepted" and len(command["arguments"]) == 1, command
    row_id = command["arguments"][0]
    assert history_row(row_id) == ("lsp", "pending"), (row_id, history_row(row_id))
    a = c.call("workspace/executeCommand", {"command": command["command"], "arguments": command["arguments"]})
    assert "result" in a and a["result"] is None, a
    assert history_row(row_id) == ("lsp", "accepted_all"), (row_id, history_row(row_id))
    print("stride-lsp %d: history row %d accepted" % (n, row_id))
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
