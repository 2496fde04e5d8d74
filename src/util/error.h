// The one exception type argus throws for bad input: its message is the single
// line the CLI prints before exiting non-zero.
#pragma once
#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace argus {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> f, Args&&... args) {
  throw Error(fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace argus
