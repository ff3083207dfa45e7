// stride-lsp driven by Microsoft's vscode-jsonrpc / vscode-languageserver-protocol (what the VS Code
// client is built on): initialize, didOpen, didChange, textDocument/inlineCompletion, $/cancelRequest.
const cp = require("child_process");
const assert = require("assert");
const rpc = require("vscode-jsonrpc/node");
const { InitializeRequest, DidOpenTextDocumentNotification, DidChangeTextDocumentNotification,
        ShutdownRequest, ExitNotification, InitializedNotification } = require("vscode-languageserver-protocol");

const [lsp, model] = process.argv.slice(2);
const proc = cp.spawn(lsp, ["--no-bridge", "--no-history", "--backend", "cpu", "--model", model],
                      { stdio: ["pipe", "pipe", "inherit"] });
const conn = rpc.createMessageConnection(new rpc.StreamMessageReader(proc.stdout), new rpc.StreamMessageWriter(proc.stdin));
conn.onRequest("window/workDoneProgress/create", () => null);
conn.listen();

(async () => {
  const init = await conn.sendRequest(InitializeRequest.type,
    { processId: process.pid, rootUri: null, capabilities: { general: { positionEncodings: ["utf-16"] } } });
  assert.strictEqual(init.capabilities.positionEncoding, "utf-16");
  assert.ok(init.capabilities.inlineCompletionProvider);
  await conn.sendNotification(InitializedNotification.type, {});
  const uri = "file:///node/test.py";
  await conn.sendNotification(DidOpenTextDocumentNotification.type,
    { textDocument: { uri, languageId: "python", version: 1, text: "def add(a, b):\n    ret" } });
  await conn.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version: 2 },
    contentChanges: [{ range: { start: { line: 1, character: 7 }, end: { line: 1, character: 7 } }, text: "urn " }] });
  const params = { textDocument: { uri }, position: { line: 1, character: 11 }, context: { triggerKind: 1 } };
  const r = await conn.sendRequest("textDocument/inlineCompletion", params);
  assert.ok(r.items.length === 1 && typeof r.items[0].insertText === "string", JSON.stringify(r));
  assert.deepStrictEqual(r.items[0].range.start, { line: 1, character: 11 });
  console.log("node: inline completion", JSON.stringify(r.items[0].insertText));
  // Cancellation through vscode-jsonrpc's CancellationToken sends $/cancelRequest.
  const source = new rpc.CancellationTokenSource();
  const first = conn.sendRequest("textDocument/inlineCompletion", params, source.token);
  source.cancel();
  const second = conn.sendRequest("textDocument/inlineCompletion", params);
  let cancelled = false;
  try { await first; } catch (e) { cancelled = e.code === -32800; if (!cancelled) throw e; }
  const r2 = await second;
  assert.ok(r2.items, JSON.stringify(r2));
  console.log("node: first request", cancelled ? "cancelled (-32800)" : "answered before the cancel arrived");
  await conn.sendRequest(ShutdownRequest.type);
  await conn.sendNotification(ExitNotification.type);
  proc.on("exit", (code) => { assert.strictEqual(code, 0); console.log("node: ok"); process.exit(0); });
})().catch((e) => { console.error("FAIL", e); proc.kill(); process.exit(1); });
