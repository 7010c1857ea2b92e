#include "train/ParameterCountJob.h"

#include "Error.h"
#include "align/AlignLoop.h"
#include "models/Lora.h"
#include "models/ModelConfig.h"
#include "project/Project.h"
#include "train/TrainData.h"
#include "train/Trainer.h"

namespace fts {

MethodParameterCounts countMethodParameters(const QString& modelDir, const QStringList& labels,
                                            const Hyperparameters& hp)
{
    if (ModelConfig::load(modelDir).isDecoder()) { // chat / summarization: no head to add
        const ParameterCounts counts = countParameters(*loadDecoderForMethod(modelDir, hp));
        return {counts.trainable, counts.total, 0};
    }
    const SequenceClassifier model = buildClassifier(modelDir, labels, hp);
    const ParameterCounts counts = countParameters(*model);
    return {counts.trainable, counts.total, int(labels.size())};
}

ParameterCountJob::ParameterCountJob(QString projectPath, QString modelDir, Hyperparameters hp)
    : m_projectPath(std::move(projectPath)), m_modelDir(std::move(modelDir)), m_hp(std::move(hp))
{
}

QString ParameterCountJob::title() const
{
    return QStringLiteral("Counting the parameters %1 trains").arg(m_hp.method);
}

void ParameterCountJob::run(JobContext& ctx)
{
    ctx.progress(0, 0, QStringLiteral("Building the model"));
    QStringList labels = {QStringLiteral("label 1"), QStringLiteral("label 2")};
    try {
        auto project = Project::open(m_projectPath, Project::Access::ReadOnly);
        const LabeledRows rows = loadLabeledRows(*project, {}, true);
        if (rows.labels.size() >= 2)
            labels = rows.labels;
    } catch (const Error&) {
        // No task or no labels yet: the head's size is a guess, the backbone's count is exact.
    }
    m_result = countMethodParameters(m_modelDir, labels, m_hp);
}

QString ParameterCountJob::summary() const
{
    return QStringLiteral("%1 of %2 parameters train").arg(m_result.trainable).arg(m_result.total);
}

} // namespace fts
