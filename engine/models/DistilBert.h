// DistilBERT (Sanh et al. 2019) as a libtorch module with HF's DistilBertModel parameter names.
#pragma once

#include "models/Activations.h"
#include "models/Encoder.h"
#include "models/Projection.h"

#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/normalization.h>

namespace fts {

// transformer.layer.N: attention.q_lin|k_lin|v_lin|out_lin, sa_layer_norm, ffn.lin1|lin2,
// output_layer_norm (post-norm like BERT, without token types or pooler).
class DistilBertLayerImpl : public torch::nn::Module
{
public:
    explicit DistilBertLayerImpl(const ModelConfig& config);
    // x [B, T, H], bias [B, 1, 1, T] additive attention bias -> [B, T, H]
    at::Tensor forward(const at::Tensor& x, const at::Tensor& bias);

    Projection qLin{nullptr}, kLin{nullptr}, vLin{nullptr}, outLin{nullptr};
    Projection lin1{nullptr}, lin2{nullptr};

private:
    torch::nn::LayerNorm m_saNorm{nullptr}, m_outputNorm{nullptr};
    ActivationFn m_act;
    int64_t m_heads;
    double m_dropout, m_attentionDropout;
};
TORCH_MODULE(DistilBertLayer);

class DistilBertModelImpl : public EncoderModel
{
public:
    explicit DistilBertModelImpl(const ModelConfig& config);

    // tokenTypeIds is ignored: DistilBERT has no segment embeddings.
    at::Tensor forward(const at::Tensor& inputIds, const at::Tensor& attentionMask = {},
                       const at::Tensor& tokenTypeIds = {}) override;
    std::shared_ptr<torch::nn::Module> embeddings() const override { return m_embeddings; }
    std::vector<std::shared_ptr<torch::nn::Module>> layers() const override;
    std::string checkpointPrefix() const override { return "distilbert."; }

    // sin/cos position table (Vaswani et al. 2017) [maxPositions, H], used when
    // sinusoidal_pos_embds is true; the checkpoint stores it too, as a frozen embedding.
    static at::Tensor sinusoidalPositions(int64_t maxPositions, int64_t dim);

private:
    std::shared_ptr<torch::nn::Module> m_embeddings;
    torch::nn::Embedding m_wordEmbeddings{nullptr}, m_positionEmbeddings{nullptr};
    torch::nn::LayerNorm m_embeddingNorm{nullptr};
    torch::nn::ModuleList m_layers{nullptr};
};
TORCH_MODULE(DistilBertModel);

} // namespace fts
