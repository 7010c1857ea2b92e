// Decoding loop and logit processors, applied in HF generate's order (penalty, then warpers).
#include "models/Generation.h"

#include "Error.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <limits>
#include <set>

namespace fts {
namespace {

constexpr float kMinusInf = -std::numeric_limits<float>::infinity();

void validate(const DecoderModel& model, const std::vector<std::vector<int64_t>>& prompts,
              const GenerationOptions& o)
{
    if (prompts.empty())
        throw Error(QStringLiteral("Generation needs at least one prompt."));
    const int64_t vocab = model.config().vocabSize;
    for (const auto& prompt : prompts) {
        if (prompt.empty())
            throw Error(QStringLiteral("The prompt is empty; type some text to continue."));
        for (int64_t id : prompt)
            if (id < 0 || id >= vocab)
                throw Error(QStringLiteral("Token id %1 is outside the model's vocabulary (%2 "
                                           "tokens); the tokenizer does not belong to this model.")
                                .arg(id)
                                .arg(vocab));
    }
    if (o.maxNewTokens < 0)
        throw Error(QStringLiteral("The number of new tokens cannot be negative."));
    if (o.sample && !(o.temperature > 0))
        throw Error(QStringLiteral("Temperature must be above 0 (it is %1); for deterministic "
                                   "output switch sampling off.")
                        .arg(o.temperature));
    if (!(o.topP > 0 && o.topP <= 1))
        throw Error(QStringLiteral("Top-p must be above 0 and at most 1 (it is %1).").arg(o.topP));
    if (o.topK < 0)
        throw Error(
            QStringLiteral("Top-k cannot be negative (it is %1); 0 switches it off.").arg(o.topK));
    if (!(o.repetitionPenalty > 0))
        throw Error(QStringLiteral("The repetition penalty must be above 0 (it is %1); 1 switches "
                                   "it off.")
                        .arg(o.repetitionPenalty));
}

// Eval mode for the duration of generation, restored even when an exception leaves early.
class EvalModeGuard
{
public:
    explicit EvalModeGuard(torch::nn::Module& m) : m_module(m), m_wasTraining(m.is_training())
    {
        m_module.eval();
    }
    ~EvalModeGuard() { m_module.train(m_wasTraining); }

private:
    torch::nn::Module& m_module;
    bool m_wasTraining;
};

bool endsWithSequence(const std::vector<int64_t>& tokens, const std::vector<int64_t>& seq)
{
    return !seq.empty() && tokens.size() >= seq.size() &&
           std::equal(seq.begin(), seq.end(), tokens.end() - seq.size());
}

// Appends one chosen token to a row; returns true when the row is finished.
bool recordToken(GenerationResult& r, size_t row, int64_t token, const GenerationOptions& o)
{
    r.tokens.push_back(token);
    const bool keepGoing = !o.onToken || o.onToken(row, token);
    if (std::find(o.stopTokenIds.begin(), o.stopTokenIds.end(), token) != o.stopTokenIds.end()) {
        r.reason = StopReason::StopToken;
        return true;
    }
    for (const auto& seq : o.stopSequences)
        if (endsWithSequence(r.tokens, seq)) {
            r.reason = StopReason::StopSequence;
            return true;
        }
    if (!keepGoing) {
        r.reason = StopReason::Callback;
        return true;
    }
    return false;
}

// Left padding keeps every row's last token in the last column: ids and mask, each [B, L].
std::pair<at::Tensor, at::Tensor> leftPad(const std::vector<std::vector<int64_t>>& prompts,
                                          int64_t padId, const at::TensorOptions& longOpts)
{
    const auto batch = int64_t(prompts.size());
    int64_t longest = 0;
    for (const auto& p : prompts)
        longest = std::max<int64_t>(longest, p.size());
    std::vector<int64_t> ids(batch * longest, padId), mask(batch * longest, 0);
    for (int64_t b = 0; b < batch; ++b) {
        const int64_t offset = longest - int64_t(prompts[b].size());
        std::copy(prompts[b].begin(), prompts[b].end(), ids.begin() + b * longest + offset);
        std::fill(mask.begin() + b * longest + offset, mask.begin() + (b + 1) * longest, 1);
    }
    return {at::tensor(ids, longOpts).view({batch, longest}),
            at::tensor(mask, longOpts).view({batch, longest})};
}

} // namespace

at::Tensor applyRepetitionPenalty(const at::Tensor& logits, const std::vector<int64_t>& seen,
                                  double penalty)
{
    if (penalty == 1.0 || seen.empty())
        return logits;
    const std::set<int64_t> unique(seen.begin(), seen.end()); // a token is penalised once
    const at::Tensor idx = at::tensor(std::vector<int64_t>(unique.begin(), unique.end()),
                                      logits.options().dtype(at::kLong));
    const at::Tensor picked = logits.index_select(0, idx);
    const at::Tensor penalised = at::where(picked < 0, picked * penalty, picked / penalty);
    return logits.clone().index_copy_(0, idx, penalised);
}

at::Tensor topKFilter(const at::Tensor& logits, int64_t k)
{
    if (k <= 0 || k >= logits.size(-1))
        return logits;
    const at::Tensor kth = std::get<0>(logits.topk(k)).select(-1, k - 1);
    return logits.masked_fill(logits < kth, kMinusInf);
}

at::Tensor topPFilter(const at::Tensor& logits, double p)
{
    if (p >= 1.0)
        return logits;
    const auto [sorted, order] = logits.sort(/*dim=*/-1, /*descending=*/true);
    const at::Tensor probs = at::softmax(sorted, -1);
    // Drop a token when the more likely ones already reach p; the most likely always stays.
    const at::Tensor dropSorted = (probs.cumsum(-1) - probs) >= p;
    const at::Tensor drop = at::zeros_like(dropSorted).scatter(-1, order, dropSorted);
    return logits.masked_fill(drop, kMinusInf);
}

int64_t chooseToken(const at::Tensor& logits, const std::vector<int64_t>& seen,
                    const GenerationOptions& o, at::Generator& generator)
{
    at::Tensor x = applyRepetitionPenalty(logits.to(at::kFloat), seen, o.repetitionPenalty);
    if (o.tokenizerVocab > 0 && o.tokenizerVocab < x.size(-1))
        x = x.index_fill(-1, at::arange(o.tokenizerVocab, x.size(-1), at::kLong).to(x.device()), kMinusInf);
    if (!o.sample)
        return x.argmax().item<int64_t>();
    if (o.temperature != 1.0)
        x = x / o.temperature;
    x = topPFilter(topKFilter(x, o.topK), o.topP);
    // Drawn on the CPU with the caller's generator, so a seed reproduces on any device.
    const at::Tensor probs = at::softmax(x, -1).to(at::kCPU);
    return at::multinomial(probs, /*num_samples=*/1, /*replacement=*/false, generator)
        .item<int64_t>();
}

std::vector<GenerationResult> generateBatch(DecoderModel& model,
                                            const std::vector<std::vector<int64_t>>& prompts,
                                            const GenerationOptions& o, int64_t padId)
{
    validate(model, prompts, o);
    torch::NoGradGuard noGrad;
    EvalModeGuard evalMode(model);
    const auto batch = int64_t(prompts.size());
    const auto longOpts =
        at::TensorOptions().dtype(at::kLong).device(model.parameters().front().device());
    auto [seq, seqMask] = leftPad(prompts, padId, longOpts); // [B, L] each
    const int64_t room = model.config().maxPositions - seq.size(1);
    if (room < 0)
        throw Error(QStringLiteral("The prompt has %1 tokens but the model reads at most %2; "
                                   "shorten it.")
                        .arg(seq.size(1))
                        .arg(model.config().maxPositions));
    const int64_t budget = std::min(o.maxNewTokens, room);
    std::vector<std::vector<int64_t>> seen(prompts); // what the repetition penalty looks at

    at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(o.seed);
    std::vector<GenerationResult> results(batch);
    std::vector<bool> finished(batch, false);
    int64_t active = batch;
    KvCache cache;
    at::Tensor logits =
        o.useCache ? model.forward(seq, seqMask, &cache) : model.forward(seq, seqMask);
    for (int64_t step = 0; step < budget && active > 0; ++step) {
        if (o.isCancelled && o.isCancelled()) {
            for (int64_t b = 0; b < batch; ++b)
                if (!finished[b])
                    results[b].reason = StopReason::Cancelled;
            return results;
        }
        const at::Tensor last = logits.select(1, -1).to(at::kFloat); // [B, V]
        std::vector<int64_t> next(batch, padId);
        for (int64_t b = 0; b < batch; ++b) {
            if (finished[b])
                continue;
            if (o.keepLogits)
                results[b].stepLogits.push_back(last[b].clone());
            next[b] = chooseToken(last[b], seen[b], o, generator);
            seen[b].push_back(next[b]);
            if (recordToken(results[b], size_t(b), next[b], o)) {
                finished[b] = true;
                --active;
            }
        }
        if (active == 0 || step + 1 == budget)
            break;
        const at::Tensor column = at::tensor(next, longOpts).view({batch, 1}); // [B, 1]
        if (o.useCache) {
            logits = model.forward(column, at::Tensor(), &cache);
        } else {
            seq = at::cat({seq, column}, 1);
            seqMask = at::cat({seqMask, at::ones_like(column)}, 1);
            logits = model.forward(seq, seqMask);
        }
    }
    for (int64_t b = 0; b < batch; ++b)
        if (!finished[b] && budget < o.maxNewTokens)
            results[b].reason = StopReason::ContextFull;
    return results;
}

GenerationResult generate(DecoderModel& model, const std::vector<int64_t>& promptIds,
                          const GenerationOptions& options)
{
    return generateBatch(model, {promptIds}, options).front();
}

} // namespace fts
