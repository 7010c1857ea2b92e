// Moving weights between torch modules and TensorMaps by Hugging Face names.
#pragma once

#include "models/Safetensors.h"

#include <torch/nn/module.h>

#include <QString>

#include <string>
#include <vector>

namespace fts {

struct LoadReport
{
    std::vector<std::string> missing;    // parameters/buffers of the module with no weight in the map
    std::vector<std::string> unexpected; // weights in the map (under the prefix) the module lacks
};

// Copies `weights[prefix + name]` into every parameter and buffer of `module` (converting dtype),
// without recording autograd history. Throws fts::Error naming the tensor on a shape mismatch.
LoadReport loadStateDict(torch::nn::Module& module, const TensorMap& weights,
                         const std::string& prefix = {});

// The module's parameters and buffers as `prefix + name` -> detached tensor (shared storage).
TensorMap stateDict(const torch::nn::Module& module, const std::string& prefix = {});

// "a, b, c and 4 more": enough weight names for a message to be recognised without flooding it.
QString weightNameList(const std::vector<std::string>& names, size_t shown = 6);

// Registers an empty module `name` under `parent`, a level of the Hugging Face weight names
// ("bert" in "bert.encoder.layer.0...") that has no weights of its own.
std::shared_ptr<torch::nn::Module> addLevel(torch::nn::Module& parent, const std::string& name);

} // namespace fts
