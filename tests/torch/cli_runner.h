// Runs the argus binary as a user would and captures exit code, stdout, stderr.
#pragma once
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include "../common/temp_dir.h"

namespace argus::test {

struct CliResult {
  int rc = -1;
  std::string out, err;
  nlohmann::json json() const { return nlohmann::json::parse(out); }
};

inline std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// Runs argus with `input` piped to stdin (as in `printf ... | argus chat`); with
// no input, stdin is /dev/null.
// `global` are the options before the subcommand (tests run on one thread unless they
// say otherwise); `env` are VAR=value assignments for the run.
inline CliResult run_cli_input(const std::vector<std::string>& args, const std::string* input,
                               const std::vector<std::string>& global = {"--threads", "1"},
                               const std::vector<std::string>& env = {}) {
  static int counter = 0;
  std::filesystem::path dir = argus::test::process_temp_dir("cli_runs");
  std::string base = (dir / ("run" + std::to_string(counter++))).string();
  std::string cmd;
  if (input) {
    std::ofstream(base + ".in") << *input;
    cmd = "cat " + base + ".in | ";
  }
  if (!env.empty()) cmd += "env";
  for (const auto& e : env) cmd += " " + shell_quote(e);
  cmd += " " + shell_quote(ARGUS_BINARY);
  for (const auto& g : global) cmd += " " + shell_quote(g);
  for (const auto& a : args) cmd += " " + shell_quote(a);
  cmd += " >" + base + ".out 2>" + base + ".err";
  if (!input) cmd += " </dev/null";
  int status = std::system(cmd.c_str());
  CliResult r;
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  auto slurp = [](const std::string& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  r.out = slurp(base + ".out");
  r.err = slurp(base + ".err");
  return r;
}

inline CliResult run_cli(const std::vector<std::string>& args) { return run_cli_input(args, nullptr); }

// A clean error: non-zero exit, exactly one line on stderr, nothing crashed.
#define EXPECT_CLEAN_ERROR(r, needle)                                                             \
  do {                                                                                            \
    EXPECT_EQ((r).rc, 1) << (r).err;                                                              \
    EXPECT_EQ(std::count((r).err.begin(), (r).err.end(), '\n'), 1) << (r).err;                    \
    EXPECT_NE((r).err.find(needle), std::string::npos) << (r).err;                                \
  } while (0)

}  // namespace argus::test
