#!/bin/sh
# Installs the npm packages (package-lock.json) into the git-ignored node_modules, then runs the test.
# Skips (exit 77) with a reason when node/npm are missing or the packages cannot be installed.
cd "$(dirname "$0")" || exit 1
command -v node >/dev/null 2>&1 || { echo "SKIP: node not installed"; exit 77; }
if [ ! -d node_modules/vscode-languageserver-protocol ]; then
  command -v npm >/dev/null 2>&1 || { echo "SKIP: npm not installed"; exit 77; }
  npm ci --no-audit --no-fund >/dev/null 2>&1 || { echo "SKIP: npm ci failed (no registry?)"; exit 77; }
fi
exec timeout 120 node lsp_node_test.js "$@"
