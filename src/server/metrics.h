// Server counters in Prometheus' text exposition format: requests by route and
// status, latency histograms by route, prompt/completion tokens, queue depth and
// loaded models. Thread-safe.
#pragma once
#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace argus::server {

class Metrics {
 public:
  // The route label of every request that matched no route (not its path: a client
  // must not be able to mint label values).
  static constexpr const char* kUnrouted = "(unrouted)";
  // `seconds`: none for a request refused before it was timed (counted, no latency).
  void record(const std::string& route, int status, std::optional<double> seconds);
  void add_tokens(int64_t prompt, int64_t completion);
  std::atomic<int> queue_depth{0};  // admitted requests (waiting or running)

  // `loaded_models` is read by the caller (the pool knows it).
  std::string prometheus(int loaded_models) const;

 private:
  static constexpr std::array<double, 12> kBuckets{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
  struct Histogram {
    std::array<uint64_t, kBuckets.size()> counts{};  // cumulative at render time
    uint64_t total = 0;
    double sum = 0;
  };
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;
  std::map<std::string, Histogram> latency_;
  int64_t prompt_tokens_ = 0, completion_tokens_ = 0;
};

}  // namespace argus::server
