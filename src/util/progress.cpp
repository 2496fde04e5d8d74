#include "util/progress.h"

#include <unistd.h>

#include <cstdio>

#include <fmt/format.h>

namespace argus {

std::string human_bytes(double bytes) {
  const char* units[] = {"B", "kB", "MB", "GB", "TB"};
  int u = 0;
  while (bytes >= 1000 && u < 4) {
    bytes /= 1000;
    ++u;
  }
  return u == 0 ? fmt::format("{:.0f} B", bytes) : fmt::format("{:.1f} {}", bytes, units[u]);
}

Progress::Progress(std::string what, int64_t total, Unit unit)
    : what_(std::move(what)), total_(total), unit_(unit), tty_(isatty(STDERR_FILENO)), start_(std::chrono::steady_clock::now()) {
  last_draw_ = start_;
}

void Progress::step(int64_t n, const std::string& note) {
  done_ += n;
  note_ = note;
  draw(false);
}

void Progress::draw(bool force) {
  auto now = std::chrono::steady_clock::now();
  double since_draw = std::chrono::duration<double>(now - last_draw_).count();
  if (!force && since_draw < (tty_ ? 0.1 : 5.0)) return;
  last_draw_ = now;
  double elapsed = std::chrono::duration<double>(now - start_).count();
  double rate = elapsed > 0 ? done_ / elapsed : 0;
  double eta = rate > 0 && total_ > done_ ? (total_ - done_) / rate : 0;
  int width = 24, filled = total_ > 0 ? static_cast<int>(width * done_ / total_) : 0;
  std::string bar = std::string(filled, '#') + std::string(width - filled, '.');
  std::string counts = unit_ == Unit::bytes
                           ? fmt::format("{}/{} {}/s", human_bytes(done_), human_bytes(total_), human_bytes(rate))
                           : fmt::format("{}/{} {:.1f}/s", done_, total_, rate);
  std::string line = fmt::format("{} [{}] {} ETA {:.0f}s {}", what_, bar, counts, eta, note_.substr(0, 40));
  if (tty_)
    std::fprintf(stderr, "\r\033[K%s", line.c_str());
  else
    std::fprintf(stderr, "%s\n", line.c_str());
  std::fflush(stderr);
}

void Progress::finish(const std::string& summary) {
  draw(true);
  if (tty_) std::fprintf(stderr, "\n");
  if (!summary.empty()) std::fprintf(stderr, "%s\n", summary.c_str());
}

}  // namespace argus
