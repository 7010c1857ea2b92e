// Progress throttling and time-left estimation shared by every job.
#include "jobs/Job.h"

#include "Error.h"

#include <cmath>

namespace fts {
namespace {
// Progress events at most every 50 ms: smooth for the eye, cheap for a queued-signal connection.
constexpr qint64 kMinEmitIntervalMs = 50;
// Weight of the newest rate sample; ~the last 10 samples dominate the estimate.
constexpr double kRateSmoothing = 0.1;
// Seconds of work before an estimate is shown: early rates mislead (warm-up, caches).
constexpr double kMinSecondsForEta = 0.5;
} // namespace

void EtaEstimator::start()
{
    *this = EtaEstimator();
}

double EtaEstimator::update(qint64 done, qint64 total, double elapsed)
{
    if (total <= 0 || done <= 0)
        return -1;
    const double dt = elapsed - m_lastTime;
    if (dt > 0 && done >= m_lastDone) {
        const double sample = double(done - m_lastDone) / dt;
        m_rate = m_hasRate ? (1 - kRateSmoothing) * m_rate + kRateSmoothing * sample : sample;
        m_hasRate = true;
        m_lastTime = elapsed;
        m_lastDone = done;
    }
    if (!m_hasRate || elapsed < kMinSecondsForEta)
        return -1;
    // Blend with the overall average so one stalled interval does not send the ETA to infinity.
    const double average = done / elapsed;
    const double rate = 0.5 * m_rate + 0.5 * average;
    if (rate <= 0 || !std::isfinite(rate))
        return -1;
    return double(std::max<qint64>(0, total - done)) / rate;
}

JobContext::JobContext(const std::atomic<bool>* cancelFlag, ProgressSink progress, LogSink log)
    : m_cancel(cancelFlag), m_progressSink(std::move(progress)), m_logSink(std::move(log))
{
    m_clock.start();
    m_eta.start();
}

void JobContext::checkCancelled() const
{
    if (isCancelled())
        throw Cancelled();
}

void JobContext::progress(qint64 done, qint64 total, const QString& stage)
{
    const qint64 now = m_clock.elapsed();
    const bool stageChanged = stage != m_lastStage;
    const bool finished = total > 0 && done >= total;
    if (stageChanged) {
        // A new stage has its own pace and total: estimate it afresh.
        m_eta.start();
        m_stageStartMs = now;
    }
    const double eta = m_eta.update(done, total, (now - m_stageStartMs) / 1000.0);
    if (!m_progressSink)
        return;
    if (!stageChanged && !finished && m_lastEmitMs >= 0 && now - m_lastEmitMs < kMinEmitIntervalMs)
        return;
    m_lastEmitMs = now;
    m_lastStage = stage;
    m_progressSink(JobProgress{done, total, stage, eta, now / 1000.0});
}

void JobContext::log(const QString& line) const
{
    if (m_logSink)
        m_logSink(line);
}

} // namespace fts
