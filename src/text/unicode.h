// Unicode normalisation and case mapping (utf8proc) as the Hugging Face normalisers do them.
// Inputs must be valid UTF-8.
#pragma once
#include <string>
#include <string_view>

namespace argus::text {

enum class NormalForm { NFC, NFD, NFKC, NFKD };
std::string normalize_unicode(std::string_view s, NormalForm form);

// Full lowercase mapping per code point, without context (no final sigma), like Rust's
// char::to_lowercase that the `Lowercase` normaliser uses.
std::string lowercase(std::string_view s);

// Drops combining marks (category Mn); meant to follow NFD, like `StripAccents`.
std::string strip_accents(std::string_view s);

// Unicode White_Space, as Rust's char::is_whitespace.
bool is_unicode_whitespace(char32_t c);
// Letter, number or connector punctuation (regex \w with Unicode semantics).
bool is_word_char(char32_t c);

}  // namespace argus::text
