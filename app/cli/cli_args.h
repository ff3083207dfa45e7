#pragma once

#include <map>
#include <string>
#include <vector>

namespace stride::cli {

// `--name value` and `--flag` options after a subcommand.
class Args {
 public:
  Args(int argc, char** argv, int first, const std::vector<std::string>& flags);
  bool has(const std::string& name) const { return values_.count(name) > 0; }
  std::string get(const std::string& name, const std::string& fallback = "") const;
  int get_int(const std::string& name, int fallback) const;
  double get_double(const std::string& name, double fallback) const;
  std::string require(const std::string& name) const;

 private:
  std::map<std::string, std::string> values_;
};

std::string read_file(const std::string& path);

}  // namespace stride::cli
