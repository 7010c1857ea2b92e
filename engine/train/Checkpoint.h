// Training checkpoints: weights, AdamW state, scheduler step, RNG state and data order in a folder.
#pragma once

#include "models/Safetensors.h"

#include <QJsonObject>
#include <QString>

#include <torch/optim/adamw.h>

namespace fts {

class TextTokenizer;

// Writes model.safetensors (all weights, adapters included), optimizer.safetensors (AdamW moments
// and step per parameter name) and trainer_state.json (`state`: step, epoch, data order, RNG...)
// into a new folder `dir`; each file is written atomically, and the folder only counts once the
// run record points at it. A word vocabulary is saved beside them as vocab_words.txt.
void saveCheckpoint(const QString& dir, const TensorMap& weights,
                    const torch::optim::AdamW& optimizer,
                    const std::vector<std::vector<std::string>>& groupNames,
                    const QJsonObject& state, const TextTokenizer* tokenizer);

// Restores the AdamW moments written by saveCheckpoint into `optimizer` (same groups and names).
void loadOptimizerState(const QString& dir, torch::optim::AdamW& optimizer,
                        const std::vector<std::vector<std::string>>& groupNames);
QJsonObject loadTrainerState(const QString& dir);

// The default CPU generator's state as text, and back (dropout masks depend on it).
QString cpuRngState();
void setCpuRngState(const QString& state);

} // namespace fts
