// EvaluateRunJob: evaluateRunOnSplit on the engine thread.
#include "train/EvaluateRunJob.h"

#include "project/Project.h"
#include "train/TrainTypes.h"

namespace fts {

EvaluateRunJob::EvaluateRunJob(QString projectPath, qint64 runId, QString split, QString task)
    : m_projectPath(std::move(projectPath)), m_runId(runId), m_split(std::move(split)),
      m_task(std::move(task))
{
}

QString EvaluateRunJob::title() const
{
    return QStringLiteral("Evaluating run %1 on the %2 split").arg(m_runId).arg(m_split);
}

void EvaluateRunJob::run(JobContext& ctx)
{
    ctx.progress(0, 0, QStringLiteral("Loading run %1").arg(m_runId));
    // Kept with the run, unless the project can only be read.
    const std::unique_ptr<Project> project = Project::openWritableIfPossible(m_projectPath);
    m_result = evaluateRunOnSplit(*project, m_runId, m_split, m_task);
    if (!project->isReadOnly()) {
        recordEvaluation(*project, m_runId, m_result);
        m_stored = true;
    }
}

QString EvaluateRunJob::summary() const
{
    return QStringLiteral("Run %1: accuracy %2 on %3 %4 rows")
        .arg(m_runId)
        .arg(m_result.report.accuracy, 0, 'f', 3)
        .arg(m_result.report.total)
        .arg(m_split);
}

} // namespace fts
