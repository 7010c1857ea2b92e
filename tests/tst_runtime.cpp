// Runtime settings: devices and precision choices, libtorch thread configuration.
#include "Suite.h"
#include "Error.h"
#include "runtime/Autocast.h"
#include "runtime/Device.h"
#include "runtime/TorchRuntime.h"

#include <ATen/ATen.h>

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
    void autocastScopeRunsMatmulsInBf16();
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


// Inside the scope a matrix product runs in bf16 while elementwise work and the inputs stay fp32;
// scopes nest, and leaving the outer one restores fp32 everywhere.
void TestRuntime::autocastScopeRunsMatmulsInBf16()
{
    const at::Tensor x = at::randn({4, 8});
    const at::Tensor w = at::randn({3, 8});
    QCOMPARE(at::linear(x, w).scalar_type(), at::kFloat);
    {
        const AutocastScope outer(QStringLiteral("bf16"));
        QCOMPARE(at::linear(x, w).scalar_type(), at::kBFloat16);
        QCOMPARE((x + 1).scalar_type(), at::kFloat);
        {
            const AutocastScope inner(true);
            QCOMPARE(at::matmul(x, w.t()).scalar_type(), at::kBFloat16);
        }
        QCOMPARE(at::linear(x, w).scalar_type(), at::kBFloat16); // the inner scope left it on
        const AutocastScope off(QStringLiteral("fp32"));         // fp32 changes nothing
        QCOMPARE(at::linear(x, w).scalar_type(), at::kBFloat16);
    }
    QCOMPARE(at::linear(x, w).scalar_type(), at::kFloat);
    // The bf16 result is the fp32 one to bf16's ~3 significant digits.
    at::Tensor low;
    {
        const AutocastScope scope(true);
        low = at::linear(x, w).to(at::kFloat);
    }
    const at::Tensor exact = at::linear(x, w);
    QVERIFY(!at::equal(low, exact));
    QVERIFY(at::allclose(low, exact, 2e-2, 5e-2));
}

FTS_TEST_SUITE(TestRuntime)
#include "tst_runtime.moc"
