"""A minimal LSP client over a byte stream (subprocess pipes or a socket) for the end-to-end tests."""
import json
import threading
import time


class LspClient:
    def __init__(self, read, write):
        self._read, self._write = read, write
        self._next_id = 1
        self._lock = threading.Lock()
        self._cv = threading.Condition()
        self._responses = {}
        self.notifications = []
        self._thread = threading.Thread(target=self._reader, daemon=True)
        self._thread.start()

    def _reader(self):
        buf = b""
        while True:
            try:
                chunk = self._read(65536)
            except OSError:
                chunk = b""
            if not chunk:
                break
            buf += chunk
            while True:
                end = buf.find(b"\r\n\r\n")
                if end < 0:
                    break
                length = None
                for line in buf[:end].split(b"\r\n"):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value.strip())
                if length is None or len(buf) < end + 4 + length:
                    break
                msg = json.loads(buf[end + 4:end + 4 + length])
                buf = buf[end + 4 + length:]
                with self._cv:
                    if "id" in msg and "method" not in msg:
                        self._responses[msg["id"]] = msg
                    elif "method" in msg and "id" in msg:
                        # server → client request (workDoneProgress/create): accept it
                        self.send({"jsonrpc": "2.0", "id": msg["id"], "result": None})
                    else:
                        self.notifications.append(msg)
                    self._cv.notify_all()
        with self._cv:
            self._closed = True
            self._cv.notify_all()

    def send(self, msg):
        body = json.dumps(msg).encode()
        with self._lock:
            self._write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def request(self, method, params):
        with self._lock:
            rid = self._next_id
            self._next_id += 1
        self.send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        return rid

    def notify(self, method, params):
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def wait(self, rid, timeout=120):
        deadline = time.time() + timeout
        with self._cv:
            while rid not in self._responses:
                left = deadline - time.time()
                if left <= 0:
                    raise TimeoutError("no answer to request %s" % rid)
                self._cv.wait(left)
            return self._responses.pop(rid)

    def call(self, method, params, timeout=120):
        return self.wait(self.request(method, params), timeout)

    def initialize(self):
        r = self.call("initialize", {"processId": None, "rootUri": None, "capabilities": {}})
        self.notify("initialized", {})
        return r

    def open(self, uri, text, language="python"):
        self.notify("textDocument/didOpen",
                    {"textDocument": {"uri": uri, "languageId": language, "version": 1, "text": text}})

    @staticmethod
    def position(uri, line, character):
        return {"textDocument": {"uri": uri}, "position": {"line": line, "character": character}}
