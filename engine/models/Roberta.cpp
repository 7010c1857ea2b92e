// RoBERTa forward pass: BERT's layers with padding-aware position ids.
#include "models/Roberta.h"

#include "Error.h"

#include <ATen/ATen.h>

namespace fts {

RobertaModelImpl::RobertaModelImpl(const ModelConfig& c, bool withPooler) : EncoderModel(c)
{
    m_embeddings = register_module("embeddings", BertEmbeddings(c));
    m_layers = register_module("encoder", std::make_shared<torch::nn::Module>())
                   ->register_module("layer", torch::nn::ModuleList());
    for (int64_t i = 0; i < c.numLayers; ++i)
        m_layers->push_back(BertLayer(c));
    if (withPooler)
        m_pooler = register_module("pooler", std::make_shared<torch::nn::Module>())
                       ->register_module("dense", Projection(c.hiddenSize, c.hiddenSize, true));
}

at::Tensor RobertaModelImpl::positionIds(const at::Tensor& inputIds, int64_t padTokenId)
{
    const at::Tensor real = inputIds.ne(padTokenId).to(at::kLong);
    return at::cumsum(real, 1) * real + padTokenId;
}

at::Tensor RobertaModelImpl::forward(const at::Tensor& inputIds, const at::Tensor& attentionMask,
                                     const at::Tensor& tokenTypeIds)
{
    const int64_t pad = std::max<int64_t>(m_config.padTokenId, 0);
    // Positions start after the padding index, so a RoBERTa model reads max_positions - pad - 1
    // tokens.
    const int64_t limit = m_config.maxPositions - pad - 1;
    if (inputIds.size(1) > limit)
        throw Error(
            QStringLiteral("The input has %1 tokens but this RoBERTa model reads at most %2 "
                           "(max_position_embeddings minus padding offset): shorten the "
                           "texts or lower the maximum length.")
                .arg(inputIds.size(1))
                .arg(limit));
    const at::Tensor types = tokenTypeIds.defined() ? tokenTypeIds : at::zeros_like(inputIds);
    const at::Tensor x = m_embeddings(inputIds, positionIds(inputIds, pad), types); // [B, T, H]
    return runBertLayers(m_layers, x, attentionMask);
}

std::vector<std::shared_ptr<torch::nn::Module>> RobertaModelImpl::layers() const
{
    return std::vector<std::shared_ptr<torch::nn::Module>>(m_layers->begin(), m_layers->end());
}

at::Tensor RobertaModelImpl::pooledOutput(const at::Tensor& lastHidden)
{
    if (!m_pooler)
        return {};
    return at::tanh(m_pooler(lastHidden.select(1, 0))); // [B, T, H] -> [B, H]
}

} // namespace fts
