// Rotary position embeddings (Su et al. 2021, RoFormer) in Hugging Face's rotate_half layout.
#pragma once

#include <ATen/core/Tensor.h>

#include <utility>

namespace fts {

// cos and sin tables for position ids [B, T]: each [B, 1, T, headDim] in fp32. Frequencies
// inv_freq[i] = theta^(-2i / headDim), duplicated over both halves of the head as HF does.
std::pair<at::Tensor, at::Tensor> rotaryCosSin(const at::Tensor& positions, int64_t headDim,
                                               double theta);

// x * cos + rotate_half(x) * sin, where rotate_half([x1, x2]) = [-x2, x1] (halves of the head).
// x [B, nh, T, hd]; the result keeps x's dtype.
at::Tensor applyRotary(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin);

} // namespace fts
