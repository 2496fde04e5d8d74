// Renders a parsed template: scopes (a for loop's `set` stays in the loop, as in Jinja),
// loop variables, macros, Python operator semantics, and the limits that stop a runaway
// template (steps, call depth, output size).
#pragma once
#include <string>

#include "text/jinja/ast.h"
#include "text/jinja/value.h"

namespace argus::text::jinja {

std::string evaluate(const Body& body, const json& vars);

}  // namespace argus::text::jinja
