#include "text/jinja/template.h"

#include "text/jinja/evaluator.h"
#include "text/jinja/lexer.h"
#include "text/jinja/parser.h"

namespace argus::text::jinja {

std::shared_ptr<const Template> Template::parse(const std::string& source) {
  auto t = std::shared_ptr<Template>(new Template());
  t->body_ = jinja::parse(tokenize(source));
  return t;
}

std::string Template::render(const json& vars) const { return evaluate(body_, vars); }

}  // namespace argus::text::jinja
