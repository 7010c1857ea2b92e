// Llama-style forward pass, written from the Llama paper (Touvron et al. 2023) and HF's layout.
#include "models/Llama.h"

#include "Error.h"
#include "models/Rotary.h"

#include <ATen/ATen.h>

namespace fts {
namespace {

// HF's initializer_range default for fresh models; loaded checkpoints overwrite it.
constexpr double kLlamaInitStd = 0.02;

} // namespace

LlamaAttentionImpl::LlamaAttentionImpl(const ModelConfig& c)
    : numHeads(c.numHeads), numKvHeads(c.numKvHeads), headDim(c.headDim), ropeTheta(c.ropeTheta),
      attnDropout(c.attentionDropout)
{
    const bool qkvBias = c.attentionBias;
    const bool oBias = c.attentionBias && !c.qkvBiasOnly; // Qwen2: no bias on o_proj
    q_proj = register_module("q_proj", Projection(c.hiddenSize, numHeads * headDim, qkvBias));
    k_proj = register_module("k_proj", Projection(c.hiddenSize, numKvHeads * headDim, qkvBias));
    v_proj = register_module("v_proj", Projection(c.hiddenSize, numKvHeads * headDim, qkvBias));
    o_proj = register_module("o_proj", Projection(numHeads * headDim, c.hiddenSize, oBias));
}

at::Tensor LlamaAttentionImpl::forward(const at::Tensor& x, const DecoderStep& step, size_t layer)
{
    const int64_t batch = x.size(0), length = x.size(1);
    // [B, T, n * hd] -> [B, n, T, hd]
    auto heads = [&](const at::Tensor& t, int64_t n) {
        return t.view({batch, length, n, headDim}).transpose(1, 2);
    };
    at::Tensor q = heads(q_proj(x), numHeads);
    at::Tensor k = heads(k_proj(x), numKvHeads);
    at::Tensor v = heads(v_proj(x), numKvHeads);
    const auto [cos, sin] = rotaryCosSin(step.positions, headDim, ropeTheta);
    q = applyRotary(q, cos, sin);
    k = applyRotary(k, cos, sin);
    if (step.cache)
        std::tie(k, v) = step.cache->append(layer, k, v); // -> [B, n_kv, S, hd]
    // Grouped-query attention: query head i reads kv head i / (n_heads / n_kv).
    const int64_t groups = numHeads / numKvHeads;
    if (groups > 1) {
        k = k.repeat_interleave(groups, /*dim=*/1); // [B, n_kv, S, hd] -> [B, nh, S, hd]
        v = v.repeat_interleave(groups, /*dim=*/1);
    }
    at::Tensor y = maskedAttention(q, k, v, step.allowed, attnDropout, is_training());
    y = y.transpose(1, 2).reshape({batch, length, numHeads * headDim}); // -> [B, T, nh * hd]
    return o_proj(y);
}

LlamaMlpImpl::LlamaMlpImpl(const ModelConfig& c) : activation(activationByName(c.hiddenAct))
{
    gate_proj =
        register_module("gate_proj", Projection(c.hiddenSize, c.intermediateSize, c.mlpBias));
    up_proj = register_module("up_proj", Projection(c.hiddenSize, c.intermediateSize, c.mlpBias));
    down_proj =
        register_module("down_proj", Projection(c.intermediateSize, c.hiddenSize, c.mlpBias));
}

at::Tensor LlamaMlpImpl::forward(const at::Tensor& x)
{
    // [B, T, C] -> [B, T, I] -> [B, T, C]
    return down_proj(activation(gate_proj(x)) * up_proj(x));
}

LlamaLayerImpl::LlamaLayerImpl(const ModelConfig& c)
{
    input_layernorm = register_module("input_layernorm", RmsNorm(c.hiddenSize, c.rmsNormEps));
    self_attn = register_module("self_attn", LlamaAttention(c));
    post_attention_layernorm =
        register_module("post_attention_layernorm", RmsNorm(c.hiddenSize, c.rmsNormEps));
    mlp = register_module("mlp", LlamaMlp(c));
}

at::Tensor LlamaLayerImpl::forward(const at::Tensor& x, const DecoderStep& step, size_t layer)
{
    const at::Tensor h = x + self_attn(input_layernorm(x), step, layer);
    return h + mlp(post_attention_layernorm(h));
}

LlamaImpl::LlamaImpl(const ModelConfig& c) : DecoderModel(c)
{
    if (c.headDim % 2 != 0)
        throw Error(
            QStringLiteral("head_dim must be even for rotary position embeddings; it is %1.")
                .arg(c.headDim));
    // HF's LlamaForCausalLM nests the base model under "model".
    auto base = register_module("model", std::make_shared<torch::nn::Module>());
    embed_tokens =
        base->register_module("embed_tokens", torch::nn::Embedding(c.vocabSize, c.hiddenSize));
    decoderLayers = base->register_module("layers", torch::nn::ModuleList());
    for (int64_t i = 0; i < c.numLayers; ++i)
        decoderLayers->push_back(LlamaLayer(c));
    norm = base->register_module("norm", RmsNorm(c.hiddenSize, c.rmsNormEps));
    torch::NoGradGuard noGrad;
    embed_tokens->weight.normal_(0, kLlamaInitStd);
    if (!c.tieWordEmbeddings) {
        auto head = register_module("lm_head", std::make_shared<torch::nn::Module>());
        lmHead = head->register_parameter(
            "weight", at::empty({c.vocabSize, c.hiddenSize}).normal_(0, kLlamaInitStd));
    }
}

at::Tensor LlamaImpl::forward(const at::Tensor& inputIds, const at::Tensor& attentionMask,
                              KvCache* cache)
{
    const DecoderStep step = prepareDecoderStep(inputIds, attentionMask, cache);
    at::Tensor x = embed_tokens(inputIds); // [B, T] -> [B, T, C]
    for (size_t i = 0; i < decoderLayers->size(); ++i)
        x = decoderLayers->at<LlamaLayerImpl>(i).forward(x, step, i);
    return at::linear(norm(x), lmHeadWeight()); // [B, T, C] -> [B, T, V]
}

std::vector<std::shared_ptr<torch::nn::Module>> LlamaImpl::layers() const
{
    return decoderLayers->children();
}

std::vector<std::shared_ptr<torch::nn::Module>> LlamaImpl::embeddings() const
{
    return {embed_tokens.ptr()};
}

at::Tensor LlamaImpl::lmHeadWeight() const
{
    return m_config.tieWordEmbeddings ? embed_tokens->weight : lmHead;
}

bool LlamaImpl::isIgnorableWeight(const std::string& name) const
{
    // Checkpoints from older transformers versions store the rotary frequencies as a buffer.
    return DecoderModel::isIgnorableWeight(name) || name.ends_with(".rotary_emb.inv_freq");
}

} // namespace fts
