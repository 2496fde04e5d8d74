// Jinja parser: tokens -> syntax tree. Unknown tags, filters and tests are rejected here,
// with their position, so an unsupported template fails before it renders anything.
#pragma once
#include <string>
#include <vector>

#include "text/jinja/ast.h"
#include "text/jinja/lexer.h"

namespace argus::text::jinja {

Body parse(const std::vector<Token>& tokens);

}  // namespace argus::text::jinja
