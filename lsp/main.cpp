// stride-lsp: the Stride language server. Serves inline completions over LSP on stdio (default),
// loopback TCP or a Unix socket. Completions come from the desktop app through the bridge when it
// is running (one engine for every editor), else from an engine loaded in this process.
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <thread>
#include <unistd.h>

#include "bridge/bridge_backend.h"
#include "bridge/bridge_client.h"
#include "bridge/bridge_protocol.h"
#include "completion/completion_service.h"
#include "server/session_runner.h"
#include "stride/engine.h"

namespace {

const char* kUsage =
    "usage: stride-lsp [--tcp PORT | --socket PATH] [--model DIR] [--backend auto|cpu|cuda]\n"
    "                  [--threads N] [--strategy NAME] [--max-tokens N] [--max-lines N]\n"
    "                  [--bridge PATH | --no-bridge] [--bridge-timeout MS] [--bridge-reply-timeout MS]\n"
    "                  [--history PATH | --no-history]\n"
    "Serves LSP on stdio unless --tcp (127.0.0.1 only) or --socket is given.\n"
    "The model: --model, else $STRIDE_MODEL, else " STRIDE_DEFAULT_MODEL ".\n";

struct Args {
  int tcp_port = -1;
  std::string socket_path, model, bridge_path, history_path;
  bool use_bridge = true, use_history = true;
  stride::BridgeTimeouts bridge_timeouts;
  stride::EngineOptions engine;
  stride::CompletionSettings settings;
};

Args parse_args(int argc, char** argv) {
  Args a;
  auto value = [&](int& i) -> std::string {
    if (i + 1 >= argc) throw stride::Error(std::string(argv[i]) + " needs a value");
    return argv[++i];
  };
  auto number = [&](int& i) {
    const std::string name = argv[i], v = value(i);
    try {
      size_t used = 0;
      int n = std::stoi(v, &used);
      if (used != v.size() || n < 0) throw std::invalid_argument(v);
      return n;
    } catch (const std::exception&) {
      throw stride::Error(name + ": not a number: " + v);
    }
  };
  for (int i = 1; i < argc; ++i) {
    const std::string s = argv[i];
    if (s == "--tcp") a.tcp_port = number(i);
    else if (s == "--socket") a.socket_path = value(i);
    else if (s == "--model") a.model = value(i);
    else if (s == "--backend") a.engine.backend = stride::parse_backend(value(i));
    else if (s == "--threads") a.engine.threads = number(i);
    else if (s == "--strategy") a.settings.strategy = stride::parse_strategy(value(i));
    else if (s == "--max-tokens") a.settings.max_tokens = number(i);
    else if (s == "--max-lines") a.settings.max_lines = number(i);
    else if (s == "--bridge") a.bridge_path = value(i);
    else if (s == "--no-bridge") a.use_bridge = false;
    else if (s == "--bridge-timeout") a.bridge_timeouts.greeting_ms = number(i);
    else if (s == "--bridge-reply-timeout") a.bridge_timeouts.reply_ms = number(i);
    else if (s == "--history") a.history_path = value(i);
    else if (s == "--no-history") a.use_history = false;
    else if (s == "--stdio") {}  // the default; vscode-languageclient passes it
    else if (s == "--help" || s == "-h") {
      std::cout << kUsage;
      std::exit(0);
    } else throw stride::Error("unknown option " + s);
  }
  if (a.model.empty()) {
    const char* env = std::getenv("STRIDE_MODEL");
    a.model = env && *env ? env : STRIDE_DEFAULT_MODEL;
  }
  a.engine.model_dir = a.model;
  return a;
}

stride::lsp::Listener* g_listener = nullptr;
std::atomic<bool> g_stop{false};

void on_signal(int) {
  g_stop = true;
  if (g_listener) g_listener->close();
}

}  // namespace

