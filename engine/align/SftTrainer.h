// Supervised fine-tuning of a decoder on chat or summarization JSONL, the loss on answers only.
#pragma once

#include "align/AlignTypes.h"

namespace fts {

class Project;

// Trains `options.modelDir` on `options.dataFile` ("chat" or "summarization" in options.task)
// with full fine-tuning, frozen first layers or LoRA (options.hp.method). Rows with split "val"
// give the held-out perplexity before and after (exp of the mean loss per answer token). The run
// is recorded in the project with method "sft-chat" / "sft-summarization".
class SftTrainer
{
public:
    SftTrainer(Project& project, AlignOptions options);
    // Throws fts::Error for unusable data or settings (nothing recorded) and on divergence (the
    // run marked failed, the last good checkpoint kept).
    AlignResult run();
    // Continues run `runId` from its last checkpoint with its own model, data and settings;
    // options then only supply callbacks and a tokenizer.
    AlignResult resume(qint64 runId);

private:
    AlignResult train(qint64 resumeRunId);
    Project& m_project;
    AlignOptions m_options;
};

} // namespace fts
