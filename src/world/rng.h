// The world generator's own pseudo-random numbers. std:: distributions are
// implementation-defined (libstdc++ and libc++ draw different values from the same
// engine), so a dataset would change with the toolchain; these helpers are fixed
// arithmetic on xoshiro256** and give the same stream everywhere.
#pragma once
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace argus::world {

// splitmix64 (Steele, Lea, Flood): advances `state` and returns the next output.
// Seeds xoshiro; its single-step form mix64 is the hash used for keys.
inline uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
inline uint64_t mix64(uint64_t x) { return splitmix64(x); }

// Folds a string into a key (FNV-1a, then mixed): split names and sub-stream names.
inline uint64_t hash_string(uint64_t key, std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return mix64(key ^ mix64(h));
}

// The key of one image: it depends on nothing but (seed, split, index), so image k
// is the same whatever the split size, the thread count or the order of work.
inline uint64_t image_key(uint64_t seed, std::string_view split, int64_t index) {
  return mix64(hash_string(mix64(seed), split) ^ mix64(static_cast<uint64_t>(index) + 0x51ed27ull));
}

// An independent stream for one purpose ("scene", "captions", ...) of one image, so
// changing how many numbers one generator draws leaves the others unchanged.
inline uint64_t stream_key(uint64_t key, std::string_view purpose) { return hash_string(key, purpose); }

class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (auto& s : s_) s = splitmix64(seed);
  }
  // A given xoshiro state (not all zero): for checking against reference vectors.
  static Rng from_state(uint64_t s0, uint64_t s1, uint64_t s2, uint64_t s3) {
    Rng r(0);
    r.s_[0] = s0, r.s_[1] = s1, r.s_[2] = s2, r.s_[3] = s3;
    return r;
  }

  uint64_t next() {  // xoshiro256**
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // [0, 1) from the top 53 bits.
  double uniform() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }

  // [0, n) without modulo bias (rejection of the short top range); n > 0.
  uint64_t below(uint64_t n) {
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do x = next();
    while (x >= limit);
    return x % n;
  }
  // [lo, hi] inclusive.
  int range(int lo, int hi) { return lo + static_cast<int>(below(static_cast<uint64_t>(hi - lo) + 1)); }
  bool chance(double p) { return uniform() < p; }

  template <typename T>
  const T& pick(const std::vector<T>& v) {
    return v[below(v.size())];
  }
  template <typename T>
  void shuffle(std::vector<T>& v) {
    for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[below(i)]);
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

}  // namespace argus::world