int main(int argc, char** argv) {
  using namespace stride;
  std::signal(SIGPIPE, SIG_IGN);
  Args args;
  try {
    args = parse_args(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "stride-lsp: " << e.what() << "\n" << kUsage;
    return 2;
  }

  std::unique_ptr<HistoryStore> history;
  if (args.use_history) {
    try {
      history = HistoryStore::open(args.history_path.empty() ? HistoryStore::default_path() : args.history_path);
    } catch (const std::exception& e) {
      std::cerr << "stride-lsp: history disabled: " << e.what() << "\n";
    }
  }
  std::mutex history_mutex;

  auto loader = std::make_shared<lsp::BackendLoader>();
  std::shared_ptr<CompletionService> service;
  std::shared_ptr<lsp::CompletionBackend> local_backend;  // set once the local engine is loaded
  std::mutex local_mutex;
  std::thread load_thread;
  std::atomic<bool> load_done{true};  // false only while a local load runs
  // Loads the engine in this process, in the background (initialize and documents are served
  // meanwhile). `report` = drive `loader` (no bridge) rather than stand by as the bridge's fallback.
  auto start_local_load = [&](bool report) {
    load_done = false;
    load_thread = std::thread([&, report] {
      try {
        EngineOptions opts = args.engine;
        if (report) opts.on_load_progress = [&](float f) { loader->report_progress(f, "loading " + opts.model_dir); };
        std::shared_ptr<Engine> engine = Engine::load(opts);
        std::shared_ptr<CompletionService> svc = CompletionService::create(engine);
        const std::string what = "local engine (" + engine->model_info().name + ", " + engine->device_info().name + ")";
        std::cerr << "stride-lsp: completing with " << what << "\n";
        auto backend = std::make_shared<lsp::ServiceBackend>(svc, what);
        {
          std::lock_guard lock(local_mutex);
          service = svc;
          local_backend = backend;
        }
        if (report) loader->set_ready(backend);
      } catch (const std::exception& e) {
        std::cerr << "stride-lsp: " << e.what() << "\n";
        if (report) loader->set_failed(e.what());
      }
      load_done = true;
    });
  };

  std::shared_ptr<BridgeClient> bridge;
  const std::string bridge_path = args.bridge_path.empty() ? bridge::default_socket_path() : args.bridge_path;
  if (args.use_bridge) bridge = BridgeClient::connect(bridge_path, args.bridge_timeouts);
  if (bridge) {
    std::cerr << "stride-lsp: completing through " << bridge->describe() << "\n";
    // Should the app go away later: reconnect, else load the engine here once and use it.
    bool fallback_started = false;
    auto fallback = [&, fallback_started]() mutable -> std::shared_ptr<lsp::CompletionBackend> {
      std::lock_guard lock(local_mutex);
      if (!fallback_started) {
        fallback_started = true;
        std::cerr << "stride-lsp: the Stride app is gone; loading the model here\n";
        start_local_load(false);
      }
      return local_backend;
    };
    loader->set_ready(std::make_shared<BridgeBackend>(bridge, bridge_path, args.bridge_timeouts, fallback));
  } else {
    if (args.use_bridge) std::cerr << "stride-lsp: no Stride app answering on " << bridge_path << "; loading the model here\n";
    start_local_load(true);
  }

  lsp::ServerOptions options;
  options.history = history.get();
  options.history_mutex = &history_mutex;
  options.settings = args.settings;
  options.version = "0.1.0";

  int code = 0;
  try {
    if (args.tcp_port >= 0 || !args.socket_path.empty()) {
      auto listener = args.tcp_port >= 0 ? lsp::Listener::tcp_loopback(args.tcp_port) : lsp::Listener::unix_socket(args.socket_path);
      g_listener = listener.get();
      std::signal(SIGINT, on_signal);
      std::signal(SIGTERM, on_signal);
      if (args.tcp_port >= 0) {
        std::cerr << "stride-lsp: listening on 127.0.0.1:" << listener->port() << std::endl;
      } else {
        std::cerr << "stride-lsp: listening on " << args.socket_path << std::endl;
      }
      lsp::serve_connections(*listener, loader, options, g_stop);
      g_listener = nullptr;
    } else {
      lsp::FdStream stdio(STDIN_FILENO, STDOUT_FILENO, false);
      code = lsp::run_session(stdio, loader, options);
    }
  } catch (const std::exception& e) {
    std::cerr << "stride-lsp: " << e.what() << "\n";
    code = 1;
  }

  if (!load_done) {
    // Still loading weights: nothing to save but the history; leave without waiting.
    history.reset();
    load_thread.detach();
    std::_Exit(code);
  }
  if (load_thread.joinable()) load_thread.join();
  loader.reset();  // the sessions are over; drops the bridge connection
  bridge.reset();
  if (service) service->shutdown();
  return code;
}
