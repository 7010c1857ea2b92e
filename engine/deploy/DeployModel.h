// Whatever the user points a deployment verb at — a run of a project, an exported classifier, a
// PEFT adapter or a decoder folder — loaded once as a classifier or a generator.
#pragma once

#include "deploy/TextClassifier.h"
#include "deploy/TextGenerator.h"

#include <QString>

#include <memory>

namespace fts {

struct DeployModel
{
    std::shared_ptr<TextClassifier> classifier; // exactly one of the two is set
    std::shared_ptr<TextGenerator> generator;
    QString description() const;
};

// `source` is a model folder, or a project file (.ftproj) with `runId` > 0 (and, for a multi-task
// run, `task`). `adapterBase` is the base model folder for an adapter-only export (empty: the one
// recorded in it). Throws fts::Error.
DeployModel loadDeployModel(const QString& source, qint64 runId = 0,
                            const QString& adapterBase = {}, const QString& task = {});

} // namespace fts
