#include "train/lr_schedule.h"

#include <algorithm>
#include <cmath>

namespace argus::train {

double LrSchedule::at(int64_t step) const {
  if (warmup_steps > 0 && step < warmup_steps) return peak * double(step + 1) / double(warmup_steps);
  int64_t span = std::max<int64_t>(1, total_steps - warmup_steps);
  double progress = std::clamp(double(step - warmup_steps) / double(span), 0.0, 1.0);
  double floor = peak * final_ratio;
  return floor + (peak - floor) * 0.5 * (1.0 + std::cos(M_PI * progress));
}

}  // namespace argus::train
