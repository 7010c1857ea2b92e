// The decoder-only language model interface of the GPT-2 and Llama-style families; the KV cache.
#pragma once

#include "models/ModelConfig.h"
#include "models/Projection.h"
#include "models/Safetensors.h"

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>

#include <QString>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace fts {

// Keys and values of every position seen so far, per layer, so that generation runs each new token
// through the model once instead of recomputing the whole sequence.
struct KvCache
{
    std::vector<at::Tensor> keys; // per layer [B, n_kv, S, head_dim] (after rotary, before repeat)
    std::vector<at::Tensor> values; // per layer [B, n_kv, S, head_dim]
    at::Tensor mask; // [B, S] int64: 1 = token, 0 = padding, for every cached position

    int64_t length() const { return mask.defined() ? mask.size(1) : 0; }
    void clear();
    // Appends one layer's keys/values for the new positions ([B, n_kv, T, hd]) and returns all of
    // that layer's cached keys/values ([B, n_kv, S, hd]).
    std::pair<at::Tensor, at::Tensor> append(size_t layer, const at::Tensor& k,
                                             const at::Tensor& v);
};

// What every layer of one forward call needs to know besides the hidden states.
struct DecoderStep
{
    at::Tensor positions; // [B, T] int64 position ids; counted from the mask for left-padded rows
    at::Tensor allowed;   // [B, 1, T, S] bool: key s is visible to query t (causal, not padding)
    KvCache* cache = nullptr;
};

// Checks the inputs and derives positions and the visibility mask. `attentionMask` may cover the
// new tokens only ([B, T]) or, as Hugging Face passes it, the cached and new ones ([B, past + T]);
// undefined means no padding. Updates cache->mask. Throws fts::Error for inconsistent shapes.
DecoderStep prepareDecoderStep(const at::Tensor& inputIds, const at::Tensor& attentionMask,
                               KvCache* cache);

// softmax(q k^T / sqrt(hd)) v with invisible keys masked out; the softmax runs in fp32 whatever the
// weights' dtype. q [B, nh, T, hd], k/v [B, nh, S, hd], allowed [B, 1, T, S] -> [B, nh, T, hd].
at::Tensor maskedAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                           const at::Tensor& allowed, double dropout, bool training);

// A causal language model: token ids in, next-token logits out.
class DecoderModel : public torch::nn::Module
{
public:
    explicit DecoderModel(ModelConfig config);

    // inputIds [B, T] int64 -> logits [B, T, V]. With a cache, the ids are the tokens after the
    // cached ones and the cache grows by T. attentionMask: see prepareDecoderStep.
    virtual at::Tensor forward(const at::Tensor& inputIds, const at::Tensor& attentionMask = {},
                               KvCache* cache = nullptr) = 0;

    // The transformer blocks in order, and the token (and position) embeddings, for freezing.
    virtual std::vector<std::shared_ptr<torch::nn::Module>> layers() const = 0;
    virtual std::vector<std::shared_ptr<torch::nn::Module>> embeddings() const = 0;
    // [V, C]; with tie_word_embeddings this is the token embedding tensor itself.
    virtual at::Tensor lmHeadWeight() const = 0;
    virtual at::Tensor tokenEmbeddingWeight() const = 0;

    const ModelConfig& config() const { return m_config; }

    // Strict: every parameter must come from `weights` and every weight must be used, except the
    // ones Hugging Face itself skips (tied lm_head, causal-mask buffers). Accepts checkpoints of
    // the bare base model (names without "transformer." / "model."). `source` names the file.
    void loadWeights(const TensorMap& weights, const QString& source);
    // What save_pretrained writes: every parameter, the tied lm_head left out.
    TensorMap weightsToSave() const;
    // model.safetensors, or shards listed in model.safetensors.index.json.
    void loadFolder(const QString& modelDir);
    // config.json and model.safetensors, both written atomically; creates the folder.
    void saveFolder(const QString& modelDir) const;

protected:
    // "transformer." or "model.": the prefix of the base model's weights.
    virtual std::string basePrefix() const = 0;
    virtual bool isIgnorableWeight(const std::string& name) const;

    ModelConfig m_config;
};

// A randomly initialised model of the family in `config`; throws fts::Error for encoders.
std::shared_ptr<DecoderModel> makeDecoder(const ModelConfig& config);
// config.json + weights of a Hugging Face model folder.
std::shared_ptr<DecoderModel> loadDecoder(const QString& modelDir);

// Every Projection inside `module` by its dotted name (e.g. "model.layers.0.self_attn.q_proj"),
// so LoRA can be enabled by name suffix.
std::vector<std::pair<std::string, std::shared_ptr<ProjectionImpl>>>
namedProjections(const torch::nn::Module& module);

} // namespace fts
