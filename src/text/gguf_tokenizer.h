// The tokenizer a GGUF file carries in its metadata (tokenizer.ggml.*), as argus's own
// tokenizers: `llama` vocabularies (SentencePiece BPE: pieces, scores, token types) become
// an SpmModel, `gpt2` vocabularies (byte-level BPE: tokens and merges) a tokenizer.json
// pipeline with the pre-tokenizer that `tokenizer.ggml.pre` names. Other vocabulary kinds,
// and pre-tokenizers argus does not know, are errors naming them.
#pragma once
#include <memory>
#include <string>

#include "io/gguf.h"
#include "text/tokenizer.h"

namespace argus::text {

std::unique_ptr<Tokenizer> gguf_tokenizer(const io::GgufFile& f);

}  // namespace argus::text
