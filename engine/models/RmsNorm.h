// Root-mean-square layer norm (Zhang & Sennrich 2019) as Llama-style models use it.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

namespace fts {

// y = weight * x / sqrt(mean(x^2) + eps), normalised in fp32 whatever the input dtype. Parameter
// "weight" [C], initialised to ones.
struct RmsNormImpl : torch::nn::Module
{
    RmsNormImpl(int64_t size, double eps);
    at::Tensor forward(const at::Tensor& x);

    at::Tensor weight;
    double eps;
};
TORCH_MODULE(RmsNorm);

} // namespace fts
