// A parsed Jinja template (argus' subset, see builtins.h) and its renderer.
#pragma once
#include <memory>
#include <string>

#include "text/jinja/ast.h"
#include "text/jinja/value.h"

namespace argus::text::jinja {

class Template {
 public:
  // Throws argus::Error naming line/column on syntax errors and unsupported constructs.
  static std::shared_ptr<const Template> parse(const std::string& source);

  // `vars`: an object of template variables. Jinja's globals that chat templates call
  // (raise_exception, namespace, range, dict, strftime_now) are there too. Throws argus::Error
  // on runtime errors (undefined attribute access, type errors, raise_exception, limits).
  std::string render(const json& vars) const;

 private:
  Body body_;
};

}  // namespace argus::text::jinja
