// Base64 (RFC 4648, standard alphabet) decoding for data: URIs in API requests.
// Written here because none of the packaged libraries argus links exposes one.
// Torch-free: it reads untrusted bytes.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace argus::util {

// Padding is optional; ASCII whitespace is skipped (line-wrapped input). Any other
// byte outside the alphabet, or a length that cannot be base64, is an argus::Error.
// `max_bytes` bounds the decoded size before anything is allocated.
std::vector<uint8_t> base64_decode(std::string_view text, size_t max_bytes = SIZE_MAX);
std::string base64_encode(const uint8_t* data, size_t n);

}  // namespace argus::util
