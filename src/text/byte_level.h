// GPT-2's reversible byte <-> printable-character table, used by CLIP and byte-level BPE:
// every byte gets a visible character so BPE vocabularies never hold raw control bytes.
#pragma once
#include <array>
#include <string>
#include <string_view>

namespace argus::text {

// UTF-8 of the character standing for each byte.
const std::array<std::string, 256>& byte_level_chars();

// The 256 bytes in the table's construction order (printable ranges first), which is the order
// the original CLIP vocabulary lists them in.
const std::array<unsigned char, 256>& byte_level_order();

std::string to_byte_level(std::string_view bytes);

// Maps a byte-level string back to bytes; false (out untouched) if some character is not in
// the table.
bool from_byte_level(std::string_view token, std::string& out);

}  // namespace argus::text
