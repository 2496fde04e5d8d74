// COCO run-length encoding of binary masks, as pycocotools writes it: runs over the
// mask in column-major (Fortran) order, the first run counting zeros, and the
// compressed string form (LEB128-like 5-bit groups offset by 48, each count from the
// third on stored as the difference to the count two before it).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace argus::image {

struct MaskRle {
  int height = 0, width = 0;
  std::string counts;  // compressed string form
};

// `mask` is row-major [height, width]; any non-zero byte is foreground.
std::vector<uint32_t> rle_runs(const uint8_t* mask, int height, int width);
std::string rle_compress(const std::vector<uint32_t>& runs);
MaskRle rle_encode(const uint8_t* mask, int height, int width);

// Inverse of rle_compress; a malformed string is an error.
std::vector<uint32_t> rle_decompress(const std::string& counts);
// Row-major 0/1 mask; runs that do not add up to height*width are an error.
std::vector<uint8_t> rle_decode(const MaskRle& rle);

}  // namespace argus::image
