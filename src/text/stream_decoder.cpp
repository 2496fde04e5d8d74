#include "text/stream_decoder.h"

#include "text/utf8.h"

namespace argus::text {

namespace {
constexpr size_t kMaxContext = 8;  // ids kept as context after compaction
constexpr size_t kMaxWindow = 64;  // compaction even with bytes pending (garbage byte runs)
}  // namespace

std::string StreamDecoder::step(int64_t id) {
  window_.push_back(id);
  std::string bytes = tok_.decode_bytes(window_, skip_special_);
  size_t end = complete_utf8_end(bytes);
  std::string out;
  if (end > emitted_) {
    out = to_valid_utf8(std::string_view(bytes).substr(emitted_, end - emitted_));
    emitted_ = end;
  }
  size_t pending = bytes.size() - end;
  if (window_.size() > 1 && (pending == 0 || window_.size() > kMaxWindow)) {
    // Keep the fewest trailing ids that cover the pending bytes plus some emitted text: that
    // text is the context the next token is decoded against (e.g. its leading space).
    std::vector<int64_t> ctx;
    std::string ctx_bytes;
    for (size_t keep = 1; keep <= window_.size() && keep <= kMaxContext; ++keep) {
      ctx.assign(window_.end() - static_cast<std::ptrdiff_t>(keep), window_.end());
      ctx_bytes = tok_.decode_bytes(ctx, skip_special_);
      if (ctx_bytes.size() > pending) break;
    }
    if (ctx_bytes.size() >= pending) {
      window_ = std::move(ctx);
      emitted_ = ctx_bytes.size() - pending;
    }
  }
  return out;
}

std::string StreamDecoder::flush() {
  std::string out;
  if (!window_.empty()) {
    std::string bytes = tok_.decode_bytes(window_, skip_special_);
    if (bytes.size() > emitted_) out = to_valid_utf8(std::string_view(bytes).substr(emitted_));
  }
  reset();
  return out;
}

void StreamDecoder::reset() {
  window_.clear();
  emitted_ = 0;
}

}  // namespace argus::text
