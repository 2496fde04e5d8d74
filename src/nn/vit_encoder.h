// The pre-norm transformer encoder shared by CLIP, SigLIP, OWL-ViT, CLIPSeg and the
// LLaVA vision tower. Submodule names are the checkpoint's:
// layers.N.{layer_norm1, self_attn.{q,k,v,out}_proj, layer_norm2, mlp.{fc1,fc2}}.
#pragma once
#include <string>
#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include "nn/activation.h"
#include "nn/dense.h"

namespace argus::nn {

struct EncoderDims {
  int64_t hidden = 0, intermediate = 0, heads = 0, layers = 0;
  double eps = 1e-5;
  std::string act = "quick_gelu";
};

struct SelfAttentionImpl : torch::nn::Module, Packable {
  SelfAttentionImpl(int64_t hidden, int64_t heads);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& mask);
  void pack(Kernel k) override { qkv_.pack({q_proj, k_proj, v_proj}, k); }
  int64_t heads;
  double scale;
  Dense q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, out_proj{nullptr};

 private:
  FusedDense qkv_;
};
TORCH_MODULE(SelfAttention);

struct MlpImpl : torch::nn::Module {
  MlpImpl(int64_t hidden, int64_t intermediate, const std::string& act);
  at::Tensor forward(const at::Tensor& x);
  Activation act;
  Dense fc1{nullptr}, fc2{nullptr};
};
TORCH_MODULE(Mlp);

struct EncoderLayerImpl : torch::nn::Module {
  explicit EncoderLayerImpl(const EncoderDims& d);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& mask);
  torch::nn::LayerNorm layer_norm1{nullptr}, layer_norm2{nullptr};
  SelfAttention self_attn{nullptr};
  Mlp mlp{nullptr};
};
TORCH_MODULE(EncoderLayer);

struct EncoderImpl : torch::nn::Module {
  explicit EncoderImpl(const EncoderDims& d);
  // Returns the last hidden state; when `hidden_states` is given it receives the
  // input followed by each layer's output (transformers' output_hidden_states).
  at::Tensor forward(const at::Tensor& x, const at::Tensor& mask, std::vector<at::Tensor>* hidden_states = nullptr,
                     int64_t stop_after_layers = -1);
  torch::nn::ModuleList layers{nullptr};
};
TORCH_MODULE(Encoder);

torch::nn::LayerNorm layer_norm(int64_t dim, double eps);
torch::nn::Linear linear(int64_t in, int64_t out, bool bias = true);

}  // namespace argus::nn
