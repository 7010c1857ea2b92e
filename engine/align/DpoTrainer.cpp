// The DPO trainer on the shared loop: cached reference log-probabilities, policy re-scored each
// step.
#include "align/DpoTrainer.h"

#include "Error.h"
#include "align/AlignLoop.h"
#include "align/LmLoss.h"
#include "align/PreferenceData.h"
#include "align/PreferenceLosses.h"
#include "align/SftData.h"
#include "tokenize/Tokenizer.h"

#include <ATen/ATen.h>

namespace fts {
namespace {

struct DpoExample
{
    SftExample chosen, rejected;
    double refChosen = 0, refRejected = 0; // Σ log π_ref over the answer tokens
};

struct PairBatch
{
    at::Tensor ids, mask, target; // [2B, T]: the B chosen answers, then the B rejected ones
};

PairBatch makePairBatch(const std::vector<DpoExample>& examples, const std::vector<int>& indices,
                        int64_t padId)
{
    std::vector<const SftExample*> rows;
    for (int i : indices)
        rows.push_back(&examples[size_t(i)].chosen);
    for (int i : indices)
        rows.push_back(&examples[size_t(i)].rejected);
    size_t longest = 1;
    for (const SftExample* e : rows)
        longest = std::max(longest, e->ids.size());
    const int64_t t = int64_t((longest + 7) / 8 * 8);
    const int64_t n = int64_t(rows.size());
    PairBatch b{at::full({n, t}, padId, at::kLong), at::zeros({n, t}, at::kLong),
                at::zeros({n, t}, at::kLong)};
    for (int64_t r = 0; r < n; ++r) {
        const SftExample& e = *rows[size_t(r)];
        const int64_t len = int64_t(e.ids.size());
        b.ids[r].narrow(0, 0, len).copy_(at::tensor(e.ids, at::kLong));
        b.mask[r].narrow(0, 0, len).fill_(1);
        b.target[r].narrow(0, 0, len).copy_(
            at::tensor(std::vector<int64_t>(e.target.begin(), e.target.end()), at::kLong));
    }
    return b;
}

// Summed answer log-probabilities [2B] of a batch under `model`.
at::Tensor answerLogProbs(DecoderModel& model, const PairBatch& b)
{
    return sequenceLogProbs(model.forward(b.ids, b.mask), b.ids, b.target);
}

void cacheReference(DecoderModel& reference, std::vector<DpoExample>& examples, int64_t padId,
                    int batchSize)
{
    torch::NoGradGuard noGrad;
    reference.eval();
    for (size_t start = 0; start < examples.size(); start += size_t(batchSize)) {
        std::vector<int> idx;
        for (size_t i = start; i < std::min(examples.size(), start + size_t(batchSize)); ++i)
            idx.push_back(int(i));
        const at::Tensor lp =
            answerLogProbs(reference, makePairBatch(examples, idx, padId)).to(at::kDouble);
        const int64_t n = int64_t(idx.size());
        for (int64_t i = 0; i < n; ++i) {
            examples[size_t(idx[size_t(i)])].refChosen = lp[i].item<double>();
            examples[size_t(idx[size_t(i)])].refRejected = lp[n + i].item<double>();
        }
    }
}

std::pair<at::Tensor, at::Tensor> referenceOf(const std::vector<DpoExample>& examples,
                                              const std::vector<int>& indices)
{
    std::vector<double> c, r;
    for (int i : indices) {
        c.push_back(examples[size_t(i)].refChosen);
        r.push_back(examples[size_t(i)].refRejected);
    }
    return {at::tensor(c, at::kFloat), at::tensor(r, at::kFloat)};
}

} // namespace

DpoTrainer::DpoTrainer(Project& project, AlignOptions options)
    : m_project(project), m_options(std::move(options))
{
}

AlignResult DpoTrainer::run()
{
    if (m_options.hp.dropout < 0)
        m_options.hp.dropout = 0;
    return train(0);
}

AlignResult DpoTrainer::resume(qint64 runId)
{
    const RunRecord record = runToResume(m_project, runId);
    m_options.modelDir = record.modelDir;
    m_options.dataFile = record.snapshot.value(QLatin1String("data_file")).toString();
    m_options.beta = record.snapshot.value(QLatin1String("beta")).toDouble(0.1);
    m_options.hp = Hyperparameters::fromJson(record.hyperparameters);
    return train(runId);
}

AlignResult DpoTrainer::train(qint64 resumeRunId)
{
    const Hyperparameters& hp = m_options.hp;
    const double beta = m_options.beta;
    if (!(beta > 0) || beta > 10)
        throw Error(QStringLiteral("DPO's beta must be above 0 and at most 10 (usually 0.05 to "
                                   "0.5); it is %1.")
                        .arg(beta));
    const ModelConfig config = ModelConfig::load(m_options.modelDir);
    if (!config.isDecoder())
        throw Error(QStringLiteral("DPO needs a decoder (GPT-2 or Llama-style); %1 holds %2.")
                        .arg(m_options.modelDir, config.modelType));
    const std::shared_ptr<Tokenizer> tokenizer =
        m_options.tokenizer ? m_options.tokenizer
                            : std::shared_ptr<Tokenizer>(loadTokenizer(m_options.modelDir));
    const ChatFormat format = chatFormatForModel(m_options.modelDir, ChatStyle::Plain);
    const int maxLength = int(std::min<int64_t>(hp.maxLength, config.maxPositions / 8 * 8));
    std::vector<DpoExample> train, val;
    for (const PreferenceRecord& r :
         readPreferenceJsonl(m_options.dataFile, PreferenceKind::Pairs)) {
        const QString user = QStringLiteral("user"), assistant = QStringLiteral("assistant");
        DpoExample e;
        e.chosen = encodeSft(*tokenizer, {{user, r.prompt}, {assistant, r.responses[0]}}, format,
                             maxLength);
        e.rejected = encodeSft(*tokenizer, {{user, r.prompt}, {assistant, r.responses[1]}}, format,
                               maxLength);
        if (r.split == QLatin1String("train"))
            train.push_back(std::move(e));
        else if (r.split == QLatin1String("val"))
            val.push_back(std::move(e));
    }
    TrainingContext context;
    context.trainRows = qint64(train.size());
    context.hiddenSize = int(config.hiddenSize);
    context.numLayers = int(config.numLayers);
    hp.validate(context);
    const int64_t padId = tokenizer->batchPadId();
    {
        Hyperparameters frozen = hp;
        frozen.method = QStringLiteral("full");
        const std::shared_ptr<DecoderModel> reference =
            loadDecoderForMethod(m_options.modelDir, frozen);
        cacheReference(*reference, train, padId, hp.batchSize);
        cacheReference(*reference, val, padId, hp.batchSize);
    }
    at::manual_seed(uint64_t(hp.seed));
    const std::shared_ptr<DecoderModel> policy = loadDecoderForMethod(m_options.modelDir, hp);

    LoopTask task;
    task.method = QStringLiteral("dpo");
    task.task = QStringLiteral("pairs");
    task.modelDir = m_options.modelDir;
    task.dataFile = m_options.dataFile;
    task.hp = hp;
    task.extra = {{"beta", beta}};
    task.model = policy.get();
    for (const DpoExample& e : train)
        task.lengths.push_back(std::max(e.chosen.ids.size(), e.rejected.ids.size()));
    task.trainLoss = [&](const std::vector<int>& indices, int64_t& tokens) {
        const PairBatch b = makePairBatch(train, indices, padId);
        tokens = b.mask.sum().item<int64_t>();
        const at::Tensor lp = answerLogProbs(*policy, b); // [2B]
        const int64_t n = int64_t(indices.size());
        const auto [refChosen, refRejected] = referenceOf(train, indices);
        return dpoLoss(lp.narrow(0, 0, n), lp.narrow(0, n, n), refChosen, refRejected, beta).loss;
    };
    if (!val.empty())
        task.evaluate = [&]() {
            std::vector<at::Tensor> chosen, rejected;
            for (size_t start = 0; start < val.size(); start += size_t(hp.batchSize)) {
                std::vector<int> idx;
                for (size_t i = start; i < std::min(val.size(), start + size_t(hp.batchSize)); ++i)
                    idx.push_back(int(i));
                const at::Tensor lp = answerLogProbs(*policy, makePairBatch(val, idx, padId));
                const int64_t n = int64_t(idx.size());
                chosen.push_back(lp.narrow(0, 0, n));
                rejected.push_back(lp.narrow(0, n, n));
            }
            std::vector<int> all(val.size());
            for (size_t i = 0; i < all.size(); ++i)
                all[i] = int(i);
            const auto [refChosen, refRejected] = referenceOf(val, all);
            const DpoOutput out =
                dpoLoss(at::cat(chosen), at::cat(rejected), refChosen, refRejected, beta);
            return Metrics{
                {QStringLiteral("loss"), out.loss.item<double>()},
                {QStringLiteral("reward_margin"), out.margin},
                {QStringLiteral("reward_accuracy"), out.accuracy},
                {QStringLiteral("reward_chosen"), out.chosenRewards.mean().item<double>()},
                {QStringLiteral("reward_rejected"), out.rejectedRewards.mean().item<double>()}};
        };
    task.selectMetric = QStringLiteral("loss");
    task.higherIsBetter = false;
    return runAlignLoop(m_project, task, m_options.callbacks, resumeRunId);
}

} // namespace fts
