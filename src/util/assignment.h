// Minimum-cost bipartite assignment (the Hungarian method with potentials, O(n² m)):
// what DETR-style training uses to match each ground-truth object to one prediction.
// Written here because no Debian-packaged C++ library offers it short of all of dlib.
#pragma once
#include <cstdint>
#include <vector>

namespace argus {

// `cost` is rows × cols, row-major. Returns, for each row, its column (all distinct) so
// that the total cost is minimal; when rows > cols, cols rows are matched and the rest
// get -1. Non-finite costs are an error.
std::vector<int64_t> min_cost_assignment(const std::vector<double>& cost, int64_t rows, int64_t cols);

}  // namespace argus
