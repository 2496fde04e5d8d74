#include "engine/runtime.h"

#include <thread>

#include <ATen/Parallel.h>

namespace argus::engine {

void init_runtime(int threads) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(threads);
}

}  // namespace argus::engine
