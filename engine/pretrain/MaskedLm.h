// BertForMaskedLM: the BERT encoder with Hugging Face's MLM head, and the 80/10/10 masking.
#pragma once

#include "models/Bert.h"

#include <ATen/core/Generator.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include <c10/util/Optional.h>
#include <vector>

namespace fts {

// "bert.*" (no pooler, as HF's BertForMaskedLM) plus cls.predictions.{transform.dense,
// transform.LayerNorm, bias}; the decoder reuses bert.embeddings.word_embeddings.weight (tied).
class BertForMaskedLmImpl : public torch::nn::Module
{
public:
    explicit BertForMaskedLmImpl(const ModelConfig& config);
    // ids, mask [B, T] -> logits [B, T, V]
    at::Tensor forward(const at::Tensor& ids, const at::Tensor& attentionMask = {});
    // Logits [N, V] only at the N flat positions (indices into B*T) that `labels` marks (!= -100):
    // the vocabulary projection dominates a small model's cost, and only ~15% of it is needed.
    at::Tensor forwardMasked(const at::Tensor& ids, const at::Tensor& labels,
                             const at::Tensor& attentionMask = {});
    // HF's init: normal(0, initializer_range) weights, zero biases, LayerNorm 1/0.
    void initWeights(double std = 0.02);

    BertModel bert{nullptr};
    torch::nn::Linear transformDense{nullptr};
    torch::nn::LayerNorm transformNorm{nullptr};
    at::Tensor bias; // [V]

private:
    ActivationFn m_act;
};
TORCH_MODULE(BertForMaskedLm);

struct MaskedBatch
{
    at::Tensor inputs; // [B, T] with [MASK] / random / unchanged at the chosen positions
    at::Tensor labels; // [B, T]: the original id where chosen, -100 elsewhere
};

// Devlin et al. 2019: each non-special token is chosen with `probability`; a chosen token becomes
// [MASK] 80% of the time, a random id in [0, vocabSize) 10%, and stays unchanged 10%. Special ids
// are never chosen. Draws from `generator` (the default CPU generator when none).
MaskedBatch maskTokens(const at::Tensor& ids, int64_t maskId, int64_t vocabSize,
                       const std::vector<int64_t>& specialIds, double probability = 0.15,
                       c10::optional<at::Generator> generator = c10::nullopt);

// Normal(0, std) for matrices and embeddings, ones for norm weights, zeros for other vectors.
void initTransformerWeights(torch::nn::Module& module, double std = 0.02);

} // namespace fts
