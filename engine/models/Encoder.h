// The interface every encoder family (BERT, DistilBERT, RoBERTa) implements, and the factory.
#pragma once

#include "models/ModelConfig.h"

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>

#include <memory>
#include <string>
#include <vector>

namespace fts {

// A transformer encoder whose parameter names equal the Hugging Face base model's (without the
// "bert." / "distilbert." / "roberta." prefix the *ForSequenceClassification checkpoints add).
class EncoderModel : public torch::nn::Module
{
public:
    explicit EncoderModel(ModelConfig config) : m_config(std::move(config)) {}

    // inputIds [B, T] int64; attentionMask [B, T] (1 = token, 0 = padding; undefined = all tokens);
    // tokenTypeIds [B, T] (undefined = zeros; ignored by families without token types).
    // Returns the last hidden state [B, T, H].
    virtual at::Tensor forward(const at::Tensor& inputIds, const at::Tensor& attentionMask = {},
                               const at::Tensor& tokenTypeIds = {}) = 0;

    // The embedding block and the transformer layers in order, for freezing the first N layers.
    virtual std::shared_ptr<torch::nn::Module> embeddings() const = 0;
    virtual std::vector<std::shared_ptr<torch::nn::Module>> layers() const = 0;

    // BERT's pooler (tanh(dense(first token))); families without one return an undefined tensor.
    virtual at::Tensor pooledOutput(const at::Tensor& lastHidden)
    {
        (void)lastHidden;
        return {};
    }

    // The prefix HF's task models put before the base model's names: "bert.", "distilbert.", ...
    virtual std::string checkpointPrefix() const = 0;

    int64_t numLayers() const { return m_config.numLayers; }
    int64_t hiddenSize() const { return m_config.hiddenSize; }
    const ModelConfig& config() const { return m_config; }

protected:
    ModelConfig m_config;
};

// Builds the family named by config.family with freshly initialised weights (load them with
// loadStateDict). Throws fts::Error when the config is not an encoder.
std::shared_ptr<EncoderModel> makeEncoder(const ModelConfig& config);

// Turns a [B, T] 1/0 padding mask into an additive [B, 1, 1, T] attention bias: 0 for tokens and
// the dtype's lowest value for padding, as HF does (so softmax gives padding no weight).
at::Tensor attentionBias(const at::Tensor& attentionMask, at::ScalarType dtype);

} // namespace fts
