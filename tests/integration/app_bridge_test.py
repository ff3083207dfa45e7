"""The bridge with the real desktop app: `stride` runs offscreen with the tiny model and listens on
the per-user bridge socket; stride-lsp, given a model folder that does not exist, can only answer
through it — one engine, one copy of the weights, for the app and the editor."""
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lsp", "scripts"))
from lsp_client import LspClient  # noqa: E402

app, lsp, model = sys.argv[1:4]
runtime = tempfile.mkdtemp()
os.chmod(runtime, 0o700)
env = dict(os.environ, XDG_RUNTIME_DIR=runtime, QT_QPA_PLATFORM="offscreen",
           XDG_DATA_HOME=os.path.join(runtime, "data"), XDG_CONFIG_HOME=os.path.join(runtime, "config"))
sock = os.path.join(runtime, "stride", "bridge.sock")
shot = os.path.join(runtime, "quit.png")
# --screenshot/--after-ms makes the app quit by itself (cleanly, removing its socket).
a = subprocess.Popen([app, "--model", model, "--screenshot", shot, "--after-ms", "60000"], env=env,
                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
deadline = time.time() + 45
while not os.path.exists(sock):
    assert a.poll() is None, "the app exited early:\n" + a.stdout.read().decode(errors="replace")
    assert time.time() < deadline, "the app never opened its bridge socket"
    time.sleep(0.2)

p = subprocess.Popen([lsp, "--bridge", sock, "--no-history", "--model", "/nonexistent"], env=env,
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
c = LspClient(p.stdout.read1, lambda b: (p.stdin.write(b), p.stdin.flush()))
c.initialize()
c.open("file:///b.py", "def add(a, b):\n    return ")
r = c.call("textDocument/inlineCompletion", LspClient.position("file:///b.py", 1, 11))
assert "result" in r and r["result"]["items"], r
print("stride-lsp via the app:", repr(r["result"]["items"][0]["insertText"]))
c.call("shutdown", None)
c.notify("exit", None)
rc = p.wait(timeout=30)
err = p.stderr.read()
assert rc == 0, "stride-lsp exit code %d, stderr:\n%s" % (rc, err.decode(errors="replace"))
assert b"completing through the Stride app" in err, err
a.terminate()
a.wait(timeout=30)
print("app bridge: stride-lsp served by the running app's engine")
