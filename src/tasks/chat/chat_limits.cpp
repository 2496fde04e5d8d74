#include "tasks/chat/chat_limits.h"

#include "util/error.h"

namespace argus::tasks {

void check_message_count(size_t n) {
  if (n > kMaxMessages) fail("chat: {} messages is over the limit of {} per request", n, kMaxMessages);
}

void check_content_part_count(size_t n) {
  if (n > kMaxContentParts) fail("chat: {} content parts in one message is over the limit of {}", n, kMaxContentParts);
}

void check_image_count(size_t n) {
  if (n > kMaxImages) fail("chat: {} images is over the limit of {} per request", n, kMaxImages);
}

void check_stop_strings(const std::vector<std::string>& stop) {
  if (stop.size() > kMaxStopStrings) fail("at most {} stop strings, got {}", kMaxStopStrings, stop.size());
  for (const auto& s : stop)
    if (s.size() > kMaxStopBytes) fail("a stop string of {} bytes is over the limit of {} bytes", s.size(), kMaxStopBytes);
}

}  // namespace argus::tasks
