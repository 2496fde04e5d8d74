// Errors of the Jinja engine all name the template position, so a broken chat template in
// a checkpoint can be found and fixed.
#pragma once
#include <utility>

#include <fmt/format.h>

#include "util/error.h"

namespace argus::text::jinja {

template <typename... Args>
[[noreturn]] void fail_at(int line, int col, fmt::format_string<Args...> f, Args&&... args) {
  argus::fail("chat template line {}, column {}: {}", line, col, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace argus::text::jinja
