// Process-wide compute settings. Debian's LibTorch starts with one intra-op
// thread, so every entry point sets the count explicitly.
#pragma once

namespace argus::engine {

// threads == 0 means one per hardware core (or ARGUS_THREADS); a negative count, or
// more than 4 × the cores, is an error that names it.
void init_runtime(int threads = 0);

}  // namespace argus::engine
