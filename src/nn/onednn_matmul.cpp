#include "nn/onednn_matmul.h"

#include <ATen/ATen.h>

#include "util/error.h"

#ifdef ARGUS_HAVE_DNNL
#include <map>
#include <mutex>
#include <cstring>
#include <unordered_map>

#include <dnnl.hpp>

namespace argus::nn {
namespace {

using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

dnnl::engine& cpu_engine() {
  static dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  return eng;
}

}  // namespace

struct PackedMatmul::State {
  int64_t n = 0, k = 0;
  dnnl::memory::desc weights_md;
  dnnl::memory weights, bias;
  bool has_bias = false;
  mutable std::mutex mu;
  mutable std::map<int64_t, dnnl::matmul> by_m;

  dnnl::matmul::primitive_desc desc_for(int64_t m, const dnnl::memory::desc& w) const {
    dnnl::memory::desc src({m, k}, dt::f32, tag::ab), dst({m, n}, dt::f32, tag::ab);
    if (has_bias) return {dnnl::matmul::desc(src, w, dnnl::memory::desc({1, n}, dt::f32, tag::ab), dst), cpu_engine()};
    return {dnnl::matmul::desc(src, w, dst), cpu_engine()};
  }

  const dnnl::matmul& primitive(int64_t m) const {
    std::lock_guard<std::mutex> lock(mu);
    auto it = by_m.find(m);
    if (it == by_m.end()) it = by_m.emplace(m, dnnl::matmul(desc_for(m, weights_md))).first;
    return it->second;
  }
};

PackedMatmul::PackedMatmul(const at::Tensor& weight, const at::Tensor& bias) : state_(std::make_unique<State>()) {
  if (weight.dim() != 2 || weight.scalar_type() != at::kFloat) fail("PackedMatmul needs a 2-D float32 weight");
  auto& s = *state_;
  s.n = weight.size(0);
  s.k = weight.size(1);
  s.has_bias = bias.defined();
  // Let oneDNN choose the layout (for a typical small M: the choice is M-independent).
  s.weights_md = s.desc_for(64, dnnl::memory::desc({s.k, s.n}, dt::f32, tag::any)).weights_desc();
  at::Tensor w = weight.detach().contiguous();
  // [N, K] row-major is the [K, N] matrix in column-major ("ba") order.
  dnnl::memory plain({{s.k, s.n}, dt::f32, tag::ba}, cpu_engine(), w.data_ptr());
  s.weights = dnnl::memory(s.weights_md, cpu_engine());
  dnnl::stream stream(cpu_engine());
  dnnl::reorder(plain, s.weights).execute(stream, plain, s.weights);
  if (s.has_bias) {
    s.bias = dnnl::memory({{1, s.n}, dt::f32, tag::ab}, cpu_engine());
    at::Tensor b = bias.detach().to(at::kFloat).contiguous();
    std::memcpy(s.bias.get_data_handle(), b.data_ptr(), s.n * sizeof(float));
  }
  stream.wait();
}

PackedMatmul::~PackedMatmul() = default;

at::Tensor PackedMatmul::forward(const at::Tensor& x) const {
  const auto& s = *state_;
  at::Tensor in = x.contiguous();
  const int64_t m = in.size(0);
  at::Tensor out = at::empty({m, s.n}, in.options());
  if (m == 0) return out;
  dnnl::memory src({{m, s.k}, dt::f32, tag::ab}, cpu_engine(), in.data_ptr());
  dnnl::memory dst({{m, s.n}, dt::f32, tag::ab}, cpu_engine(), out.data_ptr());
  std::unordered_map<int, dnnl::memory> args = {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, s.weights}, {DNNL_ARG_DST, dst}};
  if (s.has_bias) args.emplace(DNNL_ARG_BIAS, s.bias);
  dnnl::stream stream(cpu_engine());
  s.primitive(m).execute(stream, args);
  stream.wait();
  return out;
}

bool PackedMatmul::available() { return true; }

}  // namespace argus::nn

#else  // no oneDNN headers (e.g. a CUDA build against a pip LibTorch): callers use at::linear

namespace argus::nn {
struct PackedMatmul::State {};
PackedMatmul::PackedMatmul(const at::Tensor&, const at::Tensor&) { fail("argus was built without oneDNN"); }
PackedMatmul::~PackedMatmul() = default;
at::Tensor PackedMatmul::forward(const at::Tensor&) const { fail("argus was built without oneDNN"); }
bool PackedMatmul::available() { return false; }
}  // namespace argus::nn

#endif
