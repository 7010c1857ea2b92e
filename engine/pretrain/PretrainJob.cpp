// PretrainJob: the pre-trainer's callbacks wired to a JobContext's progress, log and cancel flag.
#include "pretrain/PretrainJob.h"

#include "Error.h"

#include <QDir>

#include <cmath>

namespace fts {

PretrainJob::PretrainJob(PretrainOptions options) : m_options(std::move(options)) {}

QString PretrainJob::title() const
{
    return QStringLiteral("Pre-training %1").arg(QDir(m_options.outDir).dirName());
}

void PretrainJob::run(JobContext& ctx)
{
    std::atomic<bool> cancel{ctx.isCancelled()};
    PretrainOptions options = m_options;
    options.cancel = &cancel;
    qint64 lastLogged = -1;
    const auto userStep = m_options.onStep;
    options.onStep = [&](const PretrainProgress& p) {
        if (userStep)
            userStep(p);
        ctx.progress(p.step, p.totalSteps, QStringLiteral("Pre-training"));
        // About 100 lines per run, plus the last step.
        if (p.evalPerplexity > 0)
            ctx.log(QStringLiteral("step %1/%2  held-out perplexity %3")
                        .arg(p.step)
                        .arg(p.totalSteps)
                        .arg(p.evalPerplexity, 0, 'f', 2));
        if (lastLogged < 0 || p.step - lastLogged >= std::max<qint64>(1, p.totalSteps / 100) ||
            p.step == p.totalSteps) {
            ctx.log(QStringLiteral("step %1/%2  loss %3  perplexity %4  lr %5  %6 tokens/s")
                        .arg(p.step)
                        .arg(p.totalSteps)
                        .arg(p.loss, 0, 'f', 4)
                        .arg(p.perplexity, 0, 'f', 1)
                        .arg(p.lr, 0, 'g', 3)
                        .arg(qint64(p.tokensPerSecond)));
            lastLogged = p.step;
        }
        if (ctx.isCancelled())
            cancel = true;
    };
    const auto userLog = m_options.onLog;
    options.onLog = [&](const QString& line) {
        if (userLog)
            userLog(line);
        ctx.log(line);
    };
    m_result = pretrain(options);
    if (m_result.status == QLatin1String("cancelled"))
        throw Cancelled();
}

QString PretrainJob::summary() const
{
    QString s = QStringLiteral("Pre-trained %1 steps (%2 tokens)")
                    .arg(m_result.steps)
                    .arg(m_result.tokensSeen);
    if (m_result.evalPerplexity > 0)
        s += QStringLiteral("; held-out perplexity %1").arg(m_result.evalPerplexity, 0, 'f', 2);
    return s + QLatin1Char('.');
}

} // namespace fts
