// Hyperparameter sweeps: a grid of settings trained one run after another on the engine thread,
// each a normal recorded run, and the best one picked by the validation metric.
#pragma once

#include "jobs/Job.h"
#include "train/TrainTypes.h"

#include <QList>
#include <QStringList>

namespace fts {

struct SweepAxis
{
    QString key;        // a hyperparameter name, as in Hyperparameters::set
    QStringList values; // tried in this order
};

struct SweepOptions
{
    QString modelDir;
    QString task;
    Hyperparameters base; // every knob the grid does not vary
    QList<SweepAxis> grid;
    int maxRuns = 0; // budget: the first maxRuns combinations (0 = all)
    std::shared_ptr<TextTokenizer> tokenizer; // as TrainerOptions::tokenizer
};

struct SweepTrial
{
    QJsonObject values; // the grid's values for this run, e.g. {"lr": "3e-5"}
    qint64 runId = 0;
    QString status;
    double score = 0; // the run's best validation metric
    bool scored = false;
};

struct SweepResult
{
    QString metric; // the base settings' early-stopping metric
    QList<SweepTrial> trials;
    int best = -1; // index into trials; -1 when no run has a validation score
};

// Every combination of the grid's values (the last axis varies fastest), cut to the budget.
// Throws fts::Error naming the axis or value that Hyperparameters refuses, before anything runs.
QList<Hyperparameters> sweepSettings(const SweepOptions& options);

// Trains each combination as its own run; stops between runs when `cancel` is set.
class SweepJob : public Job
{
public:
    SweepJob(QString projectPath, SweepOptions options);
    QString title() const override;
    void run(JobContext& ctx) override;
    QString summary() const override;
    const SweepResult& result() const { return m_result; }

private:
    QString m_projectPath;
    SweepOptions m_options;
    SweepResult m_result;
};

} // namespace fts
