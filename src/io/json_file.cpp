#include "io/json_file.h"

#include "util/error.h"
#include "util/mapped_file.h"

namespace argus::io {

nlohmann::json parse_json(const std::string& text, const std::string& what) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    fail("{}: malformed JSON at byte {}: {}", what, e.byte, e.what());
  } catch (const nlohmann::json::exception& e) {
    // e.g. out_of_range for a number like 9E777777777 that overflows a double.
    fail("{}: invalid JSON: {}", what, e.what());
  }
}

nlohmann::json read_json(const std::string& path) { return parse_json(read_file(path), path); }

}  // namespace argus::io
