// `argus lora merge`: a base checkpoint plus a PEFT LoRA adapter written out as one plain
// checkpoint, which every loader (and the Python stack) reads without knowing of LoRA.
#pragma once
#include <string>

namespace argus::tasks {

// Weights merged into out/model.safetensors (stored dtypes kept: W += s B A computed in
// float32); every other file of the base (config, tokenizer, processor) copied. `out`
// must not exist yet or be empty. Returns the number of layers merged.
size_t merge_lora_checkpoint(const std::string& base, const std::string& adapter, const std::string& out);

}  // namespace argus::tasks
