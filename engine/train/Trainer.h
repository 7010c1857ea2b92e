// The classification trainer's model side (libtorch): building a classifier for a method and
// evaluating it; Trainer, options and results are declared torch-free in TrainTypes.h.
#pragma once

#include "models/SequenceClassifier.h"
#include "train/TrainTypes.h"

#include <vector>

namespace fts {

struct Example;
struct TaskData;
class TextTokenizer;

// The classifier for `labels` on the model folder, prepared for `hp.method` (frozen backbone,
// first layers frozen, or LoRA adapters with the head trainable). Call at::manual_seed first for a
// reproducible head / adapter initialisation.
SequenceClassifier buildClassifier(const QString& modelDir, const QStringList& labels,
                                   const Hyperparameters& hp);

// Checks that the tokenizer fits the model and tokenizes every split at the run's max_length
// (capped by the model's positions).
void prepareTaskData(TaskData& data, const TextTokenizer& tokenizer, const Hyperparameters& hp,
                     const QString& modelDir);

// One task's classifier of a multi-task run's checkpoint `checkpointDir`: the shared encoder (its
// adapters attached) with that task's head, as a single-task run's model. An empty `task` is the
// run's first; `labels` receives the task's label order. Throws fts::Error naming the run's tasks
// for an unknown one.
SequenceClassifier loadMultiTaskHead(const RunRecord& record, const QString& checkpointDir,
                                     const QString& task, QStringList* labels);

// Class probabilities of `model` for each example, in order (eval mode, batched).
std::vector<std::vector<double>> predictClassifier(SequenceClassifierImpl& model,
                                                   const std::vector<Example>& examples,
                                                   int64_t padId, int batchSize);

// Loss, accuracy, per-class P/R/F1 and confusion matrix of `model` on `examples` (eval mode).
ClassificationReport evaluateClassifier(SequenceClassifierImpl& model, const QStringList& labels,
                                        const std::vector<Example>& examples, int64_t padId,
                                        int batchSize);

} // namespace fts
