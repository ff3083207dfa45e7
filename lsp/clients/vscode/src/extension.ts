// Stride for VS Code: runs stride-lsp over stdio. vscode-languageclient 9 registers the LSP 3.18
// inline completion feature itself (textDocument/inlineCompletion → InlineCompletionItemProvider),
// so the ghost text, Tab to accept and cancellation when typing on come from VS Code. Acceptance
// needs no code here either: the client registers the server's executeCommandProvider commands
// (stride.accepted) as VS Code commands that send workspace/executeCommand, and converts each
// item's LSP command into the vscode.InlineCompletionItem's command, which VS Code runs on accept.
import * as vscode from "vscode";
import { LanguageClient, LanguageClientOptions, ServerOptions, TransportKind } from "vscode-languageclient/node";

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const cfg = vscode.workspace.getConfiguration("stride");
  const command = cfg.get<string>("serverPath", "stride-lsp");
  const model = cfg.get<string>("model", "");
  const args = model ? ["--model", model] : [];
  const serverOptions: ServerOptions = {
    run: { command, args, transport: TransportKind.stdio },
    debug: { command, args, transport: TransportKind.stdio },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: "file" }, { scheme: "untitled" }],
    outputChannelName: "Stride",
  };
  client = new LanguageClient("stride", "Stride", serverOptions, clientOptions);
  await client.start();
  context.subscriptions.push({ dispose: () => void client?.stop() });
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
