// DistilBERT forward pass: word + position embeddings, post-norm layers, HF's names.
#include "models/DistilBert.h"

#include "Error.h"
#include "models/Activations.h"

#include <ATen/ATen.h>
#include <torch/nn/functional/dropout.h>

#include <cmath>

namespace fts {
namespace {


torch::nn::LayerNorm makeNorm(int64_t size)
{
    // HF's DistilBERT hard-codes eps = 1e-12 (config.json has no field for it).
    return torch::nn::LayerNorm(torch::nn::LayerNormOptions({size}).eps(1e-12));
}

} // namespace

DistilBertLayerImpl::DistilBertLayerImpl(const ModelConfig& c)
    : m_act(activationByName(c.hiddenAct)), m_heads(c.numHeads), m_dropout(c.hiddenDropout),
      m_attentionDropout(c.attentionDropout)
{
    const int64_t h = c.hiddenSize;
    auto attention = register_module("attention", std::make_shared<torch::nn::Module>());
    qLin = attention->register_module("q_lin", Projection(h, h, true));
    kLin = attention->register_module("k_lin", Projection(h, h, true));
    vLin = attention->register_module("v_lin", Projection(h, h, true));
    outLin = attention->register_module("out_lin", Projection(h, h, true));
    m_saNorm = register_module("sa_layer_norm", makeNorm(h));
    auto ffn = register_module("ffn", std::make_shared<torch::nn::Module>());
    lin1 = ffn->register_module("lin1", Projection(h, c.intermediateSize, true));
    lin2 = ffn->register_module("lin2", Projection(c.intermediateSize, h, true));
    m_outputNorm = register_module("output_layer_norm", makeNorm(h));
}

at::Tensor DistilBertLayerImpl::forward(const at::Tensor& x, const at::Tensor& bias)
{
    const int64_t b = x.size(0), t = x.size(1), h = x.size(2), hs = h / m_heads;
    auto heads = [&](const at::Tensor& y) { // [B, T, H] -> [B, nh, T, hs]
        return y.view({b, t, m_heads, hs}).transpose(1, 2);
    };
    const at::Tensor q = heads(qLin(x)) / std::sqrt(double(hs));
    const at::Tensor k = heads(kLin(x)), v = heads(vLin(x));
    const at::Tensor scores = at::matmul(q, k.transpose(-1, -2)) + bias; // [B, nh, T, T]
    const at::Tensor probs =
        maybeDropout(at::softmax(scores, -1), m_attentionDropout, is_training());
    const at::Tensor context = at::matmul(probs, v).transpose(1, 2).reshape({b, t, h}); // [B, T, H]
    const at::Tensor attended = m_saNorm(x + outLin(context));
    const at::Tensor ffn = maybeDropout(lin2(m_act(lin1(attended))), m_dropout, is_training());
    return m_outputNorm(attended + ffn);
}

at::Tensor DistilBertModelImpl::sinusoidalPositions(int64_t maxPositions, int64_t dim)
{
    // Column j uses the angle pos / 10000^(2 floor(j/2) / dim): sin on even columns, cos on odd.
    const at::Tensor pos = at::arange(maxPositions, at::kDouble).unsqueeze(1); // [P, 1]
    const at::Tensor pair = at::floor(at::arange(dim, at::kDouble) / 2) * 2;   // [D]
    const at::Tensor angle = pos / at::pow(10000.0, pair / double(dim));       // [P, D]
    const at::Tensor even = (at::arange(dim) % 2).eq(0);
    return at::where(even, at::sin(angle), at::cos(angle)).to(at::kFloat);
}

DistilBertModelImpl::DistilBertModelImpl(const ModelConfig& c) : EncoderModel(c)
{
    m_embeddings = register_module("embeddings", std::make_shared<torch::nn::Module>());
    m_wordEmbeddings = m_embeddings->register_module(
        "word_embeddings", torch::nn::Embedding(c.vocabSize, c.hiddenSize));
    m_positionEmbeddings = m_embeddings->register_module(
        "position_embeddings", torch::nn::Embedding(c.maxPositions, c.hiddenSize));
    if (c.sinusoidalPositions) {
        torch::NoGradGuard noGrad;
        m_positionEmbeddings->weight.copy_(sinusoidalPositions(c.maxPositions, c.hiddenSize));
        m_positionEmbeddings->weight.set_requires_grad(false); // fixed, as in HF
    }
    m_embeddingNorm = m_embeddings->register_module("LayerNorm", makeNorm(c.hiddenSize));
    m_layers = register_module("transformer", std::make_shared<torch::nn::Module>())
                   ->register_module("layer", torch::nn::ModuleList());
    for (int64_t i = 0; i < c.numLayers; ++i)
        m_layers->push_back(DistilBertLayer(c));
}

at::Tensor DistilBertModelImpl::forward(const at::Tensor& inputIds, const at::Tensor& attentionMask,
                                        const at::Tensor&)
{
    const int64_t t = inputIds.size(1);
    if (t > m_config.maxPositions)
        throw Error(
            QStringLiteral("The input has %1 tokens but this DistilBERT model reads at most "
                           "%2 (max_position_embeddings): shorten the texts or lower the "
                           "maximum length.")
                .arg(t)
                .arg(m_config.maxPositions));
    const at::Tensor positions = at::arange(t, inputIds.options()).unsqueeze(0); // [1, T]
    at::Tensor x = m_embeddingNorm(m_wordEmbeddings(inputIds) + m_positionEmbeddings(positions));
    x = maybeDropout(x, m_config.hiddenDropout, is_training()); // [B, T, H]
    const at::Tensor bias = attentionBias(attentionMask, x.scalar_type());
    for (const auto& layer : *m_layers)
        x = layer->as<DistilBertLayerImpl>()->forward(x, bias);
    return x;
}

std::vector<std::shared_ptr<torch::nn::Module>> DistilBertModelImpl::layers() const
{
    return std::vector<std::shared_ptr<torch::nn::Module>>(m_layers->begin(), m_layers->end());
}

} // namespace fts
