// How a `Split` pre-tokenizer turns regex matches into pieces (the reference's
// SplitDelimiterBehavior).
#pragma once
#include <string>
#include <vector>

#include "text/pcre_regex.h"

namespace argus::text {

enum class SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };

// Throws argus::Error naming an unknown behaviour.
SplitBehavior parse_split_behavior(const std::string& name);

// Pieces of a text of length `len` given the matches of the pattern; `invert` swaps the roles
// of matches and the text between them. Empty pieces are dropped.
std::vector<Span> split_spans(size_t len, const std::vector<Span>& matches, SplitBehavior behavior, bool invert);

}  // namespace argus::text
