// The images an agent's tools work on, referred to by ids ("image_1", "crop_3",
// "mask_2"): a tool caller never names a host path, and a tool result never shows one.
// Ids are the kind of image and a counter per kind, never reused. The store holds at
// most `capacity` images; past that the oldest is dropped, and its id is then refused
// with a message saying so (an agent works with its latest images).
#pragma once
#include <cstddef>
#include <deque>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "image/image.h"

namespace argus::tasks::agent {

class ImageStore {
 public:
  explicit ImageStore(size_t capacity = 32) : capacity_(capacity) {}

  // Adds an image of `kind` ("image", "crop", "mask", "overlay", "result") and returns its id.
  std::string add(const std::string& kind, image::Image img);

  // The image with this id; an argus::Error naming the id (and the ids held) when there
  // is none. The reference stays valid until the next add().
  const image::Image& get(const std::string& id) const;
  bool contains(const std::string& id) const;

  // The ids held, oldest first.
  std::vector<std::string> ids() const;
  size_t size() const { return order_.size(); }

 private:
  size_t capacity_;
  std::map<std::string, int> counters_;
  std::deque<std::pair<std::string, image::Image>> order_;
  std::vector<std::string> dropped_;  // ids evicted, to tell them from ids never made
};

}  // namespace argus::tasks::agent
