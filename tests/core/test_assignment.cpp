#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <set>

#include "util/assignment.h"
#include "util/error.h"

using namespace argus;

namespace {

double total(const std::vector<double>& c, int64_t cols, const std::vector<int64_t>& a) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i] >= 0) s += c[i * static_cast<size_t>(cols) + static_cast<size_t>(a[i])];
  return s;
}

// Every injective assignment of the smaller side, by enumeration.
double brute_force_best(const std::vector<double>& c, int64_t rows, int64_t cols) {
  int64_t k = std::min(rows, cols);
  std::vector<int64_t> big(static_cast<size_t>(std::max(rows, cols)));
  std::iota(big.begin(), big.end(), 0);
  double best = std::numeric_limits<double>::infinity();
  do {
    double s = 0;
    for (int64_t i = 0; i < k; ++i)
      s += rows <= cols ? c[static_cast<size_t>(i * cols + big[static_cast<size_t>(i)])]
                        : c[static_cast<size_t>(big[static_cast<size_t>(i)] * cols + i)];
    best = std::min(best, s);
  } while (std::next_permutation(big.begin(), big.end()));
  return best;
}

}  // namespace

TEST(Assignment, SmallKnownCase) {
  // The diagonal is expensive; the optimum is 1 + 2 + 2 = 5 via (0,1), (1,0), (2,2).
  std::vector<double> c = {9, 1, 9,  //
                           2, 9, 9,  //
                           9, 9, 2};
  EXPECT_EQ(min_cost_assignment(c, 3, 3), (std::vector<int64_t>{1, 0, 2}));
}

TEST(Assignment, MatchesBruteForceOnRandomMatrices) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(-3, 5);
  for (auto [rows, cols] : {std::pair<int64_t, int64_t>{1, 1}, {2, 5}, {4, 4}, {3, 7}, {6, 6}, {5, 3}, {7, 2}}) {
    for (int trial = 0; trial < 20; ++trial) {
      std::vector<double> c(static_cast<size_t>(rows * cols));
      for (auto& x : c) x = std::round(u(rng) * 4) / 4;  // ties included
      auto a = min_cost_assignment(c, rows, cols);
      ASSERT_EQ(a.size(), static_cast<size_t>(rows));
      std::set<int64_t> used;
      int64_t matched = 0;
      for (int64_t j : a) {
        if (j < 0) continue;
        ASSERT_LT(j, cols);
        EXPECT_TRUE(used.insert(j).second) << "column " << j << " assigned twice";
        ++matched;
      }
      EXPECT_EQ(matched, std::min(rows, cols));
      EXPECT_NEAR(total(c, cols, a), brute_force_best(c, rows, cols), 1e-9) << rows << "x" << cols;
    }
  }
}

TEST(Assignment, EmptyAndBadInput) {
  EXPECT_EQ(min_cost_assignment({}, 0, 5), std::vector<int64_t>{});
  EXPECT_EQ(min_cost_assignment({}, 2, 0), (std::vector<int64_t>{-1, -1}));
  EXPECT_THROW(min_cost_assignment({1, 2, 3}, 2, 2), Error);
  EXPECT_THROW(min_cost_assignment({1, NAN, 3, 4}, 2, 2), Error);
  EXPECT_THROW(min_cost_assignment({1, INFINITY, 3, 4}, 2, 2), Error);
}
