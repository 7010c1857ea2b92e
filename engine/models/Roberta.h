// RoBERTa (Liu et al. 2019) as a libtorch module with Hugging Face's RobertaModel parameter names.
#pragma once

#include "models/Bert.h"
#include "models/Encoder.h"

namespace fts {

// RoBERTa's network is BERT's (same embeddings, layers and names, prefix "roberta."); it differs in
// its position ids, which count real tokens from padding_idx + 1 so padding never shifts them.
class RobertaModelImpl : public EncoderModel
{
public:
    // withPooler: RobertaModel has one, but RobertaForSequenceClassification does not use it.
    explicit RobertaModelImpl(const ModelConfig& config, bool withPooler = false);

    at::Tensor forward(const at::Tensor& inputIds, const at::Tensor& attentionMask = {},
                       const at::Tensor& tokenTypeIds = {}) override;
    std::shared_ptr<torch::nn::Module> embeddings() const override { return m_embeddings.ptr(); }
    std::vector<std::shared_ptr<torch::nn::Module>> layers() const override;
    at::Tensor pooledOutput(const at::Tensor& lastHidden) override;
    std::string checkpointPrefix() const override { return "roberta."; }

    // [B, T] ids -> [B, T] positions: pad + (running count of non-pad tokens), pad on padding.
    static at::Tensor positionIds(const at::Tensor& inputIds, int64_t padTokenId);

private:
    BertEmbeddings m_embeddings{nullptr};
    torch::nn::ModuleList m_layers{nullptr};
    Projection m_pooler{nullptr};
};
TORCH_MODULE(RobertaModel);

} // namespace fts
