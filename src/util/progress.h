// A progress line on stderr for long work (indexing, loading, training): count,
// rate and ETA, redrawn in place on a terminal, a line every few seconds otherwise.
#pragma once
#include <chrono>
#include <string>

namespace argus {

class Progress {
 public:
  Progress(std::string what, int64_t total);
  void step(int64_t n = 1, const std::string& note = "");
  void finish(const std::string& summary = "");

 private:
  void draw(bool force);
  std::string what_;
  int64_t total_, done_ = 0;
  bool tty_;
  std::chrono::steady_clock::time_point start_, last_draw_;
  std::string note_;
};

}  // namespace argus
