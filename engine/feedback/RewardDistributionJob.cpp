#include "feedback/RewardDistributionJob.h"

#include "Error.h"
#include "align/AlignTypes.h"
#include "align/PreferenceData.h"
#include "align/RewardTrainer.h"
#include "project/Project.h"
#include "train/RunStore.h"

namespace fts {

double RewardDistribution::accuracy() const
{
    if (better.empty())
        return 0;
    size_t right = 0;
    for (size_t i = 0; i < better.size(); ++i)
        right += better[i] > worse[i];
    return double(right) / double(better.size());
}

RewardDistributionJob::RewardDistributionJob(QString projectPath, qint64 rewardRunId)
    : m_projectPath(std::move(projectPath)), m_runId(rewardRunId)
{
}

QString RewardDistributionJob::title() const
{
    return QStringLiteral("Scoring held-out answers with reward model run %1").arg(m_runId);
}

void RewardDistributionJob::run(JobContext& ctx)
{
    auto project = Project::open(m_projectPath, Project::Access::ReadOnly);
    const RunRecord record = loadRun(*project, m_runId);
    if (!isRewardRunMethod(record.method))
        throw Error(QStringLiteral("Run %1 is a %2 run, not a reward model.").arg(m_runId).arg(record.method));
    const QString form = record.task == QLatin1String("rankings-pairs") ? QStringLiteral("rankings") : record.task;
    const PreferenceKind kind = preferenceKindFromName(form);
    std::vector<PreferenceRecord> val;
    for (PreferenceRecord& r : readPreferenceJsonl(record.snapshot.value(QLatin1String("data_file")).toString(), kind))
        if (r.split == QLatin1String("val"))
            val.push_back(std::move(r));
    const std::vector<ResponsePair> pairs = impliedPairs(val, kind);
    if (pairs.empty())
        throw Error(QStringLiteral("Run %1's data has no held-out (val) pairs to score.").arg(m_runId));
    ctx.progress(0, qint64(pairs.size()), QStringLiteral("Loading the reward model"));
    RewardScorer scorer(*project, m_runId);
    constexpr size_t kChunk = 32; // pairs per forward pass: bounded memory on long answers
    for (size_t start = 0; start < pairs.size(); start += kChunk) {
        ctx.checkCancelled();
        QStringList prompts, responses;
        const size_t end = std::min(pairs.size(), start + kChunk);
        for (size_t i = start; i < end; ++i) {
            const ResponsePair& p = pairs[i];
            prompts << val[size_t(p.betterRecord)].prompt << val[size_t(p.worseRecord)].prompt;
            responses << val[size_t(p.betterRecord)].responses[p.betterResponse]
                      << val[size_t(p.worseRecord)].responses[p.worseResponse];
        }
        const std::vector<double> s = scorer.score(prompts, responses);
        for (size_t i = 0; i + 1 < s.size(); i += 2) {
            m_result.better.push_back(s[i]);
            m_result.worse.push_back(s[i + 1]);
        }
        ctx.progress(qint64(end), qint64(pairs.size()), QStringLiteral("Scoring held-out pairs"));
    }
}

QString RewardDistributionJob::summary() const
{
    return QStringLiteral("Reward model run %1 ranks the preferred answer higher in %2 of %3 held-out pairs (%4%).")
        .arg(m_runId)
        .arg(qint64(std::llround(m_result.accuracy() * double(m_result.better.size()))))
        .arg(m_result.better.size())
        .arg(100.0 * m_result.accuracy(), 0, 'f', 1);
}

} // namespace fts
