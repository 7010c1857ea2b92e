// The engine thread: runs submitted jobs one after another off the GUI thread, reporting by queued signals.
#pragma once

#include "jobs/Job.h"

#include <QHash>
#include <QMetaType>
#include <QObject>
#include <QThread>

#include <atomic>
#include <memory>

namespace fts {

enum class JobStatus { Succeeded, Cancelled, Failed };

struct JobOutcome
{
    JobStatus status = JobStatus::Succeeded;
    QString message; // the job's summary on success, the reason on failure
    double seconds = 0;
};

// Runs `job` on the calling thread, turning exceptions into an outcome. Used by the engine
// thread and by ftstudio-cli, so both front ends share one behaviour.
JobOutcome runJob(Job& job, const std::atomic<bool>* cancel, JobContext::ProgressSink progress,
                  JobContext::LogSink log);

class EngineWorker : public QObject
{
    Q_OBJECT
public Q_SLOTS:
    void prepareThread();
    void run(int id, std::shared_ptr<fts::Job> job, std::shared_ptr<std::atomic<bool>> cancel);
Q_SIGNALS:
    void started(int id, const QString& title);
    void progressed(int id, const fts::JobProgress& progress);
    void logged(int id, const QString& line);
    void finished(int id, const fts::JobOutcome& outcome);
};

// Lives on the GUI thread; owns the engine thread. Jobs run in submission order.
class JobRunner : public QObject
{
    Q_OBJECT
public:
    explicit JobRunner(QObject* parent = nullptr);
    ~JobRunner() override;

    // Queues the job and returns its id; signals below carry that id.
    int submit(std::shared_ptr<Job> job);
    // Asks a queued or running job to stop; a running job sees it at its next checkCancelled().
    void cancel(int id);
    void cancelAll();
    bool isBusy() const { return !m_cancelFlags.isEmpty(); }
    int pendingCount() const { return int(m_cancelFlags.size()); }

Q_SIGNALS:
    void jobStarted(int id, const QString& title);
    void jobProgress(int id, const fts::JobProgress& progress);
    void jobLog(int id, const QString& line);
    void jobFinished(int id, const fts::JobOutcome& outcome);
    void idle();

private:
    QThread m_thread;
    EngineWorker* m_worker;
    QHash<int, std::shared_ptr<std::atomic<bool>>> m_cancelFlags;
    int m_nextId = 1;
};

} // namespace fts

Q_DECLARE_METATYPE(fts::JobProgress)
Q_DECLARE_METATYPE(fts::JobOutcome)
Q_DECLARE_METATYPE(std::shared_ptr<fts::Job>)
Q_DECLARE_METATYPE(std::shared_ptr<std::atomic<bool>>)
