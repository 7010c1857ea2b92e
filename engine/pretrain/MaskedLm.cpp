// The MLM head (HF BertLMPredictionHead: dense, activation, LayerNorm, tied decoder) and masking.
#include "pretrain/MaskedLm.h"

#include "models/StateDict.h"

#include <ATen/ATen.h>

namespace fts {

BertForMaskedLmImpl::BertForMaskedLmImpl(const ModelConfig& config)
    : m_act(activationByName(config.hiddenAct))
{
    bert = register_module("bert", BertModel(config, /*withPooler=*/false));
    auto predictions = addLevel(*addLevel(*this, "cls"), "predictions");
    auto transform = addLevel(*predictions, "transform");
    const int64_t h = config.hiddenSize;
    transformDense = transform->register_module("dense", torch::nn::Linear(h, h));
    transformNorm = transform->register_module(
        "LayerNorm",
        torch::nn::LayerNorm(torch::nn::LayerNormOptions({h}).eps(config.layerNormEps)));
    bias = predictions->register_parameter("bias", at::zeros({config.vocabSize}));
}

at::Tensor BertForMaskedLmImpl::forward(const at::Tensor& ids, const at::Tensor& attentionMask)
{
    const at::Tensor hidden = bert->forward(ids, attentionMask);       // [B, T, H]
    const at::Tensor x = transformNorm(m_act(transformDense(hidden))); // [B, T, H]
    const auto* embeddings = dynamic_cast<BertEmbeddingsImpl*>(bert->embeddings().get());
    return at::linear(x, embeddings->wordEmbeddings->weight, bias); // [B, T, H] -> [B, T, V]
}

at::Tensor BertForMaskedLmImpl::forwardMasked(const at::Tensor& ids, const at::Tensor& labels,
                                              const at::Tensor& attentionMask)
{
    const at::Tensor hidden = bert->forward(ids, attentionMask); // [B, T, H]
    const at::Tensor positions = labels.reshape(-1).ne(-100).nonzero().squeeze(1);
    const at::Tensor chosen = hidden.reshape({-1, hidden.size(-1)}).index_select(0, positions);
    const at::Tensor x = transformNorm(m_act(transformDense(chosen))); // [N, H]
    const auto* embeddings = dynamic_cast<BertEmbeddingsImpl*>(bert->embeddings().get());
    return at::linear(x, embeddings->wordEmbeddings->weight, bias); // [N, V]
}

void BertForMaskedLmImpl::initWeights(double std)
{
    initTransformerWeights(*this, std);
}

void initTransformerWeights(torch::nn::Module& module, double std)
{
    at::NoGradGuard noGrad;
    for (auto& item : module.named_parameters(/*recurse=*/true)) {
        at::Tensor p = item.value();
        const std::string& name = item.key();
        const bool norm = name.find("LayerNorm") != std::string::npos ||
                          name.find("layernorm") != std::string::npos ||
                          name.find("norm.") != std::string::npos;
        if (p.dim() >= 2)
            p.normal_(0.0, std);
        else if (norm && name.ends_with("weight"))
            p.fill_(1.0);
        else
            p.zero_();
    }
}

MaskedBatch maskTokens(const at::Tensor& ids, int64_t maskId, int64_t vocabSize,
                       const std::vector<int64_t>& specialIds, double probability,
                       c10::optional<at::Generator> generator)
{
    at::Tensor special = at::zeros(ids.sizes(), ids.options().dtype(at::kBool));
    for (int64_t id : specialIds)
        if (id >= 0)
            special = special | ids.eq(id);
    const auto draw = [&](double p) { // [B, T] bool, each true with probability p
        return at::bernoulli(at::full(ids.sizes(), p, at::kFloat), generator).to(at::kBool);
    };
    const at::Tensor chosen = draw(probability) & ~special;
    MaskedBatch out;
    out.labels = ids.masked_fill(~chosen, -100);
    const at::Tensor masked = draw(0.8) & chosen;
    // Half of the remaining 20% get a random id; the other half keep their token.
    const at::Tensor randomized = draw(0.5) & chosen & ~masked;
    const at::Tensor randomIds = at::randint(vocabSize, ids.sizes(), generator, ids.options());
    out.inputs = at::where(randomized, randomIds, ids.masked_fill(masked, maskId));
    return out;
}

} // namespace fts
