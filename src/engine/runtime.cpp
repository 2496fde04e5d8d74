#include "engine/runtime.h"

#include <cerrno>
#include <cstdlib>
#include <string>
#include <thread>

#include <ATen/Parallel.h>

#include "util/error.h"

namespace argus::engine {

namespace {

int hardware_cores() { return static_cast<int>(std::max(1u, std::thread::hardware_concurrency())); }

// More threads than this only oversubscribes the cores; a huge count would keep
// creating threads (each with its own stack) until the process dies.
int max_threads() { return std::max(4, 4 * hardware_cores()); }

int checked(long long n, const char* what) {
  if (n < 0) fail("{} must be a positive thread count (0: one per core), got {}", what, n);
  if (n > max_threads())
    fail("{} {} is more than 4 × the {} cores here ({} at most)", what, n, hardware_cores(), max_threads());
  return static_cast<int>(n);
}

}  // namespace

void init_runtime(int threads) {
  threads = checked(threads, "--threads");
  // A data-parallel launcher shares the cores among its workers through ARGUS_THREADS.
  if (threads == 0)
    if (const char* env = std::getenv("ARGUS_THREADS")) {
      char* end = nullptr;
      errno = 0;
      const long long n = std::strtoll(env, &end, 10);
      if (end == env || *end != '\0' || errno == ERANGE)
        fail("ARGUS_THREADS=\"{}\" is not a whole number of threads", env);
      threads = checked(n, "ARGUS_THREADS");
    }
  if (threads == 0) threads = hardware_cores();
  at::set_num_threads(threads);
}

}  // namespace argus::engine
