// Data-parallel communication over PyTorch's c10d process groups (Gloo on CPU), set up
// from the launcher variables (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT). Only this
// file's .cpp sees the c10d/Gloo headers.
#pragma once
#include <memory>
#include <vector>

#include <ATen/ATen.h>

namespace argus::train {

class Distributed {
 public:
  // nullptr when the process is not part of a job (WORLD_SIZE unset or 1).
  static std::shared_ptr<Distributed> from_env();
  virtual ~Distributed() = default;

  int rank() const { return rank_; }
  int world_size() const { return world_; }

  // Copies rank 0's values into every rank's tensors (in place).
  virtual void broadcast(const std::vector<at::Tensor>& tensors) = 0;
  // Sums (or averages) the tensors across ranks, in place, as one flat buffer.
  virtual void all_reduce(const std::vector<at::Tensor>& tensors, bool average) = 0;
  // Every rank's `local` [n, ...] concatenated in rank order (no autograd).
  virtual at::Tensor all_gather(const at::Tensor& local) = 0;
  virtual void barrier() = 0;

 protected:
  int rank_ = 0, world_ = 1;
};

}  // namespace argus::train
