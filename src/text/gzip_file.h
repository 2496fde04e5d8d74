// Whole .gz files (or gzip data) into memory (CLIP ships its merges as bpe_simple_vocab_16e6.txt.gz).
#pragma once
#include <string>

namespace argus::text {

// Throws argus::Error naming the file if it cannot be read, is corrupt, or inflates past
// `max_bytes` (a guard against decompression bombs).
std::string read_gzip_file(const std::string& path, size_t max_bytes = size_t{256} << 20);

// The same for gzip data already in memory; `what` names it in errors.
std::string inflate_gzip(const unsigned char* data, size_t size, const std::string& what,
                         size_t max_bytes = size_t{256} << 20);

}  // namespace argus::text
