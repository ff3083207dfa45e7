// Stands in for the desktop app in the bridge test: loads the engine once, serves it through
// BridgeServer on the given socket until stdin closes, then prints how many connections it served.
#include <iostream>

#include "bridge/bridge_server.h"
#include "completion/completion_service.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: stride-bridge-host MODEL_DIR SOCKET_PATH\n";
    return 2;
  }
  try {
    stride::EngineOptions opts;
    opts.model_dir = argv[1];
    opts.backend = stride::BackendKind::Cpu;
    std::shared_ptr<stride::Engine> engine = stride::Engine::load(opts);
    auto service = stride::CompletionService::create(engine);
    stride::BridgeServer server(*service, argv[2]);
    server.start();
    std::cout << "ready " << server.socket_path() << std::endl;
    std::string line;
    while (std::getline(std::cin, line)) {}
    server.stop();
    std::cout << "served " << server.connections_served() << std::endl;
    service->shutdown();
  } catch (const std::exception& e) {
    std::cerr << "stride-bridge-host: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
