// The trainer's plain types and entry points, free of libtorch so front ends (CLI, GUI) can use
// them.
#pragma once

#include "train/Evaluation.h"
#include "train/Hyperparameters.h"
#include "train/Metrics.h"
#include "train/RunStore.h"

#include <QMap>
#include <QString>
#include <QStringList>

#include <atomic>
#include <functional>
#include <memory>

namespace fts {

class Project;
class TextTokenizer;
struct TrainerState;

// Whether a larger value of a classification selection metric (early stopping, best checkpoint,
// sweep ranking) is better: all of them but the loss.
inline bool higherIsBetter(const QString& metric)
{
    return metric != QLatin1String("loss");
}

struct TrainProgress
{
    qint64 step = 0; // optimizer steps done
    qint64 totalSteps = 0;
    double epoch = 0;
    double loss = 0;
    double lr = 0; // the backbone group's (the head's when only the head trains)
    double tokensPerSecond = 0;
};

struct TrainerOptions
{
    QString modelDir; // config.json + model.safetensors (+ tokenizer.model)
    QString task;     // empty: the project's first task
    // Two or more: one multi-task run, a shared encoder with one head per task (`task` unused),
    // each task's loss weighted by hp.taskWeights.
    QStringList tasks;
    Hyperparameters hp;
    // Used when set; otherwise the model folder's tokenizer (loadModelTokenizer).
    std::shared_ptr<TextTokenizer> tokenizer;
    const std::atomic<bool>* cancel = nullptr; // checked once per step
    // While set, the run waits between steps in memory (Pause); cleared, it goes on (Continue).
    const std::atomic<bool>* pause = nullptr;
    std::function<void(const TrainProgress&)> onStep;
    std::function<void(const MetricPoint&)> onMetric;
    std::function<void(const QString&)> onLog;
    // Asked after each validation with its number (1-based) and the best value so far of the
    // early-stopping metric; a non-empty answer stops the run there (a sweep's pruning): the run
    // is kept as stopped and resumable, with the answer as its note.
    std::function<QString(int evaluation, double bestSoFar)> prune;
    // Testing the NaN guard without waiting for a real divergence: the loss of this step becomes
    // NaN.
    qint64 injectNanAtStep = -1;
    // ... and, with a finite loss, the gradients of this step.
    qint64 injectNanGradientAtStep = -1;
};

struct TrainResult
{
    qint64 runId = 0;
    QString status; // finished, cancelled, pruned (recorded as cancelled); failed runs throw
    qint64 steps = 0;
    bool earlyStopped = false;
    double bestMetric = 0;
    qint64 bestStep = -1;
    ClassificationReport lastEval; // empty when the project has no val rows
    // Multi-task runs: the last validation report of each task (lastEval is the first task's).
    QMap<QString, ClassificationReport> taskEvals;
};

class Trainer
{
public:
    Trainer(Project& project, TrainerOptions options);
    ~Trainer();

    // Validates the hyperparameters against data and model before anything is recorded, then
    // trains. Throws fts::Error (the run marked failed, the last good checkpoint kept) on
    // divergence.
    TrainResult run();
    // Continues run `runId` from its last checkpoint with its own hyperparameters and data.
    TrainResult resume(qint64 runId);

private:
    TrainResult train(bool resuming);
    bool
    evaluateAndTrack(TrainerState& state,
                     const std::function<void(const QString&, const QString&, double)>& metric);
    Project& m_project;
    TrainerOptions m_options;
    std::unique_ptr<TrainerState> m_state;
};

// Evaluates a run's best checkpoint (its last when none was best) on `split` of the project's
// current data for the run's task.
// A multi-task run is evaluated on one of its tasks: `task` (empty: its first).
ClassificationReport evaluateRun(Project& project, qint64 runId, const QString& split,
                                 const QString& task = {});
// The same with every row's prediction, for error analysis.
Evaluation evaluateRunOnSplit(Project& project, qint64 runId, const QString& split,
                              const QString& task = {});

// Class probabilities of run `runId` for each text, over the run's labels (written to `labels`).
// `progress(done, total)` is called between chunks of texts; it may throw fts::Cancelled.
std::vector<std::vector<double>> predictWithRun(
    Project& project, qint64 runId, const QStringList& texts, QStringList* labels,
    const std::function<void(qint64, qint64)>& progress = {});

} // namespace fts
