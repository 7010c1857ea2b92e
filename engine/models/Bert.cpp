// BERT forward pass: embeddings, post-norm transformer layers, pooler; names follow HF's BertModel.
#include "models/Bert.h"

#include "Error.h"
#include "models/Activations.h"
#include "models/StateDict.h"

#include <ATen/ATen.h>
#include <torch/nn/functional/dropout.h>

#include <cmath>

namespace fts {
namespace {

torch::nn::LayerNorm makeNorm(int64_t size, double eps)
{
    return torch::nn::LayerNorm(torch::nn::LayerNormOptions({size}).eps(eps));
}

} // namespace

BertEmbeddingsImpl::BertEmbeddingsImpl(const ModelConfig& c) : m_dropout(c.hiddenDropout)
{
    wordEmbeddings =
        register_module("word_embeddings", torch::nn::Embedding(c.vocabSize, c.hiddenSize));
    positionEmbeddings =
        register_module("position_embeddings", torch::nn::Embedding(c.maxPositions, c.hiddenSize));
    if (c.typeVocabSize > 0)
        tokenTypeEmbeddings = register_module("token_type_embeddings",
                                              torch::nn::Embedding(c.typeVocabSize, c.hiddenSize));
    m_norm = register_module("LayerNorm", makeNorm(c.hiddenSize, c.layerNormEps));
}

at::Tensor BertEmbeddingsImpl::forward(const at::Tensor& ids, const at::Tensor& positions,
                                       const at::Tensor& types)
{
    at::Tensor x = wordEmbeddings(ids) + positionEmbeddings(positions); // [B, T, H]
    if (tokenTypeEmbeddings)
        x = x + tokenTypeEmbeddings(types);
    return maybeDropout(m_norm(x), m_dropout, is_training());
}

BertLayerImpl::BertLayerImpl(const ModelConfig& c)
    : m_act(activationByName(c.hiddenAct)), m_heads(c.numHeads), m_hiddenDropout(c.hiddenDropout),
      m_attentionDropout(c.attentionDropout)
{
    const int64_t h = c.hiddenSize;
    auto attention = addLevel(*this, "attention");
    auto self = addLevel(*attention, "self");
    query = self->register_module("query", Projection(h, h, true));
    key = self->register_module("key", Projection(h, h, true));
    value = self->register_module("value", Projection(h, h, true));
    auto attentionOutput = addLevel(*attention, "output");
    attentionOut = attentionOutput->register_module("dense", Projection(h, h, true));
    m_attentionNorm = attentionOutput->register_module("LayerNorm", makeNorm(h, c.layerNormEps));
    intermediate = addLevel(*this, "intermediate")
                       ->register_module("dense", Projection(h, c.intermediateSize, true));
    auto out = addLevel(*this, "output");
    output = out->register_module("dense", Projection(c.intermediateSize, h, true));
    m_outputNorm = out->register_module("LayerNorm", makeNorm(h, c.layerNormEps));
}

at::Tensor BertLayerImpl::forward(const at::Tensor& x, const at::Tensor& bias)
{
    const int64_t b = x.size(0), t = x.size(1), h = x.size(2), hs = h / m_heads;
    auto heads = [&](const at::Tensor& y) { // [B, T, H] -> [B, nh, T, hs]
        return y.view({b, t, m_heads, hs}).transpose(1, 2);
    };
    const at::Tensor q = heads(query(x)), k = heads(key(x)), v = heads(value(x));
    // Scaled dot-product attention (Vaswani et al. 2017); padding keys get the bias' lowest value.
    at::Tensor scores =
        at::matmul(q, k.transpose(-1, -2)) / std::sqrt(double(hs)) + bias; // [B, nh, T, T]
    const at::Tensor probs =
        maybeDropout(at::softmax(scores, -1), m_attentionDropout, is_training());
    const at::Tensor context = at::matmul(probs, v).transpose(1, 2).reshape({b, t, h}); // [B, T, H]
    const at::Tensor attended =
        m_attentionNorm(x + maybeDropout(attentionOut(context), m_hiddenDropout, is_training()));
    const at::Tensor ffn = output(m_act(intermediate(attended)));
    return m_outputNorm(attended + maybeDropout(ffn, m_hiddenDropout, is_training()));
}

at::Tensor runBertLayers(torch::nn::ModuleList& layers, at::Tensor x,
                         const at::Tensor& attentionMask)
{
    const at::Tensor bias = attentionBias(attentionMask, x.scalar_type());
    for (const auto& layer : *layers)
        x = layer->as<BertLayerImpl>()->forward(x, bias);
    return x;
}

BertModelImpl::BertModelImpl(const ModelConfig& c, bool withPooler) : EncoderModel(c)
{
    m_embeddings = register_module("embeddings", BertEmbeddings(c));
    m_layers = addLevel(*this, "encoder")->register_module("layer", torch::nn::ModuleList());
    for (int64_t i = 0; i < c.numLayers; ++i)
        m_layers->push_back(BertLayer(c));
    if (withPooler)
        m_pooler = addLevel(*this, "pooler")
                       ->register_module("dense", Projection(c.hiddenSize, c.hiddenSize, true));
}

at::Tensor BertModelImpl::forward(const at::Tensor& inputIds, const at::Tensor& attentionMask,
                                  const at::Tensor& tokenTypeIds)
{
    const int64_t t = inputIds.size(1);
    if (t > m_config.maxPositions)
        throw Error(QStringLiteral("The input has %1 tokens but this BERT model reads at most %2 "
                                   "(max_position_embeddings): shorten the texts or lower the "
                                   "maximum length.")
                        .arg(t)
                        .arg(m_config.maxPositions));
    const at::Tensor positions = at::arange(t, inputIds.options()).unsqueeze(0).expand_as(inputIds);
    const at::Tensor types = tokenTypeIds.defined() ? tokenTypeIds : at::zeros_like(inputIds);
    return runBertLayers(m_layers, m_embeddings(inputIds, positions, types), attentionMask);
}

std::vector<std::shared_ptr<torch::nn::Module>> BertModelImpl::layers() const
{
    return std::vector<std::shared_ptr<torch::nn::Module>>(m_layers->begin(), m_layers->end());
}

at::Tensor BertModelImpl::pooledOutput(const at::Tensor& lastHidden)
{
    if (!m_pooler)
        return {};
    return at::tanh(m_pooler(lastHidden.select(1, 0))); // [B, T, H] -> [B, H]
}

} // namespace fts
