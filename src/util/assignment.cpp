#include "util/assignment.h"

#include <cmath>
#include <limits>

#include "util/error.h"

namespace argus {
namespace {

// rows <= cols. Shortest augmenting paths over reduced costs a[i][j] - u[i] - v[j],
// keeping u, v feasible (reduced costs >= 0, zero on matched pairs), one row at a time.
std::vector<int64_t> assign_rows(const std::vector<double>& a, int64_t n, int64_t m) {
  const double inf = std::numeric_limits<double>::infinity();
  // 1-based; column 0 is a virtual column holding the row being inserted.
  std::vector<double> u(static_cast<size_t>(n + 1), 0.0), v(static_cast<size_t>(m + 1), 0.0);
  std::vector<int64_t> row_of(static_cast<size_t>(m + 1), 0), prev(static_cast<size_t>(m + 1), 0);
  auto c = [&](int64_t i, int64_t j) { return a[static_cast<size_t>((i - 1) * m + (j - 1))]; };
  for (int64_t i = 1; i <= n; ++i) {
    row_of[0] = i;
    int64_t col = 0;
    std::vector<double> slack(static_cast<size_t>(m + 1), inf);
    std::vector<char> seen(static_cast<size_t>(m + 1), 0);
    do {
      seen[static_cast<size_t>(col)] = 1;
      int64_t r = row_of[static_cast<size_t>(col)], next = 0;
      double delta = inf;
      for (int64_t j = 1; j <= m; ++j) {
        if (seen[static_cast<size_t>(j)]) continue;
        double reduced = c(r, j) - u[static_cast<size_t>(r)] - v[static_cast<size_t>(j)];
        if (reduced < slack[static_cast<size_t>(j)]) slack[static_cast<size_t>(j)] = reduced, prev[static_cast<size_t>(j)] = col;
        if (slack[static_cast<size_t>(j)] < delta) delta = slack[static_cast<size_t>(j)], next = j;
      }
      for (int64_t j = 0; j <= m; ++j) {
        if (seen[static_cast<size_t>(j)]) {
          u[static_cast<size_t>(row_of[static_cast<size_t>(j)])] += delta;
          v[static_cast<size_t>(j)] -= delta;
        } else {
          slack[static_cast<size_t>(j)] -= delta;
        }
      }
      col = next;
    } while (row_of[static_cast<size_t>(col)] != 0);
    // Flip the augmenting path back to the virtual column.
    while (col != 0) {
      int64_t p = prev[static_cast<size_t>(col)];
      row_of[static_cast<size_t>(col)] = row_of[static_cast<size_t>(p)];
      col = p;
    }
  }
  std::vector<int64_t> out(static_cast<size_t>(n), -1);
  for (int64_t j = 1; j <= m; ++j)
    if (row_of[static_cast<size_t>(j)] > 0) out[static_cast<size_t>(row_of[static_cast<size_t>(j)] - 1)] = j - 1;
  return out;
}

}  // namespace

std::vector<int64_t> min_cost_assignment(const std::vector<double>& cost, int64_t rows, int64_t cols) {
  if (rows < 0 || cols < 0 || cost.size() != static_cast<size_t>(rows * cols))
    fail("assignment: a {}x{} cost matrix needs {} entries, got {}", rows, cols, rows * cols, cost.size());
  for (double x : cost)
    if (!std::isfinite(x)) fail("assignment: the cost matrix has a non-finite entry ({})", x);
  if (rows == 0 || cols == 0) return std::vector<int64_t>(static_cast<size_t>(rows), -1);
  if (rows <= cols) return assign_rows(cost, rows, cols);
  // More rows than columns: assign the columns to rows on the transpose.
  std::vector<double> t(cost.size());
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) t[static_cast<size_t>(j * rows + i)] = cost[static_cast<size_t>(i * cols + j)];
  std::vector<int64_t> col_to_row = assign_rows(t, cols, rows), out(static_cast<size_t>(rows), -1);
  for (int64_t j = 0; j < cols; ++j) out[static_cast<size_t>(col_to_row[static_cast<size_t>(j)])] = j;
  return out;
}

}  // namespace argus
