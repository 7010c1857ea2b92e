// After DPO or PPO: the tuned model and the model it started from answer the same held-out
// prompts. Both answers are stored as candidates, so people can judge them blind in the Choose
// mode, and a reward model (when given) judges them at once.
#pragma once

#include "jobs/Job.h"

#include <QString>

namespace fts {

struct CompareSettings
{
    qint64 runId = 0;       // an SFT, DPO or PPO run of the project
    qint64 rewardRunId = 0; // > 0: this reward model also judges each pair
    int maxNewTokens = 48;
    double temperature = 0; // 0: greedy, the same for both models
    quint64 seed = 1;
};

struct CompareResult
{
    int prompts = 0;   // held-out prompts answered by both
    int identical = 0; // both wrote the same answer: nothing to judge
    // The reward model's verdicts on the pairs people can judge (when a reward run was given): a
    // tie counts half a win.
    int rewardWins = 0, rewardTies = 0, rewardLosses = 0;
    double rewardWinRate() const
    {
        const int n = rewardWins + rewardTies + rewardLosses;
        return n > 0 ? (rewardWins + 0.5 * rewardTies) / n : 0;
    }
};

// The origins the two answers are stored under (shown to nobody while judging; an answer equal
// to one already stored keeps its first origin). Verdicts are counted from the stored
// comparisons: humanVerdicts (feedback/Feedback.h).
QString runOrigin(qint64 runId);
QString referenceOrigin(qint64 runId);

// Uses the val and test prompts (the training prompts say nothing about generalisation); throws
// fts::Error when there are none.
class ComparePolicyJob : public Job
{
public:
    ComparePolicyJob(QString projectPath, CompareSettings settings);
    QString title() const override;
    void run(JobContext& ctx) override;
    QString summary() const override;
    const CompareResult& result() const { return m_result; }

private:
    QString m_projectPath;
    CompareSettings m_settings;
    CompareResult m_result;
};

} // namespace fts
