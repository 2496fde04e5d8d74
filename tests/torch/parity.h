// Helpers for parity tests against ../shared/fixtures reference outputs.
#pragma once
#include <gtest/gtest.h>

#include <map>
#include <string>

#include <ATen/ATen.h>

#include "nn/tensor_io.h"

namespace argus::test {

inline std::string fixture(const std::string& rel) { return std::string(ARGUS_SHARED_DIR) + "/fixtures/" + rel; }
inline std::string asset(const std::string& rel) { return std::string(ARGUS_SHARED_DIR) + "/assets/" + rel; }

inline std::map<std::string, at::Tensor> reference(const std::string& family) {
  return nn::load_safetensors(fixture(family + "/io.safetensors"));
}

inline double max_abs_diff(const at::Tensor& a, const at::Tensor& b) {
  EXPECT_EQ(a.sizes(), b.sizes());
  if (a.sizes() != b.sizes()) return 1e30;
  return (a.to(at::kDouble) - b.to(at::kDouble)).abs().max().item<double>();
}

#define EXPECT_CLOSE(a, b, tol) EXPECT_LE(::argus::test::max_abs_diff((a), (b)), (tol)) << #a " vs " #b

}  // namespace argus::test
