// Linear warm-up then cosine decay to a floor: the schedule CLIP and LLaVA train with.
#pragma once
#include <cstdint>

namespace argus::train {

struct LrSchedule {
  double peak = 1e-3;
  int64_t warmup_steps = 0, total_steps = 1;
  double final_ratio = 0.1;  // the floor, as a fraction of the peak
  // Learning rate for 0-based `step`.
  double at(int64_t step) const;
};

}  // namespace argus::train
