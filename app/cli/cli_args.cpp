#include "cli_args.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "stride/engine.h"

namespace stride::cli {

Args::Args(int argc, char** argv, int first, const std::vector<std::string>& flags) {
  for (int i = first; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) != 0) throw Error("unexpected argument '" + a + "'");
    std::string name = a.substr(2);
    if (std::find(flags.begin(), flags.end(), name) != flags.end()) {
      values_[name] = "1";
      continue;
    }
    if (i + 1 >= argc) throw Error("option --" + name + " needs a value");
    values_[name] = argv[++i];
  }
}

std::string Args::get(const std::string& name, const std::string& fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : it->second;
}

int Args::get_int(const std::string& name, int fallback) const {
  if (!has(name)) return fallback;
  try {
    return std::stoi(get(name));
  } catch (...) {
    throw Error("option --" + name + " needs an integer, got '" + get(name) + "'");
  }
}

double Args::get_double(const std::string& name, double fallback) const {
  if (!has(name)) return fallback;
  try {
    return std::stod(get(name));
  } catch (...) {
    throw Error("option --" + name + " needs a number, got '" + get(name) + "'");
  }
}

std::string Args::require(const std::string& name) const {
  if (!has(name)) throw Error("missing option --" + name);
  return get(name);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot read '" + path + "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace stride::cli
