// Runs `f` and returns the argus::Error message it threw ("" when nothing was thrown):
// tests assert on what the user would read.
#pragma once
#include <string>

#include "util/error.h"

namespace argus::test {

template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace argus::test
