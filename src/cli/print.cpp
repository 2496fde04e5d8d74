#include <cstdio>

#include "cli/commands.h"

namespace argus::cli {

void print_json(const nlohmann::json& j) {
  std::string s = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::fwrite(s.data(), 1, s.size(), stdout);
  std::fputc('\n', stdout);
}

namespace {
std::vector<std::string>& args_store() {
  static std::vector<std::string> args;
  return args;
}
}  // namespace

void set_command_line(int argc, char** argv) { args_store().assign(argv + 1, argv + argc); }
const std::vector<std::string>& command_line() { return args_store(); }

}  // namespace argus::cli
