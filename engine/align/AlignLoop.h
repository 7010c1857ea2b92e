// The optimisation loop the decoder trainers share with the classification trainer's conventions:
// AdamW groups, warm-up/decay, accumulation, clipping, NaN guard, evaluation, atomic best/last
// checkpoints and exact resume, each run recorded in the project's runs table.
#pragma once

#include "align/AlignTypes.h"
#include "models/Decoder.h"
#include "train/Optimizer.h"

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>

#include <QJsonObject>
#include <QList>
#include <QPair>

#include <torch/optim/adamw.h>

#include <functional>
#include <memory>
#include <vector>

namespace fts {

class Project;

// A loaded decoder prepared for hp.method: "full", "freeze" (embeddings and the first
// hp.freezeLayers blocks frozen) or "lora" (adapters on hp.loraTargets or the family's attention
// projections). hp.dropout >= 0 replaces the model's dropout rates. Call at::manual_seed first
// for reproducible adapters.
std::shared_ptr<DecoderModel> loadDecoderForMethod(const QString& modelDir,
                                                   const Hyperparameters& hp);
QStringList defaultDecoderLoraTargets(ModelFamily family);

// The decoder a finished or stopped SFT/DPO/PPO run trained: its base model prepared for its
// method, with the best (else last) checkpoint loaded (PPO's value head is ignored). Throws
// fts::Error for other runs, a run without a checkpoint or a checkpoint that does not fit.
std::shared_ptr<DecoderModel> loadTrainedDecoder(Project& project, const RunRecord& record);

// Decoders train in two AdamW groups, with and without weight decay (train/Optimizer.h's
// makeAdamW without heads); this sets both to `lr`.
void setLearningRate(OptimizerSetup& setup, double lr);

using Metrics = QList<QPair<QString, double>>;

// What a trainer plugs into the loop.
struct LoopTask
{
    QString method;   // runs.method, e.g. "sft-chat", "reward-pairs", "dpo"
    QString task;     // runs.task
    QString modelDir; // runs.model_dir
    QString dataFile; // recorded with its SHA-256 in the run's snapshot
    Hyperparameters hp;
    QJsonObject extra;                  // recorded in the snapshot (e.g. beta), read back on resume
    torch::nn::Module* model = nullptr; // the trainable module; its state dict is checkpointed
    // Train examples' lengths: batches are drawn from examples of similar length.
    std::vector<size_t> lengths;
    // The mean loss of the train examples `indices` (differentiable) and their token count.
    std::function<at::Tensor(const std::vector<int>& indices, int64_t& tokens)> trainLoss;
    // Validation metrics (the model already in eval mode, autograd off); empty without val data.
    std::function<Metrics()> evaluate;
    QString selectMetric; // the metric that picks the best checkpoint
    bool higherIsBetter = false;
};

// Runs `task` to the end (or cancel). New runs are created in the project; `resumeRunId` > 0
// continues that run from its last checkpoint (weights, AdamW, schedule, RNG, data order).
AlignResult runAlignLoop(Project& project, LoopTask& task, const AlignCallbacks& callbacks,
                         qint64 resumeRunId = 0);

// The run record a resume rebuilds its task from; throws fts::Error when the run cannot resume
// (finished, no checkpoint, data file changed).
RunRecord runToResume(Project& project, qint64 runId);

} // namespace fts
