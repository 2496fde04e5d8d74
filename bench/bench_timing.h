// Median wall time of a callable, after warm-up runs: what every bench/*.cpp reports.
#pragma once
#include <algorithm>
#include <chrono>
#include <vector>

namespace argus::bench {

template <typename F>
double median_ms(F&& f, int warmup, int iters) {
  for (int i = 0; i < warmup; ++i) f();
  std::vector<double> ms;
  for (int i = 0; i < iters; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    f();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

}  // namespace argus::bench
