#!/bin/sh
# Skips (exit 77) with a reason when Neovim is missing.
command -v nvim >/dev/null 2>&1 || { echo "SKIP: nvim not installed"; exit 77; }
exec timeout 120 nvim --headless -u NONE -c "luafile $1"
