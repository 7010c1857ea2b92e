// BERT (Devlin et al. 2019) as a libtorch module with Hugging Face's BertModel parameter names.
#pragma once

#include "models/Activations.h"
#include "models/Encoder.h"
#include "models/Projection.h"

#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/normalization.h>

namespace fts {

// embeddings.{word,position,token_type}_embeddings + embeddings.LayerNorm; RoBERTa uses it too.
class BertEmbeddingsImpl : public torch::nn::Module
{
public:
    explicit BertEmbeddingsImpl(const ModelConfig& config);
    // ids, positions, types: [B, T] int64 -> [B, T, H]
    at::Tensor forward(const at::Tensor& ids, const at::Tensor& positions, const at::Tensor& types);

    torch::nn::Embedding wordEmbeddings{nullptr};
    torch::nn::Embedding positionEmbeddings{nullptr};
    torch::nn::Embedding tokenTypeEmbeddings{nullptr}; // null when type_vocab_size is 0

private:
    torch::nn::LayerNorm m_norm{nullptr};
    double m_dropout;
};
TORCH_MODULE(BertEmbeddings);

// encoder.layer.N: self-attention (attention.self.query|key|value, attention.output.dense and
// LayerNorm) then the feed-forward block (intermediate.dense, output.dense and LayerNorm),
// post-norm.
class BertLayerImpl : public torch::nn::Module
{
public:
    explicit BertLayerImpl(const ModelConfig& config);
    // x [B, T, H], bias [B, 1, 1, T] additive attention bias -> [B, T, H]
    at::Tensor forward(const at::Tensor& x, const at::Tensor& bias);

    Projection query{nullptr}, key{nullptr}, value{nullptr}, attentionOut{nullptr};
    Projection intermediate{nullptr}, output{nullptr};

private:
    torch::nn::LayerNorm m_attentionNorm{nullptr}, m_outputNorm{nullptr};
    ActivationFn m_act;
    int64_t m_heads;
    double m_hiddenDropout, m_attentionDropout;
};
TORCH_MODULE(BertLayer);

class BertModelImpl : public EncoderModel
{
public:
    // withPooler: BertModel's default; a checkpoint without pooler.* needs false.
    explicit BertModelImpl(const ModelConfig& config, bool withPooler = true);

    at::Tensor forward(const at::Tensor& inputIds, const at::Tensor& attentionMask = {},
                       const at::Tensor& tokenTypeIds = {}) override;
    std::shared_ptr<torch::nn::Module> embeddings() const override { return m_embeddings.ptr(); }
    std::vector<std::shared_ptr<torch::nn::Module>> layers() const override;
    // tanh(pooler.dense(first token)) [B, H]
    at::Tensor pooledOutput(const at::Tensor& lastHidden) override;
    std::string checkpointPrefix() const override { return "bert."; }

private:
    BertEmbeddings m_embeddings{nullptr};
    torch::nn::ModuleList m_layers{nullptr};
    Projection m_pooler{nullptr};
};
TORCH_MODULE(BertModel);

// The stack shared by BERT and RoBERTa: layers over embeddings, with padding masked out.
at::Tensor runBertLayers(torch::nn::ModuleList& layers, at::Tensor x,
                         const at::Tensor& attentionMask);

} // namespace fts
