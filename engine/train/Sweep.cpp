// A sweep is only a loop over ordinary runs, so each trial is resumable, comparable and reportable
// like any other run, and the run table shows the whole sweep.
#include "train/Sweep.h"

#include "Error.h"
#include "project/Project.h"

#include <QJsonDocument>

namespace fts {
namespace {

// The grid's combinations as value lists, last axis fastest.
QList<QStringList> combinations(const QList<SweepAxis>& grid)
{
    QList<QStringList> out{{}};
    for (const SweepAxis& axis : grid) {
        QList<QStringList> next;
        for (const QStringList& prefix : std::as_const(out))
            for (const QString& v : axis.values)
                next << (QStringList(prefix) << v);
        out = next;
    }
    return out;
}

} // namespace

QList<Hyperparameters> sweepSettings(const SweepOptions& options)
{
    if (options.grid.isEmpty())
        throw Error(QStringLiteral("A sweep needs at least one hyperparameter with values to try, "
                                   "e.g. lr=1e-5,3e-5,1e-4."));
    for (const SweepAxis& axis : options.grid)
        if (axis.values.isEmpty())
            throw Error(QStringLiteral("The sweep gives no values for %1.").arg(axis.key));
    QList<Hyperparameters> out;
    for (const QStringList& values : combinations(options.grid)) {
        if (options.maxRuns > 0 && out.size() >= options.maxRuns)
            break;
        Hyperparameters hp = options.base;
        for (qsizetype i = 0; i < values.size(); ++i) {
            try {
                hp.set(options.grid[i].key, values[i]);
            } catch (const Error& e) {
                throw Error(QStringLiteral("Sweep value %1=%2: %3")
                                .arg(options.grid[i].key, values[i], e.message()));
            }
        }
        out << hp;
    }
    return out;
}

SweepJob::SweepJob(QString projectPath, SweepOptions options)
    : m_projectPath(std::move(projectPath)), m_options(std::move(options))
{
}

QString SweepJob::title() const
{
    return QStringLiteral("Sweep over %1 settings").arg(sweepSettings(m_options).size());
}

void SweepJob::run(JobContext& ctx)
{
    const QList<Hyperparameters> settings = sweepSettings(m_options);
    const QList<QStringList> values = combinations(m_options.grid);
    auto project = Project::open(m_projectPath);
    m_result = SweepResult();
    m_result.metric = m_options.base.earlyStoppingMetric;
    std::atomic<bool> cancel{false};
    for (qsizetype i = 0; i < settings.size(); ++i) {
        ctx.checkCancelled();
        ctx.progress(i, settings.size(), QStringLiteral("Run %1 of %2").arg(i + 1).arg(settings.size()));
        SweepTrial trial;
        for (qsizetype a = 0; a < m_options.grid.size(); ++a)
            trial.values.insert(m_options.grid[a].key, values[i][a]);
        TrainerOptions options;
        options.modelDir = m_options.modelDir;
        options.task = m_options.task;
        options.hp = settings[i];
        options.tokenizer = m_options.tokenizer;
        options.cancel = &cancel;
        options.onStep = [&](const TrainProgress&) { cancel = ctx.isCancelled(); };
        const TrainResult r = Trainer(*project, options).run();
        trial.runId = r.runId;
        trial.status = r.status;
        trial.scored = r.bestStep >= 0;
        trial.score = r.bestMetric;
        ctx.log(QStringLiteral("run %1 %2: %3 %4")
                    .arg(r.runId)
                    .arg(QString::fromUtf8(QJsonDocument(trial.values).toJson(QJsonDocument::Compact)))
                    .arg(m_result.metric)
                    .arg(trial.scored ? QString::number(trial.score, 'f', 4) : QStringLiteral("–")));
        m_result.trials << trial;
        if (trial.scored) {
            const int b = m_result.best;
            const bool better = b < 0 || (higherIsBetter(m_result.metric)
                                              ? trial.score > m_result.trials[b].score
                                              : trial.score < m_result.trials[b].score);
            if (better)
                m_result.best = int(m_result.trials.size() - 1);
        }
        if (r.status == QLatin1String("cancelled"))
            throw Cancelled();
    }
}

QString SweepJob::summary() const
{
    if (m_result.best < 0)
        return QStringLiteral("Sweep finished: %1 runs, none with a validation score.")
            .arg(m_result.trials.size());
    const SweepTrial& b = m_result.trials[m_result.best];
    return QStringLiteral("Sweep finished: %1 runs; best is run %2 (%3 %4)")
        .arg(m_result.trials.size())
        .arg(b.runId)
        .arg(m_result.metric)
        .arg(b.score, 0, 'f', 4);
}

} // namespace fts
