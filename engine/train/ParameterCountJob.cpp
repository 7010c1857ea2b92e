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

MethodParameterCounts countMultiTaskParameters(const QString& modelDir,
                                               const QList<QStringList>& labels,
                                               const Hyperparameters& hp)
{
    MethodParameterCounts counts = countMethodParameters(modelDir, labels.value(0), hp);
    // Every further task adds a head of its own, all of it trained.
    ModelConfig config = ModelConfig::load(modelDir);
    for (qsizetype k = 1; k < labels.size(); ++k) {
        config.labels = labels[k];
        const SequenceClassifier head(config, ProblemType::SingleLabel);
        const QStringList modules = head->headModules();
        for (const auto& item : head->named_parameters(/*recurse=*/true))
            if (modules.contains(QString::fromStdString(item.key()).section(QLatin1Char('.'), 0, 0))) {
                counts.trainable += item.value().numel();
                counts.total += item.value().numel();
            }
        counts.labels += int(labels[k].size());
    }
    return counts;
}

ParameterCountJob::ParameterCountJob(QString projectPath, QString modelDir, Hyperparameters hp,
                                     QStringList tasks)
    : m_projectPath(std::move(projectPath)), m_modelDir(std::move(modelDir)), m_hp(std::move(hp)),
      m_tasks(std::move(tasks))
{
}

QString ParameterCountJob::title() const
{
    return QStringLiteral("Counting the parameters %1 trains").arg(m_hp.method);
}

void ParameterCountJob::run(JobContext& ctx)
{
    ctx.progress(0, 0, QStringLiteral("Building the model"));
    QList<QStringList> labels;
    std::unique_ptr<Project> project;
    try {
        project = Project::open(m_projectPath, Project::Access::ReadOnly);
    } catch (const Error&) {
        // Counted with placeholder labels below.
    }
    for (const QString& task : m_tasks.isEmpty() ? QStringList{QString()} : m_tasks) {
        labels << QStringList{QStringLiteral("label 1"), QStringLiteral("label 2")};
        try {
            const LabeledRows rows = project ? loadLabeledRows(*project, task, true) : LabeledRows();
            if (rows.labels.size() >= 2)
                labels.last() = rows.labels;
        } catch (const Error&) {
            // No task or no labels yet: the head's size is a guess, the backbone's count is exact.
        }
    }
    m_result = countMultiTaskParameters(m_modelDir, labels, m_hp);
}

QString ParameterCountJob::summary() const
{
    return QStringLiteral("%1 of %2 parameters train").arg(m_result.trainable).arg(m_result.total);
}

} // namespace fts
