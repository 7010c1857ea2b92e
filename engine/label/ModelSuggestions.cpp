// The run is loaded once and predicts every active row; predictWithRun reports progress per chunk.
#include "label/ModelSuggestions.h"

#include "Error.h"
#include "project/Project.h"
#include "train/RunStore.h"
#include "train/TrainTypes.h"

#include <algorithm>

namespace fts {

qint64 newestUsableRun(Project& project, const QString& task)
{
    const QList<RunRecord> runs = listRuns(project);
    for (auto it = runs.crbegin(); it != runs.crend(); ++it)
        if (it->task == task && it->status != QLatin1String("failed") &&
            it->status != QLatin1String("running") &&
            hasCheckpoint(*it))
            return it->id;
    return 0;
}

namespace {

ModelSuggestions predictRows(Project& project, qint64 runId, const QString& task,
                             const QStringList& schemaLabels, JobContext* ctx)
{
    QList<qint64> ids;
    QStringList texts;
    SqlQuery q(project.db(),
               QStringLiteral("SELECT id, text FROM rows WHERE removed_by_step IS NULL ORDER BY id"));
    q.exec("read the rows to suggest labels for");
    while (q.next()) {
        ids << q.value(0).toLongLong();
        texts << q.value(1).toString();
    }
    ModelSuggestions out;
    out.runId = runId;
    out.task = task;
    out.labels = schemaLabels;
    QStringList runLabels;
    const std::vector<std::vector<double>> probs =
        predictWithRun(project, runId, texts, &runLabels, [ctx](qint64 done, qint64 total) {
            if (ctx) {
                ctx->checkCancelled();
                ctx->progress(done, total, QStringLiteral("Predicting"));
            }
        });
    QList<int> toSchema; // run label index -> schema index (-1: not in the schema)
    for (const QString& l : runLabels)
        toSchema << int(schemaLabels.indexOf(l));
    if (!texts.isEmpty() &&
        std::all_of(toSchema.begin(), toSchema.end(), [](int i) { return i < 0; }))
        throw Error(QStringLiteral("Run %1 predicts %2, none of which is a label of task '%3' "
                                   "(%4); train a run on this task's labels.")
                        .arg(runId)
                        .arg(runLabels.join(QStringLiteral(", ")), task,
                             schemaLabels.join(QStringLiteral(", "))));
    for (size_t i = 0; i < probs.size(); ++i) {
        std::vector<double> p(size_t(schemaLabels.size()), 0.0);
        for (size_t j = 0; j < probs[i].size(); ++j)
            if (toSchema[qsizetype(j)] >= 0)
                p[size_t(toSchema[qsizetype(j)])] = probs[i][j];
        out.byRow.insert(ids[qsizetype(i)], std::move(p));
    }
    return out;
}

} // namespace

ModelSuggestions suggestFromRun(Project& project, qint64 runId, const QString& task,
                                const QStringList& schemaLabels)
{
    return predictRows(project, runId, task, schemaLabels, nullptr);
}

SuggestJob::SuggestJob(QString projectPath, QString task, QStringList schemaLabels, qint64 runId)
    : m_projectPath(std::move(projectPath)), m_task(std::move(task)),
      m_labels(std::move(schemaLabels)), m_runId(runId)
{
}

QString SuggestJob::title() const
{
    return QStringLiteral("Suggesting labels with the trained model");
}

void SuggestJob::run(JobContext& ctx)
{
    auto project = Project::open(m_projectPath, Project::Access::ReadOnly);
    const qint64 runId = m_runId > 0 ? m_runId : newestUsableRun(*project, m_task);
    if (runId <= 0)
        return;
    m_result = predictRows(*project, runId, m_task, m_labels, &ctx);
}

QString SuggestJob::summary() const
{
    if (m_result.isEmpty())
        return QStringLiteral("No trained run yet: suggestions come from the word lexicon.");
    return QStringLiteral("Suggestions from run %1 for %2 rows.")
        .arg(m_result.runId)
        .arg(m_result.byRow.size());
}

} // namespace fts
