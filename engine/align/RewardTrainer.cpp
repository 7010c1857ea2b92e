// The reward-model trainer and scorer on the shared loop.
#include "align/RewardTrainer.h"

#include "Error.h"
#include "align/AlignLoop.h"
#include "align/PreferenceData.h"
#include "align/PreferenceLosses.h"
#include "align/RewardModel.h"
#include "models/StateDict.h"
#include "project/Project.h"
#include "tokenize/Tokenizer.h"

#include <ATen/ATen.h>

#include <QDir>

namespace fts {
namespace {

using Ids = std::vector<int64_t>;

// Right-padded [N, T] ids and mask, T a multiple of 8 (bounded oneDNN shape cache).
std::pair<at::Tensor, at::Tensor> padRows(const std::vector<const Ids*>& rows, int64_t padId)
{
    size_t longest = 1;
    for (const Ids* r : rows)
        longest = std::max(longest, r->size());
    const int64_t t = int64_t((longest + 7) / 8 * 8);
    at::Tensor ids = at::full({int64_t(rows.size()), t}, padId, at::kLong);
    at::Tensor mask = at::zeros({int64_t(rows.size()), t}, at::kLong);
    for (size_t r = 0; r < rows.size(); ++r) {
        const int64_t n = int64_t(rows[r]->size());
        ids[int64_t(r)].narrow(0, 0, n).copy_(at::tensor(*rows[r], at::kLong));
        mask[int64_t(r)].narrow(0, 0, n).fill_(1);
    }
    return {ids, mask};
}

// One split's records encoded: ids[record][response].
struct EncodedSplit
{
    std::vector<PreferenceRecord> records;
    std::vector<std::vector<Ids>> ids;
};

EncodedSplit encodeSplit(std::vector<PreferenceRecord> records, const RewardModelImpl& model,
                         const Tokenizer& tokenizer, const QString& modelDir, int maxLength)
{
    EncodedSplit out;
    for (const PreferenceRecord& r : records) {
        std::vector<Ids> ids;
        for (const QString& response : r.responses)
            ids.push_back(model.encode(tokenizer, modelDir, r.prompt, response, maxLength));
        out.ids.push_back(std::move(ids));
    }
    out.records = std::move(records);
    return out;
}

Metrics pairMetrics(RewardModelImpl& model, const EncodedSplit& split, PreferenceKind kind,
                    int64_t padId, int batchSize)
{
    const std::vector<ResponsePair> pairs = impliedPairs(split.records, kind);
    std::vector<double> better, worse;
    for (size_t start = 0; start < pairs.size(); start += size_t(batchSize)) {
        std::vector<const Ids*> rows;
        const size_t end = std::min(pairs.size(), start + size_t(batchSize));
        for (size_t i = start; i < end; ++i)
            rows.push_back(
                &split.ids[size_t(pairs[i].betterRecord)][size_t(pairs[i].betterResponse)]);
        for (size_t i = start; i < end; ++i)
            rows.push_back(
                &split.ids[size_t(pairs[i].worseRecord)][size_t(pairs[i].worseResponse)]);
        const auto [ids, mask] = padRows(rows, padId);
        const at::Tensor r = model.forward(ids, mask).to(at::kDouble).contiguous();
        const int64_t n = int64_t(end - start);
        for (int64_t i = 0; i < n; ++i) {
            better.push_back(r[i].item<double>());
            worse.push_back(r[n + i].item<double>());
        }
    }
    if (better.empty())
        return {};
    const at::Tensor b = at::tensor(better, at::kDouble), w = at::tensor(worse, at::kDouble);
    return {{QStringLiteral("pairwise_accuracy"), pairwiseAccuracy(b, w)},
            {QStringLiteral("pairwise_loss"), bradleyTerryLoss(b, w).item<double>()},
            {QStringLiteral("reward_better"), b.mean().item<double>()},
            {QStringLiteral("reward_worse"), w.mean().item<double>()}};
}

} // namespace

RewardTrainer::RewardTrainer(Project& project, AlignOptions options)
    : m_project(project), m_options(std::move(options))
{
}

AlignResult RewardTrainer::run()
{
    return train(0);
}

AlignResult RewardTrainer::resume(qint64 runId)
{
    const RunRecord record = runToResume(m_project, runId);
    m_options.modelDir = record.modelDir;
    m_options.dataFile = record.snapshot.value(QLatin1String("data_file")).toString();
    m_options.task = record.task;
    m_options.hp = Hyperparameters::fromJson(record.hyperparameters);
    return train(runId);
}

AlignResult RewardTrainer::train(qint64 resumeRunId)
{
    const bool rankingPairs = m_options.task == QLatin1String("rankings-pairs");
    const PreferenceKind kind =
        rankingPairs ? PreferenceKind::Rankings : preferenceKindFromName(m_options.task);
    const Hyperparameters& hp = m_options.hp;
    const ModelConfig config = ModelConfig::load(m_options.modelDir);
    const std::shared_ptr<Tokenizer> tokenizer =
        m_options.tokenizer ? m_options.tokenizer
                            : std::shared_ptr<Tokenizer>(loadTokenizer(m_options.modelDir));
    const int maxLength = int(std::min<int64_t>(hp.maxLength, config.maxPositions / 8 * 8));
    std::vector<PreferenceRecord> trainRecords, valRecords;
    for (PreferenceRecord& r : readPreferenceJsonl(m_options.dataFile, kind)) {
        if (r.split == QLatin1String("train"))
            trainRecords.push_back(std::move(r));
        else if (r.split == QLatin1String("val"))
            valRecords.push_back(std::move(r));
    }
    at::manual_seed(uint64_t(hp.seed));
    RewardModel model = loadRewardModel(m_options.modelDir, hp);
    const EncodedSplit train =
        encodeSplit(trainRecords, *model, *tokenizer, m_options.modelDir, maxLength);
    const EncodedSplit val =
        encodeSplit(valRecords, *model, *tokenizer, m_options.modelDir, maxLength);
    // Training units: a record (pairs, ratings, a whole ranking) or one pair of a ranking.
    const std::vector<ResponsePair> trainPairs =
        rankingPairs ? impliedPairs(train.records, kind) : std::vector<ResponsePair>{};
    const size_t units = rankingPairs ? trainPairs.size() : train.records.size();

    TrainingContext context;
    context.trainRows = qint64(units);
    context.hiddenSize = int(config.hiddenSize);
    context.numLayers = int(config.numLayers);
    hp.validate(context);
    const int64_t padId = tokenizer->batchPadId();

    LoopTask task;
    task.method = QStringLiteral("reward-") + m_options.task;
    task.task = m_options.task;
    task.modelDir = m_options.modelDir;
    task.dataFile = m_options.dataFile;
    task.hp = hp;
    task.model = model.get();
    for (size_t u = 0; u < units; ++u) {
        const ResponsePair* p = rankingPairs ? &trainPairs[u] : nullptr;
        task.lengths.push_back(p ? train.ids[size_t(p->betterRecord)][0].size()
                                 : train.ids[u][0].size());
    }
    task.trainLoss = [&](const std::vector<int>& indices, int64_t& tokens) -> at::Tensor {
        std::vector<const Ids*> rows;
        if (rankingPairs) {
            for (int i : indices)
                rows.push_back(&train.ids[size_t(trainPairs[size_t(i)].betterRecord)]
                                         [size_t(trainPairs[size_t(i)].betterResponse)]);
            for (int i : indices)
                rows.push_back(&train.ids[size_t(trainPairs[size_t(i)].worseRecord)]
                                         [size_t(trainPairs[size_t(i)].worseResponse)]);
        } else {
            // Row-major over (record, response); shorter rankings padded in `valid` below.
            size_t k = 0;
            for (int i : indices)
                k = std::max(k, train.ids[size_t(i)].size());
            for (size_t j = 0; j < k; ++j)
                for (int i : indices)
                    rows.push_back(
                        &train.ids[size_t(i)][std::min(j, train.ids[size_t(i)].size() - 1)]);
        }
        const auto [ids, mask] = padRows(rows, padId);
        tokens = mask.sum().item<int64_t>();
        const int64_t b = int64_t(indices.size());
        const at::Tensor r = model->forward(ids, mask).view({-1, b}).t(); // [B, K]
        if (rankingPairs || kind == PreferenceKind::Pairs)
            return bradleyTerryLoss(r.select(1, 0), r.select(1, 1));
        if (kind == PreferenceKind::Ratings) {
            std::vector<double> ratings;
            for (int i : indices)
                ratings.push_back(train.records[size_t(i)].rating);
            return ratingLoss(r.select(1, 0), at::tensor(ratings, at::kFloat));
        }
        at::Tensor valid = at::zeros({b, r.size(1)}, at::kBool);
        for (int64_t i = 0; i < b; ++i)
            valid[i]
                .narrow(0, 0, int64_t(train.ids[size_t(indices[size_t(i)])].size()))
                .fill_(true);
        return listMleLoss(r, valid);
    };
    if (!impliedPairs(val.records, kind).empty())
        task.evaluate = [&]() { return pairMetrics(*model, val, kind, padId, hp.batchSize); };
    task.selectMetric = QStringLiteral("pairwise_accuracy");
    task.higherIsBetter = true;
    return runAlignLoop(m_project, task, m_options.callbacks, resumeRunId);
}

struct RewardScorer::Private
{
    RewardModel model{nullptr};
    std::shared_ptr<Tokenizer> tokenizer;
    QString modelDir;
    int maxLength = 0;
};

RewardScorer::RewardScorer(Project& project, qint64 rewardRunId,
                           std::shared_ptr<Tokenizer> tokenizer)
    : d(std::make_unique<Private>())
{
    const RunRecord record = loadRun(project, rewardRunId);
    if (!record.method.startsWith(QLatin1String("reward-")) || record.lastCheckpoint.isEmpty())
        throw Error(QStringLiteral("Run %1 is not a trained reward model (method %2); train one "
                                   "with 'ftstudio-cli reward' first.")
                        .arg(rewardRunId)
                        .arg(record.method));
    const Hyperparameters hp = Hyperparameters::fromJson(record.hyperparameters);
    d->modelDir = record.modelDir;
    d->tokenizer = tokenizer ? tokenizer : std::shared_ptr<Tokenizer>(loadTokenizer(d->modelDir));
    const QString rel =
        record.bestCheckpoint.isEmpty() ? record.lastCheckpoint : record.bestCheckpoint;
    d->model = loadRewardModel(d->modelDir, hp);
    loadStateDict(
        *d->model,
        loadSafetensors(
            QDir(project.artifactPath(rel)).filePath(QStringLiteral("model.safetensors"))));
    d->model->eval();
    d->maxLength =
        int(std::min<int64_t>(hp.maxLength, ModelConfig::load(d->modelDir).maxPositions / 8 * 8));
}

RewardScorer::~RewardScorer() = default;

std::vector<double> RewardScorer::score(const QStringList& prompts,
                                        const QStringList& responses) const
{
    torch::NoGradGuard noGrad;
    std::vector<Ids> ids;
    for (int i = 0; i < prompts.size(); ++i)
        ids.push_back(d->model->encode(*d->tokenizer, d->modelDir, prompts[i], responses.value(i),
                                       d->maxLength));
    std::vector<const Ids*> rows;
    for (const Ids& r : ids)
        rows.push_back(&r);
    const auto [t, mask] = padRows(rows, d->tokenizer->batchPadId());
    const at::Tensor r = d->model->forward(t, mask).to(at::kDouble).contiguous();
    return std::vector<double>(r.data_ptr<double>(), r.data_ptr<double>() + r.numel());
}

} // namespace fts
