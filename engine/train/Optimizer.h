// AdamW as every trainer here sets it up: parameter groups by weight decay (and, for classifiers,
// backbone vs head with its own learning rate), named so checkpoints can store their state.
#pragma once

#include "train/Hyperparameters.h"

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/optim/adamw.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace fts {

struct OptimizerSetup
{
    std::shared_ptr<torch::optim::AdamW> optimizer;
    std::vector<std::vector<std::string>> groupNames; // per group, keys of the checkpointed state
    std::vector<double> baseLr;                       // per group, before the schedule
    std::vector<at::Tensor> trainable;
};

// AdamW over the trainable parameters of `model` in up to four groups, empty ones left out:
// backbone with and without weight decay (biases and norms have none), then, where `isHead` says a
// parameter belongs to a head, the head's two, at hp.headLr when it is set. Throws fts::Error when
// nothing is trainable.
OptimizerSetup makeAdamW(torch::nn::Module& model, const Hyperparameters& hp,
                         const std::function<bool(const std::string&)>& isHead = {});

// Every group at its base learning rate times `factor` (the schedule's value at this step).
void scaleLearningRate(OptimizerSetup& setup, double factor);

} // namespace fts
