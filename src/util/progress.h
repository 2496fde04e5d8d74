// A progress line on stderr for long work (indexing, loading, training): count,
// rate and ETA (or bytes, bytes/s and ETA for transfers), redrawn in place on a terminal, a line every few seconds otherwise.
#pragma once
#include <chrono>
#include <string>

namespace argus {

// "1.5 MB", "12.0 GB": sizes as people read them (powers of 1000, as the hub shows them).
std::string human_bytes(double bytes);

class Progress {
 public:
  enum class Unit { items, bytes };
  Progress(std::string what, int64_t total, Unit unit = Unit::items);
  void step(int64_t n = 1, const std::string& note = "");
  void finish(const std::string& summary = "");

 private:
  void draw(bool force);
  std::string what_;
  int64_t total_, done_ = 0;
  Unit unit_;
  bool tty_;
  std::chrono::steady_clock::time_point start_, last_draw_;
  std::string note_;
};

}  // namespace argus
