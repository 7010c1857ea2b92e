// Runtime settings: devices and precision choices, libtorch thread configuration.
#include "Suite.h"
#include "Error.h"
#include "runtime/Device.h"
#include "runtime/TorchRuntime.h"

#include <QtTest>

using namespace fts;

class TestRuntime : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void cpuIsAlwaysAvailable();
    void badChoicesAreExplained();
    void defaultChoiceIsValid();
    void threadsFollowSetting();
};

void TestRuntime::cpuIsAlwaysAvailable()
{
    QCOMPARE(availableDevices().first(), QString("cpu"));
    validateDeviceChoice({"cpu", "fp32"});
    validateDeviceChoice({"cpu", "bf16"});
}

void TestRuntime::badChoicesAreExplained()
{
    try {
        validateDeviceChoice({"cpu", "fp8"});
        QFAIL("accepted fp8");
    } catch (const Error& e) {
        QVERIFY(e.message().contains("choose fp32 or bf16"));
    }
    try {
        validateDeviceChoice({"tpu:0", "fp32"});
        QFAIL("accepted a TPU");
    } catch (const Error& e) {
        QVERIFY2(e.message().contains("available: cpu"), qPrintable(e.message()));
    }
    if (availableDevices().size() == 1) {
        try {
            validateDeviceChoice({"cuda", "bf16"});
            QFAIL("accepted CUDA without a GPU");
        } catch (const Error& e) {
            QVERIFY2(e.message().contains("No CUDA GPU is available"), qPrintable(e.message()));
        }
    }
}

void TestRuntime::defaultChoiceIsValid()
{
    const DeviceChoice c = defaultDeviceChoice();
    validateDeviceChoice(c);
    if (c.device == "cpu")
        QCOMPARE(c.precision == "bf16", cpuHasNativeBf16());
    QVERIFY(describeDevice({"cpu", "fp32"}).startsWith("CPU ("));
}

void TestRuntime::threadsFollowSetting()
{
    runtime::configureThreads(3);
    QCOMPARE(runtime::intraOpThreads(), 3);
    qputenv("FTS_THREADS", "1");
    QCOMPARE(runtime::defaultThreadCount(), 1);
    runtime::configureThreads();
    QCOMPARE(runtime::intraOpThreads(), 1);
    qunsetenv("FTS_THREADS");
    QCOMPARE(runtime::defaultThreadCount(), std::max(1, QThread::idealThreadCount()));
}

FTS_TEST_SUITE(TestRuntime)
#include "tst_runtime.moc"
