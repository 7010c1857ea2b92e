// The engine thread: jobs run off the calling thread, report progress, cancel quickly, report failure.
#include "Suite.h"
#include "Error.h"
#include "jobs/JobRunner.h"
#include "runtime/TorchRuntime.h"

#include <QSignalSpy>
#include <QtTest>

#include <thread>

using namespace fts;

namespace {

// Works in small steps until cancelled or done; records which thread ran it.
class StepJob : public Job
{
public:
    explicit StepJob(int steps, int stepMs = 5) : m_steps(steps), m_stepMs(stepMs) {}
    QString title() const override { return "Stepping"; }
    void run(JobContext& ctx) override
    {
        thread = QThread::currentThread();
        threadsSeen = runtime::intraOpThreads();
        for (int i = 0; i < m_steps; ++i) {
            ctx.checkCancelled();
            QThread::msleep(m_stepMs);
            ctx.progress(i + 1, m_steps, "Stepping");
        }
    }
    QString summary() const override { return "done stepping"; }
    QThread* thread = nullptr;
    int threadsSeen = 0;

private:
    int m_steps;
    int m_stepMs;
};

class ThrowingJob : public Job
{
public:
    QString title() const override { return "Failing"; }
    void run(JobContext&) override { throw Error("the input file is broken at line 3"); }
};

class StdThrowingJob : public Job
{
public:
    QString title() const override { return "Crashing"; }
    void run(JobContext&) override { throw std::out_of_range("index 7"); }
};

} // namespace

class TestJobs : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void runsOnEngineThreadWithProgress();
    void cancelStopsWithinOneSecond();
    void cancelBeforeStartNeverRuns();
    void failureIsReportedNotThrown();
    void unexpectedExceptionIsReported();
    void jobsRunInOrder();
    void progressIsThrottled();
    void etaEstimate();
    void engineThreadUsesConfiguredTorchThreads();
};

void TestJobs::runsOnEngineThreadWithProgress()
{
    JobRunner runner;
    auto job = std::make_shared<StepJob>(40);
    QSignalSpy progress(&runner, &JobRunner::jobProgress);
    QSignalSpy finished(&runner, &JobRunner::jobFinished);
    const int id = runner.submit(job);
    QVERIFY(runner.isBusy());
    QVERIFY(finished.wait(10000));
    QCOMPARE(finished.first().at(0).toInt(), id);
    const auto outcome = finished.first().at(1).value<JobOutcome>();
    QCOMPARE(outcome.status, JobStatus::Succeeded);
    QCOMPARE(outcome.message, QString("done stepping"));
    QVERIFY(job->thread != nullptr);
    QVERIFY(job->thread != QThread::currentThread());
    QVERIFY(progress.size() >= 2);
    const auto last = progress.last().at(1).value<JobProgress>();
    QCOMPARE(last.done, 40);
    QCOMPARE(last.total, 40);
    QVERIFY(!runner.isBusy());
}

void TestJobs::cancelStopsWithinOneSecond()
{
    JobRunner runner;
    QSignalSpy started(&runner, &JobRunner::jobStarted);
    QSignalSpy finished(&runner, &JobRunner::jobFinished);
    const int id = runner.submit(std::make_shared<StepJob>(100000, 10)); // ~17 minutes if not cancelled
    QVERIFY(started.wait(5000));
    QTest::qWait(100);
    QElapsedTimer clock;
    clock.start();
    runner.cancel(id);
    QVERIFY(finished.wait(5000));
    QVERIFY2(clock.elapsed() < 1000, qPrintable(QString("cancel took %1 ms").arg(clock.elapsed())));
    QCOMPARE(finished.first().at(1).value<JobOutcome>().status, JobStatus::Cancelled);
}

void TestJobs::cancelBeforeStartNeverRuns()
{
    JobRunner runner;
    QSignalSpy finished(&runner, &JobRunner::jobFinished);
    const int first = runner.submit(std::make_shared<StepJob>(20));
    auto second = std::make_shared<StepJob>(20);
    const int secondId = runner.submit(second);
    runner.cancel(secondId);
    QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 2, 10000);
    QCOMPARE(finished[0].at(0).toInt(), first);
    QCOMPARE(finished[1].at(1).value<JobOutcome>().status, JobStatus::Cancelled);
    QVERIFY(second->thread == nullptr); // run() was never entered
}

void TestJobs::failureIsReportedNotThrown()
{
    JobRunner runner;
    QSignalSpy finished(&runner, &JobRunner::jobFinished);
    runner.submit(std::make_shared<ThrowingJob>());
    QVERIFY(finished.wait(5000));
    const auto outcome = finished.first().at(1).value<JobOutcome>();
    QCOMPARE(outcome.status, JobStatus::Failed);
    QCOMPARE(outcome.message, QString("the input file is broken at line 3"));
}

void TestJobs::unexpectedExceptionIsReported()
{
    StdThrowingJob job;
    const JobOutcome outcome = runJob(job, nullptr, {}, {});
    QCOMPARE(outcome.status, JobStatus::Failed);
    QVERIFY(outcome.message.contains("index 7"));
}

void TestJobs::jobsRunInOrder()
{
    JobRunner runner;
    QSignalSpy started(&runner, &JobRunner::jobStarted);
    QSignalSpy idle(&runner, &JobRunner::idle);
    QList<int> ids;
    for (int i = 0; i < 3; ++i)
        ids << runner.submit(std::make_shared<StepJob>(3));
    QVERIFY(idle.wait(10000));
    QCOMPARE(started.size(), 3);
    for (int i = 0; i < 3; ++i)
        QCOMPARE(started[i].at(0).toInt(), ids[i]);
}

void TestJobs::progressIsThrottled()
{
    int emitted = 0;
    JobContext ctx(nullptr, [&](const JobProgress&) { ++emitted; });
    for (int i = 1; i <= 100000; ++i)
        ctx.progress(i, 100000);
    // 100k calls in well under a second: a handful of events, and always the final one.
    QVERIFY2(emitted >= 1 && emitted < 100, qPrintable(QString::number(emitted)));
}

void TestJobs::etaEstimate()
{
    EtaEstimator eta;
    eta.start();
    QCOMPARE(eta.update(0, 100, 0.0), -1.0);
    QCOMPARE(eta.update(5, 100, 0.1), -1.0); // too early to tell
    double last = -1;
    for (int s = 1; s <= 10; ++s)
        last = eta.update(10 * s, 100, double(s)); // steady 10 units/s
    QCOMPARE(last, 0.0);
    eta.start();
    for (int s = 1; s <= 4; ++s)
        last = eta.update(10 * s, 100, double(s));
    QVERIFY(qAbs(last - 6.0) < 1e-9); // 60 units left at 10/s
}

void TestJobs::engineThreadUsesConfiguredTorchThreads()
{
    qputenv("FTS_THREADS", "3"); // not the core count, so the setting is what is seen
    JobRunner runner;
    auto job = std::make_shared<StepJob>(1);
    QSignalSpy finished(&runner, &JobRunner::jobFinished);
    runner.submit(job);
    QVERIFY(finished.wait(5000));
    QCOMPARE(job->threadsSeen, 3);
}

FTS_TEST_SUITE(TestJobs)
#include "tst_jobs.moc"
