// nn::attention against the textbook formula, including the path for many queries
// over a few keys (scored transposed so the softmax runs along the long axis).
#include <gtest/gtest.h>

#include <cmath>

#include "nn/attention.h"

using namespace argus;

namespace {

at::Tensor textbook(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, double scale) {
  return at::matmul(at::softmax(at::matmul(q, k.transpose(-1, -2)) * scale, -1), v);
}

}  // namespace

TEST(Attention, ManyQueriesFewKeysMatchesTheFormula) {
  at::manual_seed(3);
  for (auto [lq, lk] : {std::pair<int64_t, int64_t>{4096, 7}, {300, 1}, {8, 7}, {512, 64}}) {
    at::Tensor q = at::randn({2, 8, lq, 16}), k = at::randn({2, 8, lk, 16}), v = at::randn({2, 8, lk, 16});
    const double scale = 1.0 / std::sqrt(16.0);
    at::Tensor got = nn::attention(q, k, v, at::Tensor(), scale);
    ASSERT_EQ(got.sizes(), (std::vector<int64_t>{2, 8, lq, 16}));
    EXPECT_LE((got - textbook(q, k, v, scale)).abs().max().item<double>(), 1e-5) << lq << "x" << lk;
  }
}
