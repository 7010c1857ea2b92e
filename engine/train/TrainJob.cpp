// TrainJob: the trainer's callbacks wired to a JobContext's progress, log and cancel flag.
#include "train/TrainJob.h"

#include "Error.h"
#include "project/Project.h"

namespace fts {

TrainJob::TrainJob(QString projectPath, TrainerOptions options, qint64 resumeRunId)
    : m_projectPath(std::move(projectPath)), m_options(std::move(options)), m_resume(resumeRunId)
{
}

QString TrainJob::title() const
{
    if (m_resume > 0)
        return QStringLiteral("Resuming training run %1").arg(m_resume);
    return QStringLiteral("Training (%1)").arg(m_options.hp.method);
}

void TrainJob::run(JobContext& ctx)
{
    auto project = Project::open(m_projectPath);
    TrainerOptions options = m_options;
    // The runner's own flag (null where nothing can cancel), so a stop also ends a pause.
    options.cancel = ctx.cancelFlag();
    options.pause = m_pause.get();
    const auto userStep = m_options.onStep;
    qint64 lastLogged = -1;
    options.onStep = [&](const TrainProgress& p) {
        if (userStep)
            userStep(p);
        ctx.progress(p.step, p.totalSteps, QStringLiteral("Training"));
        // One log line per ~1% of the run keeps the log readable on long runs.
        if (lastLogged < 0 || p.step - lastLogged >= std::max<qint64>(1, p.totalSteps / 100) ||
            p.step == p.totalSteps) {
            ctx.log(QStringLiteral("step %1/%2  epoch %3  loss %4  lr %5  %6 tokens/s")
                        .arg(p.step)
                        .arg(p.totalSteps)
                        .arg(p.epoch, 0, 'f', 2)
                        .arg(p.loss, 0, 'f', 4)
                        .arg(p.lr, 0, 'g', 3)
                        .arg(qint64(p.tokensPerSecond)));
            lastLogged = p.step;
        }
    };
    const auto userLog = m_options.onLog;
    options.onLog = [&](const QString& line) {
        if (userLog)
            userLog(line);
        ctx.log(line);
    };
    Trainer trainer(*project, options);
    m_result = m_resume > 0 ? trainer.resume(m_resume) : trainer.run();
    if (m_result.status == QLatin1String("cancelled"))
        throw Cancelled();
}

QString TrainJob::summary() const
{
    QString s =
        QStringLiteral("Run %1 finished after %2 steps").arg(m_result.runId).arg(m_result.steps);
    if (m_result.bestStep >= 0)
        s += QStringLiteral("; best %1 %2 at step %3")
                 .arg(m_options.hp.earlyStoppingMetric)
                 .arg(m_result.bestMetric, 0, 'f', 4)
                 .arg(m_result.bestStep);
    if (m_result.earlyStopped)
        s += QStringLiteral(" (stopped early)");
    return s + QLatin1Char('.');
}

} // namespace fts
