// OpenAI's CLIP BPE vocabulary (bpe_simple_vocab_16e6.txt.gz, MIT, from the openai/CLIP
// repository; assets/ in this repository), compiled into the binary gzip-compressed as it
// comes, because open_clip checkpoints usually ship no tokenizer files of their own.
#pragma once
#include <cstddef>

namespace argus::text {

extern const unsigned char kClipBpeVocabGz[];
extern const size_t kClipBpeVocabGz_size;

}  // namespace argus::text
