#include "text/bpe_files.h"

#include "util/error.h"

namespace argus::text {
namespace {

std::pair<std::string, std::string> split_merge(std::string_view line, size_t index, const std::string& what) {
  size_t sp = line.find(' ');
  if (sp == std::string_view::npos || sp == 0 || sp + 1 >= line.size() || line.find(' ', sp + 1) != std::string_view::npos)
    fail("{}: merge {} is not two tokens separated by one space", what, index + 1);
  return {std::string(line.substr(0, sp)), std::string(line.substr(sp + 1))};
}

}  // namespace

BpeModel::Vocab parse_vocab_json(const nlohmann::json& j, const std::string& what) {
  if (!j.is_object()) fail("{}: vocabulary must be a JSON object of token -> id", what);
  BpeModel::Vocab v;
  v.reserve(j.size());
  for (auto& [tok, id] : j.items()) {
    if (!id.is_number_integer()) fail("{}: id of token \"{}\" is not an integer", what, tok);
    v[tok] = id.get<int64_t>();
  }
  return v;
}

BpeModel::Merges parse_merges_json(const nlohmann::json& j, const std::string& what) {
  if (!j.is_array()) fail("{}: \"merges\" must be an array", what);
  BpeModel::Merges m;
  m.reserve(j.size());
  for (size_t i = 0; i < j.size(); ++i) {
    const auto& e = j[i];
    if (e.is_string()) {
      m.push_back(split_merge(e.get_ref<const std::string&>(), i, what));
    } else if (e.is_array() && e.size() == 2 && e[0].is_string() && e[1].is_string()) {
      m.emplace_back(e[0].get<std::string>(), e[1].get<std::string>());
    } else {
      fail("{}: merge {} is neither \"a b\" nor [\"a\", \"b\"]", what, i + 1);
    }
  }
  return m;
}

BpeModel::Merges parse_merges_txt(std::string_view text, const std::string& what) {
  BpeModel::Merges m;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.substr(0, 8) == "#version") continue;
    m.push_back(split_merge(line, m.size(), what));
  }
  return m;
}

}  // namespace argus::text
