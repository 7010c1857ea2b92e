// Training a reward model from preference pairs (Bradley–Terry), ratings (regression) or rankings
// (ListMLE, or all pairs of each ranking with Bradley–Terry, to compare the two).
#pragma once

#include "align/AlignTypes.h"

namespace fts {

class Project;

// options.task: "pairs", "ratings", "rankings" (listwise) or "rankings-pairs". Rows with split
// "val" give the held-out pairwise accuracy (and the mean rewards of better and worse answers)
// before and after. The run is recorded with method "reward-<task>".
class RewardTrainer
{
public:
    RewardTrainer(Project& project, AlignOptions options);
    AlignResult run();
    AlignResult resume(qint64 runId);

private:
    AlignResult train(qint64 resumeRunId);
    Project& m_project;
    AlignOptions m_options;
};

// Rewards of (prompt, response) pairs from a trained reward model checkpoint: the run's last
// checkpoint folder and its record (model folder, hyperparameters).
class RewardScorer
{
public:
    RewardScorer(Project& project, qint64 rewardRunId, std::shared_ptr<Tokenizer> tokenizer = {});
    ~RewardScorer();
    std::vector<double> score(const QStringList& prompts, const QStringList& responses) const;

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace fts
