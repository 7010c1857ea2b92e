// GPT-2 (Radford et al. 2019) with Hugging Face weight names, Conv1D projections and LoRA support.
#pragma once

#include "models/Activations.h"
#include "models/Decoder.h"
#include "models/Projection.h"

#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/normalization.h>

namespace fts {

// attn.c_attn (fused q, k, v) and attn.c_proj.
struct Gpt2AttentionImpl : torch::nn::Module
{
    explicit Gpt2AttentionImpl(const ModelConfig& config);
    at::Tensor forward(const at::Tensor& x, const DecoderStep& step, size_t layer);

    Projection c_attn{nullptr};
    Projection c_proj{nullptr};
    int64_t numHeads;
    double attnDropout;
    double residDropout;
};
TORCH_MODULE(Gpt2Attention);

// mlp.c_fc and mlp.c_proj around the activation (gelu_new in GPT-2).
struct Gpt2MlpImpl : torch::nn::Module
{
    explicit Gpt2MlpImpl(const ModelConfig& config);
    at::Tensor forward(const at::Tensor& x);

    Projection c_fc{nullptr};
    Projection c_proj{nullptr};
    ActivationFn activation; // resolved once from config.json's name
    double residDropout;
};
TORCH_MODULE(Gpt2Mlp);

// transformer.h.N: pre-norm block, x + attn(ln_1(x)), then x + mlp(ln_2(x)).
struct Gpt2BlockImpl : torch::nn::Module
{
    explicit Gpt2BlockImpl(const ModelConfig& config);
    at::Tensor forward(const at::Tensor& x, const DecoderStep& step, size_t layer);

    torch::nn::LayerNorm ln_1{nullptr};
    Gpt2Attention attn{nullptr};
    torch::nn::LayerNorm ln_2{nullptr};
    Gpt2Mlp mlp{nullptr};
};
TORCH_MODULE(Gpt2Block);

// GPT2LMHeadModel: transformer.{wte, wpe, h, ln_f} and lm_head (tied to wte unless configured).
class Gpt2Impl : public DecoderModel
{
public:
    explicit Gpt2Impl(const ModelConfig& config);

    at::Tensor forward(const at::Tensor& inputIds, const at::Tensor& attentionMask = {},
                       KvCache* cache = nullptr) override;
    std::vector<std::shared_ptr<torch::nn::Module>> layers() const override;
    std::vector<std::shared_ptr<torch::nn::Module>> embeddings() const override;
    at::Tensor lmHeadWeight() const override;
    at::Tensor tokenEmbeddingWeight() const override { return wte->weight; }

    torch::nn::Embedding wte{nullptr};
    torch::nn::Embedding wpe{nullptr};
    torch::nn::ModuleList h{nullptr};
    torch::nn::LayerNorm ln_f{nullptr};
    at::Tensor lmHead; // [V, C]; undefined when tied

protected:
    std::string basePrefix() const override { return "transformer."; }
    bool isIgnorableWeight(const std::string& name) const override;
};
TORCH_MODULE(Gpt2);

} // namespace fts
