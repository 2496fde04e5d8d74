#include "text/split.h"

#include <algorithm>

#include "util/error.h"

namespace argus::text {

SplitBehavior parse_split_behavior(const std::string& name) {
  if (name == "Removed") return SplitBehavior::Removed;
  if (name == "Isolated") return SplitBehavior::Isolated;
  if (name == "MergedWithPrevious") return SplitBehavior::MergedWithPrevious;
  if (name == "MergedWithNext") return SplitBehavior::MergedWithNext;
  if (name == "Contiguous") return SplitBehavior::Contiguous;
  fail("unsupported Split behavior \"{}\"", name);
}

std::vector<Span> split_spans(size_t len, const std::vector<Span>& matches, SplitBehavior behavior, bool invert) {
  // The whole text as alternating (span, is_match) parts, as the reference's find_matches.
  std::vector<std::pair<Span, bool>> parts;
  if (len == 0) {
    parts.push_back({{0, 0}, false});
  } else {
    size_t prev = 0;
    for (auto m : matches) {
      if (prev != m.first) parts.push_back({{prev, m.first}, false});
      parts.push_back({m, true});
      prev = m.second;
    }
    if (prev != len) parts.push_back({{prev, len}, false});
  }
  if (invert)
    for (auto& p : parts) p.second = !p.second;

  std::vector<Span> out;
  switch (behavior) {
    case SplitBehavior::Isolated:
      for (auto& p : parts) out.push_back(p.first);
      break;
    case SplitBehavior::Removed:
      for (auto& p : parts)
        if (!p.second) out.push_back(p.first);
      break;
    case SplitBehavior::MergedWithPrevious: {
      bool prev_match = false;
      for (auto& p : parts) {
        if (p.second && !prev_match && !out.empty())
          out.back().second = p.first.second;
        else
          out.push_back(p.first);
        prev_match = p.second;
      }
      break;
    }
    case SplitBehavior::MergedWithNext: {
      bool prev_match = false;
      for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
        if (it->second && !prev_match && !out.empty())
          out.back().first = it->first.first;
        else
          out.push_back(it->first);
        prev_match = it->second;
      }
      std::reverse(out.begin(), out.end());
      break;
    }
    case SplitBehavior::Contiguous: {
      bool prev_match = false;
      bool first = true;
      for (auto& p : parts) {
        if (!first && p.second == prev_match)
          out.back().second = p.first.second;
        else
          out.push_back(p.first);
        prev_match = p.second;
        first = false;
      }
      break;
    }
  }
  std::vector<Span> nonempty;
  for (auto s : out)
    if (s.second > s.first) nonempty.push_back(s);
  return nonempty;
}

}  // namespace argus::text
