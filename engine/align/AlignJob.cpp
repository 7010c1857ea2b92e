// AlignJob: a decoder trainer's callbacks wired to a JobContext's progress, log and cancel flag.
#include "align/AlignJob.h"

#include "Error.h"
#include "align/DpoTrainer.h"
#include "align/PpoTrainer.h"
#include "align/RewardTrainer.h"
#include "align/SftTrainer.h"
#include "project/Project.h"

namespace fts {

bool isDecoderRunMethod(const QString& method)
{
    return method.startsWith(QLatin1String("sft")) || method == QLatin1String("dpo") ||
           method == QLatin1String("ppo");
}

bool isRewardRunMethod(const QString& method)
{
    return method.startsWith(QLatin1String("reward-"));
}
namespace {

QString kindName(AlignKind kind)
{
    switch (kind) {
    case AlignKind::Sft:
        return QStringLiteral("supervised fine-tuning");
    case AlignKind::Reward:
        return QStringLiteral("reward model");
    case AlignKind::Dpo:
        return QStringLiteral("DPO");
    case AlignKind::Ppo:
        return QStringLiteral("PPO");
    }
    return {};
}

} // namespace

AlignJob::AlignJob(AlignKind kind, QString projectPath, AlignOptions options, qint64 resumeRunId)
    : m_kind(kind), m_projectPath(std::move(projectPath)), m_options(std::move(options)),
      m_resume(resumeRunId)
{
}

QString AlignJob::title() const
{
    if (m_resume > 0)
        return QStringLiteral("Resuming %1 run %2").arg(kindName(m_kind)).arg(m_resume);
    return QStringLiteral("Training (%1, %2)").arg(kindName(m_kind), m_options.hp.method);
}

void AlignJob::run(JobContext& ctx)
{
    auto project = Project::open(m_projectPath);
    AlignOptions options = m_options;
    AlignCallbacks& cb = options.callbacks;
    // The runner's own flag (null where nothing can cancel), so a stop also ends a pause.
    cb.cancel = ctx.cancelFlag();
    cb.pause = m_pause.get();
    const auto userStep = m_options.callbacks.onStep;
    qint64 lastLogged = -1;
    cb.onStep = [&](const TrainProgress& p) {
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
    const auto userMetric = m_options.callbacks.onMetric;
    cb.onMetric = [&](const MetricPoint& p) {
        if (userMetric)
            userMetric(p);
        if (p.split == QLatin1String("val"))
            ctx.log(QStringLiteral("step %1  val %2 %3")
                        .arg(p.step)
                        .arg(p.name)
                        .arg(p.value, 0, 'f', 4));
    };
    const auto userLog = m_options.callbacks.onLog;
    cb.onLog = [&](const QString& line) {
        if (userLog)
            userLog(line);
        ctx.log(line);
    };
    switch (m_kind) {
    case AlignKind::Sft: {
        SftTrainer t(*project, options);
        m_result = m_resume > 0 ? t.resume(m_resume) : t.run();
        break;
    }
    case AlignKind::Reward: {
        RewardTrainer t(*project, options);
        m_result = m_resume > 0 ? t.resume(m_resume) : t.run();
        break;
    }
    case AlignKind::Dpo: {
        DpoTrainer t(*project, options);
        m_result = m_resume > 0 ? t.resume(m_resume) : t.run();
        break;
    }
    case AlignKind::Ppo: {
        PpoTrainer t(*project, options);
        m_result = m_resume > 0 ? t.resume(m_resume) : t.run();
        break;
    }
    }
    if (m_result.status == QLatin1String("cancelled"))
        throw Cancelled();
}

QString AlignJob::summary() const
{
    QString s =
        QStringLiteral("Run %1 finished after %2 steps").arg(m_result.runId).arg(m_result.steps);
    for (auto it = m_result.after.cbegin(); it != m_result.after.cend(); ++it)
        s += QStringLiteral("; val %1 %2 -> %3")
                 .arg(it.key())
                 .arg(m_result.before.value(it.key()), 0, 'f', 4)
                 .arg(it.value(), 0, 'f', 4);
    return s + QLatin1Char('.');
}

} // namespace fts
