"""Load test on loopback: N clients x M inline completions against one stride-lsp --tcp, with
$/cancelRequest and superseding requests mixed in. Every request must be answered with a result
or RequestCancelled (-32800); none may be lost. Prints p50/p95 latency of the answered ones."""
import re
import socket
import statistics
import subprocess
import sys
import threading
import time

from lsp_client import LspClient

CLIENTS, REQUESTS = 8, 50
lsp, extra = sys.argv[1], sys.argv[2:]
proc = subprocess.Popen([lsp, "--tcp", "0", "--no-bridge", "--no-history", "--backend", "cpu",
                         "--max-tokens", "8", "--strategy", "greedy"] + extra, stderr=subprocess.PIPE, text=True)
port = None
for line in proc.stderr:
    m = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
    if m:
        port = int(m.group(1))
        break
assert port, "stride-lsp did not report its port"
threading.Thread(target=lambda: [None for _ in proc.stderr], daemon=True).start()

latencies, results = [], {"answered": 0, "cancelled": 0, "lost": 0, "errors": []}
lock = threading.Lock()


def client(n):
    s = socket.create_connection(("127.0.0.1", port))
    c = LspClient(s.recv, s.sendall)
    c.initialize()
    uri = "file:///load/client%d.py" % n
    c.open(uri, "def f%d(x):\n    return " % n)
    for i in range(REQUESTS):
        c.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": i + 2},
                 "contentChanges": [{"text": "def f%d_%d(x):\n    return x * %d + " % (n, i, i)}]})
        ids = []
        t0 = time.perf_counter()
        if i % 7 == 3:  # a superseded request: the newer one for the document cancels it
            ids.append(c.request("textDocument/inlineCompletion", LspClient.position(uri, 1, 20)))
        rid = c.request("textDocument/inlineCompletion", LspClient.position(uri, 1, 30))
        ids.append(rid)
        if i % 5 == 1:
            c.notify("$/cancelRequest", {"id": rid})
        for r in ids:
            try:
                msg = c.wait(r, timeout=120)
            except TimeoutError:
                with lock:
                    results["lost"] += 1
                continue
            with lock:
                if "result" in msg:
                    results["answered"] += 1
                    if r == rid:
                        latencies.append((time.perf_counter() - t0) * 1000)
                elif msg.get("error", {}).get("code") == -32800:
                    results["cancelled"] += 1
                else:
                    results["errors"].append(msg)
    c.call("shutdown", None)
    c.notify("exit", None)
    s.shutdown(socket.SHUT_RDWR)
    s.close()


t0 = time.time()
threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
for t in threads:
    t.start()
for t in threads:
    t.join()
wall = time.time() - t0
proc.terminate()
try:
    proc.wait(timeout=30)
except subprocess.TimeoutExpired:
    proc.kill()
    raise SystemExit("stride-lsp did not stop on SIGTERM")
total = CLIENTS * REQUESTS + CLIENTS * len([i for i in range(REQUESTS) if i % 7 == 3])
q = statistics.quantiles(latencies, n=20) if len(latencies) >= 2 else [0] * 19
print("load: %d clients x %d requests (+ superseded ones): %d answered, %d cancelled, %d lost, %d errors, %.1f s"
      % (CLIENTS, REQUESTS, results["answered"], results["cancelled"], results["lost"], len(results["errors"]), wall))
print("load: latency of answered requests p50 %.1f ms, p95 %.1f ms" % (statistics.median(latencies), q[18]))
assert results["lost"] == 0 and not results["errors"], results["errors"][:3]
assert results["answered"] + results["cancelled"] == total, (results, total)
assert results["answered"] > 0 and results["cancelled"] > 0
