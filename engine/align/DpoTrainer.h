// Direct preference optimisation (Rafailov et al. 2023) of a decoder on preference pairs.
#pragma once

#include "align/AlignTypes.h"

namespace fts {

class Project;

// The policy (options.hp.method: full, freeze or lora) starts as the model folder's weights; a
// frozen copy is the reference, whose log-probabilities are computed once up front. options.beta
// sets how strongly the policy is held near the reference. Data: {"prompt","chosen","rejected"}
// JSONL, the prompt rendered as the user turn with the model's chat template and the loss read
// on the answer tokens only. Validation ("val" rows) reports loss, implicit reward margin and
// accuracy. Dropout defaults to 0 (hp.dropout < 0), so policy and reference agree at step 0.
// The run is recorded with method "dpo".
class DpoTrainer
{
public:
    DpoTrainer(Project& project, AlignOptions options);
    AlignResult run();
    AlignResult resume(qint64 runId);

private:
    AlignResult train(qint64 resumeRunId);
    Project& m_project;
    AlignOptions m_options;
};

} // namespace fts
