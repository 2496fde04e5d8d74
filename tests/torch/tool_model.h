// The LLaVA fixture under a small ChatML tool template (Hermes syntax, which also takes
// LLaVA's list-form content; tests/data/chat_templates/README.md): a chat model whose
// template prints tools, for the function-calling and agent tests.
#pragma once
#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "../common/temp_dir.h"
#include "parity.h"

namespace argus::test {

inline std::string tool_template() {
  std::ifstream in(std::string(ARGUS_TEST_DATA) + "/chat_templates/chatml-tools-multimodal.jinja");
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The fixture's files linked into a temp directory, with the tool template in its
// tokenizer_config.json.
inline std::string tool_model_dir() {
  namespace fs = std::filesystem;
  static const std::string dir = [] {
    fs::path d = fresh_temp_dir("tool_model");
    for (const auto& e : fs::directory_iterator(fixture("llava")))
      if (e.path().filename() != "tokenizer_config.json") fs::create_symlink(e.path(), d / e.path().filename());
    auto cfg = nlohmann::json::parse(std::ifstream(fixture("llava/tokenizer_config.json")));
    cfg["chat_template"] = tool_template();
    std::ofstream(d / "tokenizer_config.json") << cfg.dump();
    return d.string();
  }();
  return dir;
}

}  // namespace argus::test
