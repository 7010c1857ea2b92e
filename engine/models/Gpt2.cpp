// GPT-2 forward pass, written from the paper and the Hugging Face checkpoint layout.
#include "models/Gpt2.h"

#include "Error.h"

#include <ATen/ATen.h>

namespace fts {
namespace {

// Initial weights of a fresh model (GPT-2 paper, sec. 2.3); loaded checkpoints overwrite them.
constexpr double kGpt2InitStd = 0.02;

torch::nn::LayerNorm layerNorm(const ModelConfig& c)
{
    return torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.hiddenSize}).eps(c.layerNormEps));
}

} // namespace

Gpt2AttentionImpl::Gpt2AttentionImpl(const ModelConfig& c)
    : numHeads(c.numHeads), attnDropout(c.attentionDropout), residDropout(c.hiddenDropout)
{
    c_attn = register_module(
        "c_attn", Projection(c.hiddenSize, 3 * c.hiddenSize, /*bias=*/true, WeightLayout::Conv1D));
    c_proj = register_module(
        "c_proj", Projection(c.hiddenSize, c.hiddenSize, /*bias=*/true, WeightLayout::Conv1D));
}

at::Tensor Gpt2AttentionImpl::forward(const at::Tensor& x, const DecoderStep& step, size_t layer)
{
    const int64_t batch = x.size(0), length = x.size(1), channels = x.size(2);
    const int64_t headDim = channels / numHeads;
    const auto qkv = c_attn(x).split(channels, /*dim=*/-1); // [B, T, 3C] -> 3 x [B, T, C]
    auto heads = [&](const at::Tensor& t) {
        return t.view({batch, length, numHeads, headDim}).transpose(1, 2); // -> [B, nh, T, hs]
    };
    at::Tensor q = heads(qkv[0]), k = heads(qkv[1]), v = heads(qkv[2]);
    if (step.cache)
        std::tie(k, v) = step.cache->append(layer, k, v); // -> [B, nh, S, hs]
    at::Tensor y = maskedAttention(q, k, v, step.allowed, attnDropout, is_training());
    y = y.transpose(1, 2).reshape({batch, length, channels}); // [B, nh, T, hs] -> [B, T, C]
    return maybeDropout(c_proj(y), residDropout, is_training());
}

Gpt2MlpImpl::Gpt2MlpImpl(const ModelConfig& c)
    : activation(activationByName(c.hiddenAct)), residDropout(c.hiddenDropout)
{
    c_fc = register_module(
        "c_fc", Projection(c.hiddenSize, c.intermediateSize, /*bias=*/true, WeightLayout::Conv1D));
    c_proj = register_module("c_proj", Projection(c.intermediateSize, c.hiddenSize, /*bias=*/true,
                                                  WeightLayout::Conv1D));
}

at::Tensor Gpt2MlpImpl::forward(const at::Tensor& x)
{
    // [B, T, C] -> [B, T, 4C] -> [B, T, C]
    return maybeDropout(c_proj(activation(c_fc(x))), residDropout, is_training());
}

Gpt2BlockImpl::Gpt2BlockImpl(const ModelConfig& c)
{
    ln_1 = register_module("ln_1", layerNorm(c));
    attn = register_module("attn", Gpt2Attention(c));
    ln_2 = register_module("ln_2", layerNorm(c));
    mlp = register_module("mlp", Gpt2Mlp(c));
}

at::Tensor Gpt2BlockImpl::forward(const at::Tensor& x, const DecoderStep& step, size_t layer)
{
    const at::Tensor h = x + attn(ln_1(x), step, layer);
    return h + mlp(ln_2(h));
}

Gpt2Impl::Gpt2Impl(const ModelConfig& c) : DecoderModel(c)
{
    // HF's GPT2LMHeadModel nests the base model under "transformer".
    auto transformer = register_module("transformer", std::make_shared<torch::nn::Module>());
    wte = transformer->register_module("wte", torch::nn::Embedding(c.vocabSize, c.hiddenSize));
    wpe = transformer->register_module("wpe", torch::nn::Embedding(c.maxPositions, c.hiddenSize));
    h = transformer->register_module("h", torch::nn::ModuleList());
    for (int64_t i = 0; i < c.numLayers; ++i)
        h->push_back(Gpt2Block(c));
    ln_f = transformer->register_module("ln_f", layerNorm(c));
    torch::NoGradGuard noGrad;
    wte->weight.normal_(0, kGpt2InitStd);
    wpe->weight.normal_(0, kGpt2InitStd);
    if (!c.tieWordEmbeddings) {
        auto head = register_module("lm_head", std::make_shared<torch::nn::Module>());
        lmHead = head->register_parameter(
            "weight", at::empty({c.vocabSize, c.hiddenSize}).normal_(0, kGpt2InitStd));
    }
}

at::Tensor Gpt2Impl::forward(const at::Tensor& inputIds, const at::Tensor& attentionMask,
                             KvCache* cache)
{
    const int64_t past = cache ? cache->length() : 0;
    if (past + inputIds.size(-1) > m_config.maxPositions)
        throw Error(QStringLiteral("This GPT-2 model reads at most %1 tokens (n_positions in "
                                   "config.json) but got %2; shorten the text or the generation.")
                        .arg(m_config.maxPositions)
                        .arg(past + inputIds.size(-1)));
    const DecoderStep step = prepareDecoderStep(inputIds, attentionMask, cache);
    at::Tensor x = wte(inputIds) + wpe(step.positions); // [B, T] -> [B, T, C]
    x = maybeDropout(x, m_config.hiddenDropout, is_training());
    for (size_t i = 0; i < h->size(); ++i)
        x = h->at<Gpt2BlockImpl>(i).forward(x, step, i);
    return at::linear(ln_f(x), lmHeadWeight()); // [B, T, C] -> [B, T, V]
}

std::vector<std::shared_ptr<torch::nn::Module>> Gpt2Impl::layers() const
{
    return h->children();
}

std::vector<std::shared_ptr<torch::nn::Module>> Gpt2Impl::embeddings() const
{
    return {wte.ptr(), wpe.ptr()};
}

at::Tensor Gpt2Impl::lmHeadWeight() const
{
    return m_config.tieWordEmbeddings ? wte->weight : lmHead;
}

bool Gpt2Impl::isIgnorableWeight(const std::string& name) const
{
    // Older checkpoints store the causal mask as buffers attn.bias / attn.masked_bias.
    return DecoderModel::isIgnorableWeight(name) || name.ends_with(".attn.bias") ||
           name.ends_with(".attn.masked_bias");
}

} // namespace fts
