-- Stride inline completions for Neovim (works on 0.7.2): starts stride-lsp with
-- vim.lsp.start_client, asks textDocument/inlineCompletion while you type in insert mode, shows
-- the answer as ghost text (extmark virt_text for the cursor line, virt_lines for the rest) and
-- <Tab> accepts it. An accepted item's command (stride.accepted, with the item's history id) is
-- sent back as workspace/executeCommand, so the history records the acceptance.
local M = {}

local ns = vim.api.nvim_create_namespace("stride_ghost")
local config = { cmd = { "stride-lsp" }, debounce_ms = 150, filetypes = nil }
local client_id = nil
local ghost = {}  -- bufnr -> { text = ..., row = ..., col = ..., command = LSP Command or nil }
local timer = nil

local function clear(bufnr)
  vim.api.nvim_buf_clear_namespace(bufnr, ns, 0, -1)
  ghost[bufnr] = nil
end

-- `command`: the item's LSP Command, run on the server once the item is accepted.
local function show(bufnr, row, col, text, command)
  clear(bufnr)
  if text == nil or text == "" then return end
  local lines = vim.split(text, "\n", { plain = true })
  local opts = { virt_text = { { lines[1], "Comment" } }, virt_text_pos = "overlay", hl_mode = "combine" }
  if #lines > 1 then
    local virt_lines = {}
    for i = 2, #lines do table.insert(virt_lines, { { lines[i], "Comment" } }) end
    opts.virt_lines = virt_lines
  end
  -- overlay would hide the text right of the cursor: put the first line at the end of the line then.
  local line = vim.api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1] or ""
  if col < #line then opts.virt_text_pos = "eol" end
  vim.api.nvim_buf_set_extmark(bufnr, ns, row, col, opts)
  ghost[bufnr] = { text = text, row = row, col = col, command = command }
end

local function request(bufnr)
  local client = client_id and vim.lsp.get_client_by_id(client_id)
  if not client then return end
  local params = vim.lsp.util.make_position_params(0, client.offset_encoding)
  local cursor = vim.api.nvim_win_get_cursor(0)
  local row, col = cursor[1] - 1, cursor[2]
  client.request("textDocument/inlineCompletion", params, function(err, result)
    if err or not result then return end
    local cur = vim.api.nvim_win_get_cursor(0)
    if cur[1] - 1 ~= row or cur[2] ~= col or vim.api.nvim_get_mode().mode ~= "i" then return end
    local items = result.items or result
    if items[1] then show(bufnr, row, col, items[1].insertText, items[1].command) else clear(bufnr) end
  end, bufnr)
end

-- Inserts the shown completion at the cursor; returns false when there is none.
function M.accept()
  local bufnr = vim.api.nvim_get_current_buf()
  local g = ghost[bufnr]
  if not g then return false end
  clear(bufnr)
  local lines = vim.split(g.text, "\n", { plain = true })
  vim.api.nvim_buf_set_text(bufnr, g.row, g.col, g.row, g.col, lines)
  local last_row = g.row + #lines - 1
  local last_col = (#lines == 1 and g.col or 0) + #lines[#lines]
  vim.api.nvim_win_set_cursor(0, { last_row + 1, last_col })
  -- LSP clients run an accepted item's command; this plugin accepts ghost text itself, so it asks
  -- the server to run it (stride-lsp then records the completion as accepted).
  local client = client_id and vim.lsp.get_client_by_id(client_id)
  if client and g.command and g.command.command then
    client.request("workspace/executeCommand", { command = g.command.command, arguments = g.command.arguments },
      function(err)
        if err then vim.notify("stride: " .. g.command.command .. " failed: " .. (err.message or "?"), vim.log.levels.WARN) end
      end, bufnr)
  end
  return true
end

function M.current(bufnr) return ghost[bufnr or vim.api.nvim_get_current_buf()] end
function M.client_id() return client_id end
M.request = request
M.show = show

local function attach(bufnr)
  if not client_id then
    client_id = vim.lsp.start_client({
      name = "stride",
      cmd = config.cmd,
      root_dir = vim.fn.getcwd(),
      -- positionEncodings is 3.17; Neovim 0.7 speaks utf-16, stride-lsp's default.
    })
  end
  if client_id then vim.lsp.buf_attach_client(bufnr, client_id) end
  local group = vim.api.nvim_create_augroup("stride_buf_" .. bufnr, { clear = true })
  vim.api.nvim_create_autocmd({ "TextChangedI", "CursorMovedI" }, {
    group = group, buffer = bufnr,
    callback = function()
      clear(bufnr)
      if timer then timer:stop() end
      timer = vim.defer_fn(function() request(bufnr) end, config.debounce_ms)
    end,
  })
  vim.api.nvim_create_autocmd("InsertLeave", { group = group, buffer = bufnr, callback = function() clear(bufnr) end })
  vim.keymap.set("i", "<Tab>", function()
    if not M.accept() then
      vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes("<Tab>", true, false, true), "n", false)
    end
  end, { buffer = bufnr, desc = "Stride: accept completion" })
end

function M.setup(opts)
  config = vim.tbl_extend("force", config, opts or {})
  vim.api.nvim_create_autocmd("FileType", {
    pattern = config.filetypes or "*",
    callback = function(args) attach(args.buf) end,
  })
end

return M
