// LoRA on any module tree of fts::Projection: apply, freeze, count, merge, PEFT save/load.
#pragma once

#include "models/Projection.h"

#include <torch/nn/module.h>

#include <QString>
#include <QStringList>

#include <string>
#include <utility>
#include <vector>

namespace fts {

// The fields of PEFT's adapter_config.json the studio reads and writes.
struct LoraConfig
{
    int64_t rank = 8;   // "r"
    double alpha = 16;  // "lora_alpha"; the update is scaled by alpha / rank
    double dropout = 0; // "lora_dropout"
    // Module names as PEFT matches them: a projection is adapted when its dotted path equals a
    // name or ends with "." + name, e.g. {"query", "value"} for BERT, {"c_attn"} for GPT-2.
    // One entry "re:<pattern>" is a regular expression over the whole path (PEFT's string form).
    QStringList targetModules;
    // Modules trained in full and saved with the adapter (PEFT's modules_to_save), e.g. a new head.
    QStringList modulesToSave;
    QString baseModel; // "base_model_name_or_path"
    QString taskType;  // "SEQ_CLS", "CAUSAL_LM", ...
};

// The projections of `root` by dotted module path, in registration order.
std::vector<std::pair<std::string, ProjectionImpl*>> findProjections(torch::nn::Module& root);

// Adds an adapter to every projection matching config.targetModules and returns their paths.
// Throws fts::Error when nothing matches (naming the projections there are) or a layer already
// has an adapter.
std::vector<std::string> applyLora(torch::nn::Module& root, const LoraConfig& config);

// requires_grad = true for adapter weights and everything under `modulesToSave`, false elsewhere.
void freezeAllButAdapters(torch::nn::Module& root, const QStringList& modulesToSave = {});

// requires_grad = false for every parameter of `modules`, e.g. an encoder's embeddings() and its
// first N layers() for a partly frozen backbone.
void freezeModules(const std::vector<std::shared_ptr<torch::nn::Module>>& modules);

struct ParameterCounts
{
    int64_t trainable = 0; // elements with requires_grad
    int64_t total = 0;     // all parameter elements, adapters included (as PEFT counts them)
};
ParameterCounts countParameters(const torch::nn::Module& root);

// Folds every adapter into its base weight; returns how many were merged.
int mergeAllLora(torch::nn::Module& root);

// Writes adapter_model.safetensors (keys "base_model.model.<path>.lora_A.weight" / "lora_B.weight"
// plus the modules_to_save parameters as "base_model.model.<name>") and adapter_config.json, as
// PEFT does. Throws fts::Error when `root` has no adapters.
void saveLoraAdapter(torch::nn::Module& root, const LoraConfig& config, const QString& adapterDir);

// Reads adapter_config.json, adds the adapters it describes to `root` and loads their weights
// (and the modules_to_save weights). Throws fts::Error naming what does not fit the model; after
// such an error the model may hold half-loaded adapters, so reload the base model before reuse.
LoraConfig loadLoraAdapter(torch::nn::Module& root, const QString& adapterDir);

} // namespace fts
