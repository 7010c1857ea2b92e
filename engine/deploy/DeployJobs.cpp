// Job wrappers around the deployment functions, reporting progress and honouring cancel.
#include "deploy/DeployJobs.h"

#include "Error.h"
#include "project/Project.h"

#include <QDir>
#include <QFileInfo>

namespace fts {

LoadRunModelJob::LoadRunModelJob(QString projectPath, qint64 runId)
    : m_projectPath(std::move(projectPath)), m_runId(runId)
{
}

QString LoadRunModelJob::title() const
{
    return QStringLiteral("Loading run %1").arg(m_runId);
}

void LoadRunModelJob::run(JobContext& ctx)
{
    ctx.progress(0, 1, title());
    m_model = loadDeployModel(m_projectPath, m_runId);
    ctx.progress(1, 1, title());
}

QString LoadRunModelJob::summary() const
{
    return QStringLiteral("Loaded %1").arg(m_model.description());
}

ClassifyJob::ClassifyJob(std::shared_ptr<TextClassifier> classifier, QStringList texts)
    : m_classifier(std::move(classifier)), m_texts(std::move(texts))
{
}

QString ClassifyJob::title() const
{
    return QStringLiteral("Classifying %1 text(s)").arg(m_texts.size());
}

void ClassifyJob::run(JobContext& ctx)
{
    ctx.checkCancelled();
    m_predictions = m_classifier->classify(m_texts);
}

BatchPredictJob::BatchPredictJob(std::shared_ptr<TextClassifier> classifier,
                                 BatchPredictOptions options)
    : m_classifier(std::move(classifier)), m_options(std::move(options))
{
}

QString BatchPredictJob::title() const
{
    return QStringLiteral("Predicting %1").arg(QFileInfo(m_options.input).fileName());
}

void BatchPredictJob::run(JobContext& ctx)
{
    m_stats = predictFile(*m_classifier, m_options, [&](qint64, qint64 done, qint64 total) {
        ctx.progress(done, total, title());
        return !ctx.isCancelled();
    });
}

QString BatchPredictJob::summary() const
{
    return QStringLiteral("Wrote %1 rows to %2")
        .arg(m_stats.rows)
        .arg(QDir::toNativeSeparators(m_options.output));
}

ExportJob::ExportJob(QString projectPath, qint64 runId, ExportOptions options)
    : m_projectPath(std::move(projectPath)), m_runId(runId), m_options(std::move(options))
{
}

QString ExportJob::title() const
{
    return QStringLiteral("Exporting run %1").arg(m_runId);
}

void ExportJob::run(JobContext& ctx)
{
    ctx.progress(0, 1, title());
    auto project = Project::open(m_projectPath, Project::Access::ReadOnly);
    m_result = exportRun(*project, m_runId, m_options);
    ctx.progress(1, 1, title());
}

QString ExportJob::summary() const
{
    return QStringLiteral("Exported to %1").arg(QDir::toNativeSeparators(m_result.dir));
}

} // namespace fts
