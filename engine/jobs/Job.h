// A unit of long work (import, train, export...) and the context it reports progress through.
#pragma once

#include <QElapsedTimer>
#include <QString>

#include <atomic>
#include <functional>

namespace fts {

struct JobProgress
{
    qint64 done = 0;
    qint64 total = 0; // 0 when unknown
    QString stage;
    double etaSeconds = -1; // < 0 when unknown
    double elapsedSeconds = 0;
};

// Estimates time left from a smoothed rate of progress; robust to a slow or bursty start.
class EtaEstimator
{
public:
    void start();
    // Returns seconds remaining, or -1 while there is not enough evidence.
    double update(qint64 done, qint64 total, double elapsedSeconds);

private:
    double m_rate = 0; // units per second, exponentially smoothed
    double m_lastTime = 0;
    qint64 m_lastDone = 0;
    bool m_hasRate = false;
};

// Passed to Job::run. Progress is rate-limited here so a job may call progress() every step.
class JobContext
{
public:
    using ProgressSink = std::function<void(const JobProgress&)>;
    using LogSink = std::function<void(const QString&)>;

    JobContext(const std::atomic<bool>* cancelFlag, ProgressSink progress, LogSink log = {});

    bool isCancelled() const { return m_cancel && m_cancel->load(std::memory_order_relaxed); }
    // The flag itself (null when nothing can cancel), for loops that wait outside progress calls.
    const std::atomic<bool>* cancelFlag() const { return m_cancel; }
    // Throws fts::Cancelled when the user asked to stop; call at least once per step.
    void checkCancelled() const;
    void progress(qint64 done, qint64 total, const QString& stage = {});
    void log(const QString& line) const;
    double elapsedSeconds() const { return m_clock.elapsed() / 1000.0; }

private:
    const std::atomic<bool>* m_cancel;
    ProgressSink m_progressSink;
    LogSink m_logSink;
    QElapsedTimer m_clock;
    qint64 m_lastEmitMs = -1;
    qint64 m_stageStartMs = 0;
    QString m_lastStage;
    EtaEstimator m_eta;
};

class Job
{
public:
    virtual ~Job() = default;
    // Shown in the progress bar and the log, e.g. "Importing reviews.csv".
    virtual QString title() const = 0;
    // Does the work. Throws fts::Error with a user-facing message on failure, fts::Cancelled on cancel.
    virtual void run(JobContext& ctx) = 0;
    // One line for the user when the job succeeded, e.g. "Imported 840 rows".
    virtual QString summary() const { return {}; }
};

} // namespace fts
