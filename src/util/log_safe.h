// Text from a client, made safe to write into a log line: one line, printable ASCII,
// bounded length. Control bytes (a newline would forge a log entry), quotes,
// backslashes and non-ASCII bytes are written as \xHH escapes.
#pragma once
#include <string>
#include <string_view>

namespace argus::util {

std::string log_safe(std::string_view text, size_t max_chars = 256);

}  // namespace argus::util
