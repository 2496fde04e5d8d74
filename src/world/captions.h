// Image captions: 3 to 5 per image, each from a different template (object list,
// total count, a described pair, counts by shape, counts by colour, positions).
// Every number word counts objects of the whole scene, so captions can be checked
// against the annotations.
#pragma once
#include <string>
#include <vector>

#include "world/scene.h"

namespace argus::world {

std::vector<std::string> make_captions(const Scene& scene);

// "large striped green star": every attribute, in the order size, texture, colour, shape.
std::string full_phrase(const Object& o);

}  // namespace argus::world
