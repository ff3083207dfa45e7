-- Headless Neovim (0.7.2) with the Stride plugin: the plugin starts stride-lsp, an inline
-- completion comes back, is shown as ghost text and <Tab>'s accept() inserts it.
local lsp_path, model, src = os.getenv("STRIDE_LSP"), os.getenv("STRIDE_MODEL"), os.getenv("STRIDE_NVIM_PLUGIN")
vim.opt.runtimepath:append(src)
local stride = require("stride")
stride.setup({ cmd = { lsp_path, "--no-bridge", "--no-history", "--backend", "cpu", "--model", model } })
vim.cmd("filetype on")
local file = os.tmpname() .. ".py"
vim.cmd("edit " .. file)
vim.api.nvim_buf_set_lines(0, 0, -1, false, { "def add(a, b):", "    return " })
local function fail(msg) io.stderr:write("FAIL: " .. msg .. "\n"); vim.cmd("cquit 1") end
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
print("nvim got completion: " .. vim.inspect(text))
require("stride")  -- show + accept as <Tab> would
local g = { text = text }
vim.api.nvim_win_set_cursor(0, { 2, 11 })
stride._show_for_test = nil
local before = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), "\n")
local show_ok = pcall(function() stride.show(vim.api.nvim_get_current_buf(), 1, 11, text) end)
if not show_ok or not stride.current() then fail("ghost text not shown") end
if #vim.api.nvim_buf_get_extmarks(0, vim.api.nvim_create_namespace("stride_ghost"), 0, -1, {}) ~= 1 then fail("no extmark") end
if not stride.accept() then fail("accept failed") end
local after = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), "\n")
if after ~= before .. text then fail("buffer after accept: " .. vim.inspect(after)) end
print("nvim: ghost text shown and accepted")
vim.cmd("qall!")
