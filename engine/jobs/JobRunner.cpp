// The engine thread and the shared job-running function (exceptions -> outcome).
#include "jobs/JobRunner.h"

#include "Error.h"
#include "runtime/TorchRuntime.h"

#include <QElapsedTimer>

namespace fts {

JobOutcome runJob(Job& job, const std::atomic<bool>* cancel, JobContext::ProgressSink progress,
                  JobContext::LogSink log)
{
    QElapsedTimer clock;
    clock.start();
    JobOutcome out;
    try {
        JobContext ctx(cancel, std::move(progress), std::move(log));
        ctx.checkCancelled();
        job.run(ctx);
        out.status = JobStatus::Succeeded;
        out.message = job.summary();
    } catch (const Cancelled&) {
        out.status = JobStatus::Cancelled;
        out.message = QStringLiteral("Cancelled.");
    } catch (const Error& e) {
        out.status = JobStatus::Failed;
        out.message = e.message();
    } catch (const std::bad_alloc&) {
        out.status = JobStatus::Failed;
        out.message = QStringLiteral("Out of memory. Try a smaller batch size or maximum length, or "
                                     "close other programs.");
    } catch (const std::exception& e) {
        out.status = JobStatus::Failed;
        out.message = QStringLiteral("Internal error: %1").arg(QString::fromLocal8Bit(e.what()));
    }
    out.seconds = clock.elapsed() / 1000.0;
    return out;
}

void EngineWorker::prepareThread()
{
    // libtorch's thread settings are per thread in places: apply them on the thread that does the work.
    runtime::configureThreads();
}

void EngineWorker::run(int id, std::shared_ptr<Job> job, std::shared_ptr<std::atomic<bool>> cancel)
{
    Q_EMIT started(id, job->title());
    const JobOutcome out = runJob(
        *job, cancel.get(), [this, id](const JobProgress& p) { Q_EMIT progressed(id, p); },
        [this, id](const QString& line) { Q_EMIT logged(id, line); });
    // Release the job (and any project connection it holds) on this thread, before reporting.
    job.reset();
    Q_EMIT finished(id, out);
}

JobRunner::JobRunner(QObject* parent) : QObject(parent), m_worker(new EngineWorker)
{
    qRegisterMetaType<fts::JobProgress>();
    qRegisterMetaType<fts::JobOutcome>();
    qRegisterMetaType<std::shared_ptr<fts::Job>>();
    qRegisterMetaType<std::shared_ptr<std::atomic<bool>>>();

    m_thread.setObjectName(QStringLiteral("engine"));
    m_worker->moveToThread(&m_thread);
    connect(&m_thread, &QThread::started, m_worker, &EngineWorker::prepareThread);
    connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    connect(m_worker, &EngineWorker::started, this, &JobRunner::jobStarted);
    connect(m_worker, &EngineWorker::progressed, this, &JobRunner::jobProgress);
    connect(m_worker, &EngineWorker::logged, this, &JobRunner::jobLog);
    connect(m_worker, &EngineWorker::finished, this, [this](int id, const JobOutcome& out) {
        m_cancelFlags.remove(id);
        Q_EMIT jobFinished(id, out);
        if (m_cancelFlags.isEmpty())
            Q_EMIT idle();
    });
    m_thread.start();
}

JobRunner::~JobRunner()
{
    cancelAll();
    m_thread.quit();
    m_thread.wait();
}

int JobRunner::submit(std::shared_ptr<Job> job)
{
    const int id = m_nextId++;
    auto flag = std::make_shared<std::atomic<bool>>(false);
    m_cancelFlags.insert(id, flag);
    QMetaObject::invokeMethod(m_worker, "run", Qt::QueuedConnection, Q_ARG(int, id),
                              Q_ARG(std::shared_ptr<fts::Job>, std::move(job)),
                              Q_ARG(std::shared_ptr<std::atomic<bool>>, flag));
    return id;
}

void JobRunner::cancel(int id)
{
    if (auto flag = m_cancelFlags.value(id))
        flag->store(true);
}

void JobRunner::cancelAll()
{
    for (const auto& flag : std::as_const(m_cancelFlags))
        flag->store(true);
}

} // namespace fts
