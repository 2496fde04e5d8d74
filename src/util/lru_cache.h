// A small least-recently-used map: the segmenter and the OWL detector keep the image
// features of the last few images, so prompting the same image again re-encodes nothing.
#pragma once
#include <cstddef>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>

namespace argus {

template <typename V>
class LruCache {
 public:
  explicit LruCache(size_t capacity) : capacity_(capacity) {}

  // The cached value (now the most recent), or null.
  std::shared_ptr<const V> get(const std::string& key) {
    auto it = index_.find(key);
    if (it == index_.end()) return nullptr;
    order_.splice(order_.begin(), order_, it->second);
    return it->second->second;
  }

  // Inserts or replaces; evicts the least recently used entry beyond capacity.
  // Capacity 0 caches nothing.
  void put(const std::string& key, std::shared_ptr<const V> value) {
    if (capacity_ == 0) return;
    auto it = index_.find(key);
    if (it != index_.end()) order_.erase(it->second);
    order_.emplace_front(key, std::move(value));
    index_[key] = order_.begin();
    while (order_.size() > capacity_) {
      index_.erase(order_.back().first);
      order_.pop_back();
    }
  }

  size_t size() const { return order_.size(); }

 private:
  using Entry = std::pair<std::string, std::shared_ptr<const V>>;
  size_t capacity_;
  std::list<Entry> order_;  // most recent first
  std::unordered_map<std::string, typename std::list<Entry>::iterator> index_;
};

}  // namespace argus
