-- Headless Neovim (0.7.2) with the Stride plugin: the plugin starts stride-lsp, an inline
-- completion comes back, is shown as ghost text and <Tab>'s accept() inserts it and sends the
-- item's stride.accepted command, which marks the completion's history row accepted_all.
local lsp_path, model, src = os.getenv("STRIDE_LSP"), os.getenv("STRIDE_MODEL"), os.getenv("STRIDE_NVIM_PLUGIN")
vim.opt.runtimepath:append(src)
local stride = require("stride")
local history = os.tmpname() .. ".sqlite"
stride.setup({ cmd = { lsp_path, "--no-bridge", "--history", history, "--backend", "cpu", "--model", model } })
vim.cmd("filetype on")
local file = os.tmpname() .. ".py"
vim.cmd("edit " .. file)
vim.api.nvim_buf_set_lines(0, 0, -1, false, { "def add(a, b):", "    return " })
local function cleanup() for _, s in ipairs({ "", "-wal", "-shm" }) do os.remove(history .. s) end end
local function fail(msg) io.stderr:write("FAIL: " .. msg .. "\n"); cleanup(); vim.cmd("cquit 1") end
-- The outcome of history row `id`, read with Python's sqlite3 (another process, like the app).
local function outcome(id)
  local out = vim.fn.system({ "python3", "-c",
    "import sqlite3, sys; r = sqlite3.connect(sys.argv[1]).execute('SELECT outcome FROM completions WHERE id = ?', (int(sys.argv[2]),)).fetchone(); print(r[0] if r else '')",
    history, tostring(id) })
  return vim.trim(out)
end
local ok = vim.wait(20000, function()
  local c = stride.client_id() and vim.lsp.get_client_by_id(stride.client_id())
  return c and c.initialized
end, 50)
if not ok then fail("stride-lsp did not initialize") end
vim.api.nvim_win_set_cursor(0, { 2, 11 })
local client = vim.lsp.get_client_by_id(stride.client_id())
local answer = nil
client.request("textDocument/inlineCompletion", vim.lsp.util.make_position_params(0, client.offset_encoding),
  function(err, result) answer = err and { err = err } or result end, 0)
if not vim.wait(60000, function() return answer ~= nil end, 50) then fail("no answer") end
if answer.err or not answer.items or not answer.items[1] then fail("bad answer " .. vim.inspect(answer)) end
local text = answer.items[1].insertText
local command = answer.items[1].command
if type(command) ~= "table" or command.command ~= "stride.accepted" or type(command.arguments) ~= "table" then
  fail("item without the stride.accepted command: " .. vim.inspect(answer.items[1]))
end
local row_id = command.arguments[1]
if outcome(row_id) ~= "pending" then fail("history row " .. tostring(row_id) .. " is " .. outcome(row_id) .. ", not pending") end
print("nvim got completion: " .. vim.inspect(text))
require("stride")  -- show + accept as <Tab> would
local g = { text = text }
vim.api.nvim_win_set_cursor(0, { 2, 11 })
stride._show_for_test = nil
local before = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), "\n")
local show_ok = pcall(function() stride.show(vim.api.nvim_get_current_buf(), 1, 11, text, command) end)
if not show_ok or not stride.current() then fail("ghost text not shown") end
if #vim.api.nvim_buf_get_extmarks(0, vim.api.nvim_create_namespace("stride_ghost"), 0, -1, {}) ~= 1 then fail("no extmark") end
if not stride.accept() then fail("accept failed") end
local after = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), "\n")
if after ~= before .. text then fail("buffer after accept: " .. vim.inspect(after)) end
print("nvim: ghost text shown and accepted")
if not vim.wait(10000, function() return outcome(row_id) == "accepted_all" end, 100) then
  fail("history row " .. tostring(row_id) .. " is " .. outcome(row_id) .. " after accept, not accepted_all")
end
print("nvim: accept sent stride.accepted; history row " .. tostring(row_id) .. " is accepted_all")
cleanup()
vim.cmd("qall!")
