#include "engine/runtime.h"

#include <cstdlib>
#include <thread>

#include <ATen/Parallel.h>

namespace argus::engine {

void init_runtime(int threads) {
  // A data-parallel launcher shares the cores among its workers through ARGUS_THREADS.
  if (threads <= 0)
    if (const char* env = std::getenv("ARGUS_THREADS")) threads = std::atoi(env);
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(threads);
}

}  // namespace argus::engine
