// FewShotJob: evaluateFewShot wired to a JobContext's progress and cancel flag.
#include "deploy/FewShotJob.h"

#include "project/Project.h"

namespace fts {

FewShotJob::FewShotJob(QString projectPath, FewShotRequest request)
    : m_projectPath(std::move(projectPath)), m_request(std::move(request))
{
}

QString FewShotJob::title() const
{
    return QStringLiteral("Few-shot prompting (k=%1, %2) on %3")
        .arg(m_request.options.k)
        .arg(shotSelectionName(m_request.options.selection), m_request.split);
}

void FewShotJob::run(JobContext& ctx)
{
    m_result = FewShotEvaluation();
    ctx.progress(0, 0, QStringLiteral("Loading the model"));
    auto project = Project::open(m_projectPath, m_request.keepAsRun ? Project::Access::ReadWrite
                                                                    : Project::Access::ReadOnly);
    m_result = evaluateFewShot(
        *project, m_request,
        [&ctx](int done, int total) {
            ctx.checkCancelled();
            ctx.progress(done, total, QStringLiteral("Prompting"));
        },
        ctx.cancelFlag());
}

QString FewShotJob::summary() const
{
    return fewShotSummary(m_request, m_result);
}

QString fewShotSummary(const FewShotRequest& request, const FewShotEvaluation& result)
{
    const ClassificationReport& r = result.evaluation.report;
    QString line = QStringLiteral("Few-shot (k=%1, %2): accuracy %3, macro F1 %4 on %5 %6 rows; ")
                       .arg(request.options.k)
                       .arg(shotSelectionName(request.options.selection))
                       .arg(r.accuracy, 0, 'f', 3)
                       .arg(r.macroF1, 0, 'f', 3)
                       .arg(QString::number(r.total), result.evaluation.split);
    line += result.unparsed == 1 ? QStringLiteral("1 answer unparsed")
                                 : QStringLiteral("%1 answers unparsed").arg(result.unparsed);
    if (result.trimmedPrompts > 0)
        line += QStringLiteral("; %1 of %2 prompts shortened to fit the model (%3 shots on average)")
                    .arg(result.trimmedPrompts)
                    .arg(r.total)
                    .arg(result.meanShots, 0, 'f', 1);
    line += result.runId > 0 ? QStringLiteral("; kept as run %1").arg(result.runId)
                             : QStringLiteral("; not kept");
    return line;
}

} // namespace fts
