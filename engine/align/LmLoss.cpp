// Token log-probabilities, the answer-only loss and the decoders' final hidden states.
#include "align/LmLoss.h"

#include "Error.h"
#include "models/Activations.h"
#include "models/Gpt2.h"
#include "models/Llama.h"

#include <ATen/ATen.h>

namespace fts {

at::Tensor tokenLogProbs(const at::Tensor& logits, const at::Tensor& ids)
{
    const int64_t T = ids.size(1);
    const at::Tensor logp = at::log_softmax(logits.narrow(1, 0, T - 1).to(at::kFloat), -1);
    // [B, T-1, V] gathered at the next token -> [B, T-1]
    return logp.gather(2, ids.narrow(1, 1, T - 1).unsqueeze(2)).squeeze(2);
}

SftBatch makeSftBatch(const std::vector<SftExample>& examples, const std::vector<int>& indices,
                      int64_t padId)
{
    size_t longest = 1;
    for (int i : indices)
        longest = std::max(longest, examples[size_t(i)].ids.size());
    // Widths in multiples of 8 keep oneDNN's per-shape kernel cache bounded (DESIGN.md).
    const int64_t t = int64_t((longest + 7) / 8 * 8);
    const int64_t b = int64_t(indices.size());
    SftBatch out;
    out.ids = at::full({b, t}, padId, at::kLong);
    out.mask = at::zeros({b, t}, at::kLong);
    out.target = at::zeros({b, t}, at::kLong);
    auto ids = out.ids.accessor<int64_t, 2>();
    auto mask = out.mask.accessor<int64_t, 2>();
    auto target = out.target.accessor<int64_t, 2>();
    for (int64_t r = 0; r < b; ++r) {
        const SftExample& e = examples[size_t(indices[size_t(r)])];
        for (size_t c = 0; c < e.ids.size(); ++c) {
            ids[r][int64_t(c)] = e.ids[c];
            mask[r][int64_t(c)] = 1;
            target[r][int64_t(c)] = e.target[c];
        }
    }
    return out;
}


at::Tensor maskedNll(const at::Tensor& logits, const at::Tensor& ids, const at::Tensor& target,
                     int64_t* tokens)
{
    const at::Tensor m = target.narrow(1, 1, ids.size(1) - 1).to(at::kFloat); // [B, T-1]
    const at::Tensor count = m.sum();
    if (tokens)
        *tokens = int64_t(count.item<double>());
    return -(tokenLogProbs(logits, ids) * m).sum() / count.clamp_min(1.0);
}

at::Tensor sequenceLogProbs(const at::Tensor& logits, const at::Tensor& ids,
                            const at::Tensor& target)
{
    const at::Tensor m = target.narrow(1, 1, ids.size(1) - 1).to(at::kFloat);
    return (tokenLogProbs(logits, ids) * m).sum(1);
}

at::Tensor decoderHiddenStates(DecoderModel& model, const at::Tensor& ids, const at::Tensor& mask)
{
    const DecoderStep step = prepareDecoderStep(ids, mask, nullptr);
    if (auto* gpt2 = dynamic_cast<Gpt2Impl*>(&model)) {
        if (ids.size(1) > gpt2->config().maxPositions)
            throw Error(QStringLiteral("This GPT-2 model reads at most %1 tokens (n_positions in "
                                       "config.json) but got %2; lower max_length.")
                            .arg(gpt2->config().maxPositions)
                            .arg(ids.size(1)));
        at::Tensor x = gpt2->wte(ids) + gpt2->wpe(step.positions); // [B, T] -> [B, T, C]
        x = maybeDropout(x, gpt2->config().hiddenDropout, gpt2->is_training());
        for (size_t i = 0; i < gpt2->h->size(); ++i)
            x = gpt2->h->at<Gpt2BlockImpl>(i).forward(x, step, i);
        return gpt2->ln_f(x);
    }
    if (auto* llama = dynamic_cast<LlamaImpl*>(&model)) {
        at::Tensor x = llama->embed_tokens(ids); // [B, T] -> [B, T, C]
        for (size_t i = 0; i < llama->decoderLayers->size(); ++i)
            x = llama->decoderLayers->at<LlamaLayerImpl>(i).forward(x, step, i);
        return llama->norm(x);
    }
    throw Error(QStringLiteral("Reward and value heads support GPT-2 and Llama-style decoders; "
                               "this model's family has no hidden-state access yet."));
}

at::Tensor lastTokenState(const at::Tensor& hidden, const at::Tensor& mask)
{
    const at::Tensor last = (mask.to(at::kLong).sum(1) - 1).clamp_min(0); // [B]
    const at::Tensor index = last.view({-1, 1, 1}).expand({hidden.size(0), 1, hidden.size(2)});
    return hidden.gather(1, index).squeeze(1); // [B, T, C] -> [B, C]
}

} // namespace fts
