// Hyperparameter sweeps: a grid of settings, or settings drawn at random from value lists and
// ranges (log scale for learning rates), trained one run after another on the engine thread, each
// a normal recorded run; poor runs can be pruned early; the best is picked by the validation metric.
#pragma once

#include "jobs/Job.h"
#include "train/TrainTypes.h"

#include <QList>
#include <QStringList>

namespace fts {

struct SweepAxis
{
    QString key;        // a hyperparameter name, as in Hyperparameters::set
    QStringList values; // tried in this order (grid), or drawn from (random)
    // Instead of values, random search may draw from [low, high]: uniformly, or uniformly in
    // log space (learning rates). Integer hyperparameters are rounded.
    bool isRange = false;
    double low = 0;
    double high = 0;
    bool logScale = false;

    // "lr=1e-5,3e-5,1e-4" (values), "warmup_ratio=0..0.2" (range), "lr=1e-5..1e-3:log".
    // Throws fts::Error saying what was wrong.
    static SweepAxis parse(const QString& text);
    QString toString() const; // as parse() reads it
};

enum class SweepSearch { Grid, Random };

struct SweepOptions
{
    QString modelDir;
    QString task;
    Hyperparameters base; // every knob the sweep does not vary
    QList<SweepAxis> grid;
    SweepSearch search = SweepSearch::Grid;
    int maxRuns = 0;   // budget: grid = the first maxRuns combinations (0 = all); random: required
    quint32 seed = 1;  // random search draws the same settings for the same seed
    // Median stopping rule: after `pruneAfterEvaluations` evaluations, a run whose best metric so
    // far is worse than the median of the earlier runs' at the same evaluation stops there (kept
    // as a stopped, resumable run). Needs two earlier runs to compare with.
    bool prune = false;
    int pruneAfterEvaluations = 1;
    std::shared_ptr<TextTokenizer> tokenizer; // as TrainerOptions::tokenizer
};

struct SweepTrial
{
    QJsonObject values; // the sweep's values for this run, e.g. {"lr": "3e-5"}
    qint64 runId = 0;
    QString status;     // finished, pruned, cancelled
    double score = 0;   // the run's best validation metric
    bool scored = false;
    QList<double> bestSoFar; // the best metric after each evaluation (what pruning compares)
};

struct SweepResult
{
    QString metric; // the base settings' early-stopping metric
    QList<SweepTrial> trials;
    int best = -1; // index into trials; -1 when no run has a validation score
};

struct SweepPoint
{
    QJsonObject values; // the varied keys and their values as text
    Hyperparameters hp;
};

// Every setting the sweep will train: the grid's combinations (last axis fastest) or the random
// draws, cut to the budget. Throws fts::Error naming the axis or value that Hyperparameters
// refuses, before anything runs.
QList<SweepPoint> sweepSettings(const SweepOptions& options);

// The median stopping rule's decision for a run at evaluation `evaluation` (1-based) with best
// metric `bestSoFar`, given the earlier trials. Empty: go on; otherwise the reason to stop.
QString sweepPruneReason(const QList<SweepTrial>& earlier, int evaluation, double bestSoFar,
                         const QString& metric, int pruneAfterEvaluations);

// The index of the best scored trial by `metric` (the first of equal scores); -1 when none has a
// score.
int bestSweepTrial(const QList<SweepTrial>& trials, const QString& metric);

// Trains each setting as its own run; stops between runs (or within one) when cancelled.
class SweepJob : public Job
{
public:
    SweepJob(QString projectPath, SweepOptions options);
    QString title() const override;
    void run(JobContext& ctx) override;
    QString summary() const override;
    const SweepResult& result() const { return m_result; }
    // Called on the engine thread: a run starts (its index and values), a run ended (the trial).
    std::function<void(int, const QJsonObject&)> onTrialStarted;
    std::function<void(const SweepTrial&)> onTrialFinished;
    std::function<void(const TrainProgress&)> onStep;

private:
    QString m_projectPath;
    SweepOptions m_options;
    SweepResult m_result;
};

} // namespace fts
