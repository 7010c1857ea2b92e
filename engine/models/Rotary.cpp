// Rotary tables computed in fp32 on the positions' device, so bf16 models rotate as HF's do.
#include "models/Rotary.h"

#include <ATen/ATen.h>

namespace fts {

std::pair<at::Tensor, at::Tensor> rotaryCosSin(const at::Tensor& positions, int64_t headDim,
                                               double theta)
{
    const auto opts = positions.options().dtype(at::kFloat);
    const at::Tensor exponent = at::arange(0, headDim, 2, opts) / double(headDim); // [hd/2]
    const at::Tensor invFreq = 1.0 / at::pow(theta, exponent);
    const at::Tensor freqs = positions.to(at::kFloat).unsqueeze(-1) * invFreq;  // [B, T, hd/2]
    const at::Tensor angles = at::cat({freqs, freqs}, /*dim=*/-1).unsqueeze(1); // [B, 1, T, hd]
    return {angles.cos(), angles.sin()};
}

at::Tensor applyRotary(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin)
{
    const int64_t half = x.size(-1) / 2;
    const at::Tensor x1 = x.slice(-1, 0, half);
    const at::Tensor x2 = x.slice(-1, half);
    const at::Tensor rotated = at::cat({-x2, x1}, /*dim=*/-1);
    return x * cos.to(x.scalar_type()) + rotated * sin.to(x.scalar_type());
}

} // namespace fts
