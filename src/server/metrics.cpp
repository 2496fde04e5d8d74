#include "server/metrics.h"

#include <fmt/format.h>

namespace argus::server {

void Metrics::record(const std::string& route, int status, std::optional<double> timed) {
  std::lock_guard<std::mutex> g(mu_);
  ++requests_[{route, status}];
  if (!timed) return;
  const double seconds = *timed;
  Histogram& h = latency_[route];
  for (size_t i = 0; i < kBuckets.size(); ++i)
    if (seconds <= kBuckets[i]) {
      ++h.counts[i];
      break;
    }
  ++h.total;
  h.sum += seconds;
}

void Metrics::add_tokens(int64_t prompt, int64_t completion) {
  std::lock_guard<std::mutex> g(mu_);
  prompt_tokens_ += prompt;
  completion_tokens_ += completion;
}

std::string Metrics::prometheus(int loaded_models) const {
  std::lock_guard<std::mutex> g(mu_);
  std::string out;
  out += "# HELP argus_requests_total HTTP requests by route and status.\n# TYPE argus_requests_total counter\n";
  for (const auto& [key, n] : requests_)
    out += fmt::format("argus_requests_total{{route=\"{}\",status=\"{}\"}} {}\n", key.first, key.second, n);
  out += "# HELP argus_request_seconds Request latency.\n# TYPE argus_request_seconds histogram\n";
  for (const auto& [route, h] : latency_) {
    uint64_t cum = 0;
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      cum += h.counts[i];
      out += fmt::format("argus_request_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n", route, kBuckets[i], cum);
    }
    out += fmt::format("argus_request_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {}\n", route, h.total);
    out += fmt::format("argus_request_seconds_sum{{route=\"{}\"}} {}\n", route, h.sum);
    out += fmt::format("argus_request_seconds_count{{route=\"{}\"}} {}\n", route, h.total);
  }
  out += "# HELP argus_tokens_total Tokens processed.\n# TYPE argus_tokens_total counter\n";
  out += fmt::format("argus_tokens_total{{kind=\"prompt\"}} {}\n", prompt_tokens_);
  out += fmt::format("argus_tokens_total{{kind=\"completion\"}} {}\n", completion_tokens_);
  out += "# HELP argus_queue_depth Requests admitted and not finished.\n# TYPE argus_queue_depth gauge\n";
  out += fmt::format("argus_queue_depth {}\n", queue_depth.load());
  out += "# HELP argus_models_loaded Models in memory.\n# TYPE argus_models_loaded gauge\n";
  out += fmt::format("argus_models_loaded {}\n", loaded_models);
  return out;
}

}  // namespace argus::server
