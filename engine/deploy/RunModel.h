// A training run's checkpoint rebuilt as a classifier module (adapters still attached), with the
// tokenizer and settings it was trained with; shared by prediction and export.
#pragma once

#include "models/SequenceClassifier.h"
#include "train/Hyperparameters.h"
#include "train/RunStore.h"
#include "train/TextTokenizer.h"

#include <QString>
#include <QStringList>

#include <memory>

namespace fts {

class Project;

struct RunModel
{
    RunRecord record;
    Hyperparameters hp;
    QString checkpointDir; // absolute
    QStringList labels;    // the run's label order (trainer_state.json)
    SequenceClassifier model{nullptr};
    std::unique_ptr<TextTokenizer> tokenizer;
    // Where the tokenizer came from: the checkpoint (vocab_words.txt) or the base model folder.
    QString tokenizerDir;
    int maxLength = 128;
};

// Throws fts::Error for an unknown run, a run without checkpoint, or a checkpoint that does not
// fit its model. For a multi-task run, `task` picks the head (empty: its first task).
RunModel loadRunModel(Project& project, qint64 runId, const QString& task = {});

} // namespace fts
