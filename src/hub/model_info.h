// The hub's model-info answer (GET /api/models/<id>/revision/<rev>): the commit a
// revision resolves to and the repository's file names. Parsed apart from the HTTP
// client so that it can be fuzzed (tests/fuzz/fuzz_hub_json.cpp): the body is whatever
// HF_ENDPOINT's server sends.
#pragma once
#include <string>
#include <vector>

namespace argus::hub {

struct ModelInfo {
  std::string commit;               // 40 hex digits
  std::vector<std::string> files;   // relative, normalised, never climbing out
};

// `what` names the answer in errors (argus::Error, one line).
ModelInfo parse_model_info(const std::string& body, const std::string& what);

}  // namespace argus::hub
