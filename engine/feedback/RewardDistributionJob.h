// What a trained reward model thinks of held-out answers: the scores of the better and the worse
// answer of every held-out pair its run's data implies, to draw as two distributions.
#pragma once

#include "jobs/Job.h"

#include <QString>

#include <vector>

namespace fts {

struct RewardDistribution
{
    std::vector<double> better, worse; // one entry per held-out pair, in the same order
    double accuracy() const;           // share of pairs where better scores above worse
};

// Reads the run's own frozen data file (its snapshot), so the pairs are the ones it was validated
// on. Throws fts::Error for a run that is not a reward model or has no val pairs.
class RewardDistributionJob : public Job
{
public:
    RewardDistributionJob(QString projectPath, qint64 rewardRunId);
    QString title() const override;
    void run(JobContext& ctx) override;
    QString summary() const override;
    const RewardDistribution& result() const { return m_result; }

private:
    QString m_projectPath;
    qint64 m_runId;
    RewardDistribution m_result;
};

} // namespace fts
