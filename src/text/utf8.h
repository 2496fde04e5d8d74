// UTF-8 helpers shared by the tokenizers: strict validation (input text), decoding, and the
// lossy repair that decoders apply to byte-level / byte-fallback output.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace argus::text {

// Throws argus::Error naming `what` and the offset of the first invalid byte.
void require_utf8(std::string_view s, const char* what = "text");
bool is_valid_utf8(std::string_view s, size_t* bad_offset = nullptr);

// Decodes the code point at s[i] of a valid UTF-8 string and advances i past it.
char32_t next_codepoint(std::string_view s, size_t& i);
void append_utf8(std::string& out, char32_t cp);

// Replaces each maximal invalid subpart with U+FFFD, as Rust's String::from_utf8_lossy does
// (the reference decoders are Rust).
std::string to_valid_utf8(std::string_view bytes);

// End of the prefix that needs no further bytes: everything except a trailing sequence that is
// valid so far but unfinished. Invalid bytes count as finished (they become U+FFFD).
size_t complete_utf8_end(std::string_view bytes);

}  // namespace argus::text
