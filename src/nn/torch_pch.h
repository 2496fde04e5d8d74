// Precompiled for every LibTorch translation unit: the ATen + nn module headers
// cost ~15 s to parse, once per target instead of once per file.
#pragma once
#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/functional/activation.h>
#include <torch/nn/functional/normalization.h>
