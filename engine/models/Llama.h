// Llama-style decoders (Llama, Mistral without sliding window, Qwen2, SmolLM) with HF weight names.
#pragma once

#include "models/Activations.h"
#include "models/Decoder.h"
#include "models/Projection.h"
#include "models/RmsNorm.h"

#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/embedding.h>

namespace fts {

// self_attn: q/k/v/o projections, rotary positions, grouped-query attention (n_kv <= n_heads).
struct LlamaAttentionImpl : torch::nn::Module
{
    explicit LlamaAttentionImpl(const ModelConfig& config);
    at::Tensor forward(const at::Tensor& x, const DecoderStep& step, size_t layer);

    Projection q_proj{nullptr};
    Projection k_proj{nullptr};
    Projection v_proj{nullptr};
    Projection o_proj{nullptr};
    int64_t numHeads;
    int64_t numKvHeads;
    int64_t headDim;
    double ropeTheta;
    double attnDropout;
};
TORCH_MODULE(LlamaAttention);

// mlp: SwiGLU (Shazeer 2020), down(act(gate(x)) * up(x)).
struct LlamaMlpImpl : torch::nn::Module
{
    explicit LlamaMlpImpl(const ModelConfig& config);
    at::Tensor forward(const at::Tensor& x);

    Projection gate_proj{nullptr};
    Projection up_proj{nullptr};
    Projection down_proj{nullptr};
    ActivationFn activation; // resolved once from config.json's name
};
TORCH_MODULE(LlamaMlp);

// model.layers.N: x + attn(input_layernorm(x)), then x + mlp(post_attention_layernorm(x)).
struct LlamaLayerImpl : torch::nn::Module
{
    explicit LlamaLayerImpl(const ModelConfig& config);
    at::Tensor forward(const at::Tensor& x, const DecoderStep& step, size_t layer);

    RmsNorm input_layernorm{nullptr};
    LlamaAttention self_attn{nullptr};
    RmsNorm post_attention_layernorm{nullptr};
    LlamaMlp mlp{nullptr};
};
TORCH_MODULE(LlamaLayer);

// LlamaForCausalLM: model.{embed_tokens, layers, norm} and lm_head (tied or not).
class LlamaImpl : public DecoderModel
{
public:
    explicit LlamaImpl(const ModelConfig& config);

    at::Tensor forward(const at::Tensor& inputIds, const at::Tensor& attentionMask = {},
                       KvCache* cache = nullptr) override;
    std::vector<std::shared_ptr<torch::nn::Module>> layers() const override;
    std::vector<std::shared_ptr<torch::nn::Module>> embeddings() const override;
    at::Tensor lmHeadWeight() const override;
    at::Tensor tokenEmbeddingWeight() const override { return embed_tokens->weight; }

    torch::nn::Embedding embed_tokens{nullptr};
    torch::nn::ModuleList decoderLayers{nullptr}; // "model.layers"
    RmsNorm norm{nullptr};
    at::Tensor lmHead; // [V, C]; undefined when tied

protected:
    std::string basePrefix() const override { return "model."; }
    bool isIgnorableWeight(const std::string& name) const override;
};
TORCH_MODULE(Llama);

} // namespace fts
