#define USE_C10D_GLOO 1
#include "train/distributed.h"

#include <cstdlib>
#include <string>

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include "util/error.h"

namespace argus::train {
namespace {

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  try {
    return std::stoi(v);
  } catch (const std::exception&) {
    fail("{}={} is not a number", name, v);
  }
}

class GlooDistributed : public Distributed {
 public:
  GlooDistributed(int rank, int world) {
    rank_ = rank;
    world_ = world;
    const char* addr = std::getenv("MASTER_ADDR");
    c10d::TCPStoreOptions o;
    o.port = static_cast<uint16_t>(env_int("MASTER_PORT", 29500));
    o.isServer = rank == 0;
    o.numWorkers = world;
    o.timeout = std::chrono::minutes(5);
    try {
      store_ = c10::make_intrusive<c10d::TCPStore>(addr ? addr : "127.0.0.1", o);
      auto opts = c10d::ProcessGroupGloo::Options::create();
      opts->timeout = std::chrono::minutes(30);  // a slow first step must not time out
      opts->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
      pg_ = c10::make_intrusive<c10d::ProcessGroupGloo>(store_, rank, world, opts);
    } catch (const std::exception& e) {
      fail("rank {} of {} cannot join the job at {}:{}: {}", rank, world, addr ? addr : "127.0.0.1", o.port,
           e.what());
    }
  }

  void broadcast(const std::vector<at::Tensor>& tensors) override {
    at::Tensor flat = flatten(tensors);
    std::vector<at::Tensor> v{flat};
    pg_->broadcast(v)->wait();
    unflatten(flat, tensors);
  }

  void all_reduce(const std::vector<at::Tensor>& tensors, bool average) override {
    at::Tensor flat = flatten(tensors);
    std::vector<at::Tensor> v{flat};
    pg_->allreduce(v)->wait();
    if (average) flat.div_(world_);
    unflatten(flat, tensors);
  }

  at::Tensor all_gather(const at::Tensor& local) override {
    std::vector<at::Tensor> in{local.contiguous()};
    std::vector<std::vector<at::Tensor>> out(1);
    for (int r = 0; r < world_; ++r) out[0].push_back(at::empty_like(in[0]));
    pg_->allgather(out, in)->wait();
    return at::cat(out[0], 0);
  }

  void barrier() override { pg_->barrier()->wait(); }

 private:
  static at::Tensor flatten(const std::vector<at::Tensor>& ts) {
    std::vector<at::Tensor> parts;
    for (const auto& t : ts) parts.push_back(t.detach().reshape(-1).to(at::kFloat));
    return at::cat(parts);
  }
  static void unflatten(const at::Tensor& flat, const std::vector<at::Tensor>& ts) {
    at::NoGradGuard ng;
    int64_t off = 0;
    for (const auto& t : ts) {
      int64_t n = t.numel();
      t.copy_(flat.slice(0, off, off + n).view(t.sizes()));
      off += n;
    }
  }

  c10::intrusive_ptr<c10d::Store> store_;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> pg_;
};

}  // namespace

std::shared_ptr<Distributed> Distributed::from_env() {
  int world = env_int("WORLD_SIZE", 1);
  if (world <= 1) return nullptr;
  int rank = env_int("RANK", -1);
  if (rank < 0 || rank >= world) fail("RANK={} is not in [0, WORLD_SIZE={})", rank, world);
  return std::make_shared<GlooDistributed>(rank, world);
}

}  // namespace argus::train
