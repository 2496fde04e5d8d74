// Grounded objects drawn on their image (`ground --out`, the agent's ground tool):
// each mask tinted in its query's colour, then the boxes and their tags on top.
#pragma once
#include "image/image.h"
#include "tasks/ground/grounder.h"

namespace argus::tasks {

void draw_grounded(image::Image& img, const GroundResult& res);

}  // namespace argus::tasks
