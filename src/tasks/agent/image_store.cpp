#include "tasks/agent/image_store.h"

#include <algorithm>

#include "util/error.h"

namespace argus::tasks::agent {

std::string ImageStore::add(const std::string& kind, image::Image img) {
  std::string id = kind + "_" + std::to_string(++counters_[kind]);
  if (order_.size() >= capacity_) {
    dropped_.push_back(order_.front().first);
    order_.pop_front();
  }
  order_.emplace_back(id, std::move(img));
  return id;
}

bool ImageStore::contains(const std::string& id) const {
  return std::any_of(order_.begin(), order_.end(), [&](const auto& e) { return e.first == id; });
}

const image::Image& ImageStore::get(const std::string& id) const {
  for (const auto& e : order_)
    if (e.first == id) return e.second;
  if (std::find(dropped_.begin(), dropped_.end(), id) != dropped_.end())
    fail("image \"{}\" is no longer held (the {} latest images are kept)", id, capacity_);
  std::string held;
  for (const auto& e : order_) held += (held.empty() ? "" : ", ") + e.first;
  if (held.empty()) fail("there is no image \"{}\": no image has been given yet", id);
  fail("there is no image \"{}\" (images: {})", id, held);
}

std::vector<std::string> ImageStore::ids() const {
  std::vector<std::string> out;
  for (const auto& e : order_) out.push_back(e.first);
  return out;
}

}  // namespace argus::tasks::agent
