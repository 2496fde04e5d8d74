// check_config_sizes: config.json's sizes must be evidenced by the checkpoint's tensor
// shapes before anything is allocated from them (issue 24, item 7).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "../common/error_of.h"
#include "../common/temp_dir.h"
#include "io/checkpoint.h"
#include "io/config_sizes.h"
#include "io/json_file.h"

using namespace argus;
using argus::test::error_of;
namespace fs = std::filesystem;

namespace {

const fs::path kFixtures = fs::path(ARGUS_SHARED_DIR) / "fixtures";

// A copy of a fixture whose config.json has `path` (JSON pointer) set to `value`; the
// weights are linked, not copied.
std::string edited(const std::string& family, const std::string& pointer, const nlohmann::json& value) {
  const fs::path dir = test::fresh_temp_dir("config_sizes_" + family);
  for (const auto& e : fs::directory_iterator(kFixtures / family))
    if (e.path().extension() == ".safetensors" && e.path().filename().string().rfind("io.", 0) != 0)
      fs::create_symlink(e.path(), dir / e.path().filename());
  auto cfg = io::read_json((kFixtures / family / "config.json").string());
  cfg[nlohmann::json::json_pointer(pointer)] = value;
  std::ofstream(dir / "config.json") << cfg.dump();
  return dir.string();
}

std::string check(const std::string& dir) {
  return error_of([&] { io::check_config_sizes(io::Checkpoint::open(dir)); });
}

}  // namespace

TEST(ConfigSizes, EveryFixtureThatArgusLoadsPasses) {
  for (const char* f : {"clip", "siglip", "llama", "qwen2", "mistral", "llava", "sam", "owlvit", "owlv2", "clipseg",
                        "grounding_dino", "blip2"})
    EXPECT_EQ(check((kFixtures / f).string()), "") << f;
}

TEST(ConfigSizes, AbsurdSizesAreRefusedNamingTheKey) {
  struct Case {
    const char* family;
    const char* pointer;
    int64_t value;
    const char* named;
  };
  for (const Case& c : {Case{"clip", "/text_config/hidden_size", 100000, "text_config.hidden_size is 100000"},
                        Case{"clip", "/vision_config/num_hidden_layers", 1000000, "vision_config.num_hidden_layers is 1000000"},
                        Case{"clip", "/text_config/vocab_size", 1000000000, "text_config.vocab_size is 1000000000"},
                        Case{"clip", "/vision_config/image_size", 100000, "vision_config.image_size is 100000"},
                        Case{"llama", "/hidden_size", 1000000000, "hidden_size is 1000000000"},
                        Case{"llama", "/num_hidden_layers", 100000, "num_hidden_layers is 100000"},
                        Case{"llama", "/num_hidden_layers", -3, "num_hidden_layers is -3, which is negative"},
                        Case{"sam", "/vision_config/image_size", 1000000, "vision_config.image_size is 1000000"},
                        Case{"llava", "/text_config/vocab_size", 100000000, "text_config.vocab_size is 100000000"},
                        Case{"blip2", "/qformer_config/hidden_size", 100000, "qformer_config.hidden_size is 100000"}}) {
    SCOPED_TRACE(std::string(c.family) + c.pointer);
    const std::string e = check(edited(c.family, c.pointer, c.value));
    EXPECT_NE(e.find(c.named), std::string::npos) << e;
    EXPECT_NE(e.find("config.json"), std::string::npos) << e;
  }
}
