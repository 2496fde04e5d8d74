// The bounds on the lists a chat or completion request carries, the same for the CLI
// (ask, chat, generate, template) and the server: each is checked on the count, before
// any image is decoded or any text rendered. Token counts are bounded separately (the
// model's context, --max-prompt-tokens).
#pragma once
#include <cstddef>
#include <string>
#include <vector>

namespace argus::tasks {

constexpr size_t kMaxMessages = 1024;     // messages in one request
constexpr size_t kMaxContentParts = 64;   // typed parts in one message
constexpr size_t kMaxImages = 16;         // images in one request (each is decoded and encoded)
constexpr size_t kMaxStopStrings = 4;     // OpenAI's limit
constexpr size_t kMaxStopBytes = 256;     // each is searched for after every token

void check_message_count(size_t n);
void check_content_part_count(size_t n);
void check_image_count(size_t n);
void check_stop_strings(const std::vector<std::string>& stop);

}  // namespace argus::tasks
