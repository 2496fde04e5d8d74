// config.json's sizes checked against the checkpoint's tensor shapes (the safetensors
// headers: no tensor data is read) before any module is built: a hidden_size,
// num_hidden_layers, vocab_size or image_size of 10^5..10^9 would otherwise allocate
// gigabytes (or die in bad_alloc) before the strict loader could say the tensors
// disagree. Each of those keys, wherever it sits in the config (text_config,
// vision_config, ...), must be evidenced by the tensors:
//   hidden_size, vocab_size  some tensor has a dimension of that size;
//   num_hidden_layers N      some tensor key has the layer index N - 1 (".N-1.");
//   image_size S             with patch_size P in the same section: some tensor has a
//                            dimension S/P (a patch grid side), (S/P)^2 or (S/P)^2 + 1
//                            (position embeddings); sections of hierarchical backbones
//                            ("depths": Swin and the like) have no absolute grid.
// The strict loader still checks every shape exactly; this only keeps absurd values from
// reaching the allocator. Integers only (not booleans); other types are the config
// parsers' business.
#pragma once
#include "io/checkpoint.h"

namespace argus::io {

// Throws argus::Error naming the config key (dotted, e.g. text_config.hidden_size) and
// its value. A checkpoint without config.json or without tensors passes.
void check_config_sizes(const Checkpoint& ck);

}  // namespace argus::io
