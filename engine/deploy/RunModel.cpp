// Rebuilding a run's classifier exactly as the trainer built it, then loading its checkpoint.
#include "deploy/RunModel.h"

#include "Error.h"
#include "deploy/FewShot.h"
#include "deploy/TextClassifier.h"
#include "models/StateDict.h"
#include "project/Project.h"
#include "train/Checkpoint.h"
#include "train/MultiTaskTrainer.h"
#include "train/Trainer.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>

namespace fts {

RunModel loadRunModel(Project& project, qint64 runId, const QString& task)
{
    RunModel m;
    m.record = loadRun(project, runId);
    requireTrainedWeights(m.record, QStringLiteral("use"));
    const QString rel =
        m.record.bestCheckpoint.isEmpty() ? m.record.lastCheckpoint : m.record.bestCheckpoint;
    if (rel.isEmpty())
        throw Error(QStringLiteral("Run %1 has no checkpoint yet (status: %2), so there is no "
                                   "model to use; wait until it has trained, or train again.")
                        .arg(runId)
                        .arg(m.record.status));
    m.checkpointDir = project.artifactPath(rel);
    m.hp = Hyperparameters::fromJson(m.record.hyperparameters);
    const bool words =
        QFileInfo::exists(QDir(m.checkpointDir).filePath(QStringLiteral("vocab_words.txt")));
    m.tokenizerDir = words ? m.checkpointDir : m.record.modelDir;
    if (isMultiTaskRun(m.record)) {
        m.model = loadMultiTaskHead(m.record, m.checkpointDir, task, &m.labels);
        m.tokenizer = loadModelTokenizer(m.tokenizerDir);
        m.model->eval();
        const ModelConfig& config = m.model->config();
        m.maxLength = classifierMaxLength(m.hp.maxLength, config.modelType, config.maxPositions);
        return m;
    }
    const QJsonObject state = loadTrainerState(m.checkpointDir);
    for (const QJsonValue& v : state.value(QLatin1String("labels")).toArray())
        m.labels << v.toString();
    if (m.labels.isEmpty())
        throw Error(QStringLiteral("The checkpoint %1 does not list its labels; it was written by "
                                   "an older studio. Train the run again.")
                        .arg(QDir::toNativeSeparators(m.checkpointDir)));
    m.tokenizer = loadModelTokenizer(m.tokenizerDir);
    m.model = buildClassifier(m.record.modelDir, m.labels, m.hp);
    const LoadReport report = loadStateDict(
        *m.model,
        loadSafetensors(QDir(m.checkpointDir).filePath(QStringLiteral("model.safetensors"))));
    if (!report.missing.empty())
        throw Error(QStringLiteral("The checkpoint %1 lacks %2; it does not belong to the model "
                                   "%3.")
                        .arg(QDir::toNativeSeparators(m.checkpointDir),
                             QString::fromStdString(report.missing.front()),
                             QDir::toNativeSeparators(m.record.modelDir)));
    m.model->eval();
    const ModelConfig& config = m.model->config();
    m.maxLength = classifierMaxLength(m.hp.maxLength, config.modelType, config.maxPositions);
    return m;
}

} // namespace fts
