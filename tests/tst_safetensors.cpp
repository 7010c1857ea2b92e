// safetensors: round trip of every dtype, metadata, atomic writes, and strict rejection of bad files.
#include "Suite.h"
#include "Error.h"
#include "TestUtil.h"
#include "models/Safetensors.h"
#include "models/StateDict.h"

#include <ATen/ATen.h>
#include <torch/nn/modules/linear.h>

#include <QTemporaryDir>
#include <QtTest>

using namespace fts;

namespace {
// A file with a hand-written header and `dataBytes` zero bytes of data.
QByteArray fileWithHeader(const QByteArray& json, int dataBytes)
{
    QByteArray out(8, '\0');
    quint64 n = quint64(json.size());
    for (int i = 0; i < 8; ++i)
        out[i] = char((n >> (8 * i)) & 0xFF);
    return out + json + QByteArray(dataBytes, '\0');
}
} // namespace

class TestSafetensors : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void roundTripEveryDtype();
    void readsPythonWrittenFile();
    void malformedFilesAreRejected_data();
    void malformedFilesAreRejected();
    void failedSaveKeepsPreviousFile();
    void stateDictRoundTrip();

private:
    QTemporaryDir m_dir;
};

void TestSafetensors::roundTripEveryDtype()
{
    TensorMap in;
    in["f64"] = at::randn({2, 3}, at::kDouble);
    in["f32"] = at::randn({4, 5});
    in["f16"] = at::randn({3}).to(at::kHalf);
    in["bf16"] = at::randn({2, 2}).to(at::kBFloat16);
    in["i64"] = at::arange(7, at::kLong);
    in["i32"] = at::arange(-3, 3, at::kInt);
    in["i16"] = at::arange(5, at::kShort);
    in["i8"] = at::arange(-4, 4, at::kChar);
    in["u8"] = at::arange(250, 256, at::kByte);
    in["bool"] = at::arange(3, at::kLong).remainder(2).to(at::kBool);
    in["scalar"] = at::scalar_tensor(3.5);
    in["empty"] = at::empty({0, 4});
    in["strided"] = at::randn({4, 6}).t(); // non-contiguous input is written contiguous
    const QString path = m_dir.filePath("all.safetensors");
    saveSafetensors(path, in, {{"format", "pt"}});
    QMap<QString, QString> meta;
    const TensorMap out = loadSafetensors(path, &meta);
    QCOMPARE(meta.value("format"), QString("pt"));
    QCOMPARE(out.size(), in.size());
    for (const auto& [name, t] : in) {
        QVERIFY2(out.count(name), name.c_str());
        QCOMPARE(out.at(name).scalar_type(), t.scalar_type());
        QVERIFY2(at::equal(out.at(name), t), name.c_str());
    }
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray head = f.read(8);
    quint64 n = 0;
    for (int i = 7; i >= 0; --i)
        n = (n << 8) | uchar(head[i]);
    QCOMPARE(n % 8, 0u); // data starts aligned
}

void TestSafetensors::readsPythonWrittenFile()
{
    // Written by tests/fixtures/safetensors_io.py with python3-torch (see make_safetensors_fixture.py).
    const TensorMap t = loadSafetensors(FTS_FIXTURES_DIR "/safetensors/python_written.safetensors");
    QCOMPARE(t.at("weight").sizes(), at::IntArrayRef({2, 3}));
    QVERIFY(at::allclose(t.at("weight"), at::arange(6, at::kFloat).reshape({2, 3}) / 4));
    QCOMPARE(t.at("ids").scalar_type(), at::kLong);
    QCOMPARE(t.at("ids")[2].item<int64_t>(), 30);
    QCOMPARE(t.at("half").scalar_type(), at::kBFloat16);
    QCOMPARE(t.at("half")[1].item<float>(), -2.5f);
}

void TestSafetensors::malformedFilesAreRejected_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("expected");
    const QByteArray ok = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
    QTest::newRow("empty") << QByteArray() << "shorter than the 8-byte";
    QTest::newRow("short") << QByteArray("abc") << "shorter than the 8-byte";
    QTest::newRow("huge header") << QByteArray("\xff\xff\xff\xff\x00\x00\x00\x00{}", 10) << "the format allows at most";
    QTest::newRow("header past end") << QByteArray("\x40\x00\x00\x00\x00\x00\x00\x00{}", 10) << "truncated download";
    QTest::newRow("not json") << fileWithHeader("{not json}", 0) << "not valid JSON";
    QTest::newRow("no brace") << fileWithHeader("[1,2]", 0) << "does not start with '{'";
    QTest::newRow("unknown dtype") << fileWithHeader(R"({"w":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}})", 1) << "tensor 'w': dtype F8_E4M3 is not supported";
    QTest::newRow("no dtype") << fileWithHeader(R"({"w":{"shape":[1],"data_offsets":[0,4]}})", 4) << "tensor 'w': it has no dtype";
    QTest::newRow("bad shape") << fileWithHeader(R"({"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", 4) << "tensor 'w': its shape";
    QTest::newRow("fractional shape") << fileWithHeader(R"({"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}})", 4) << "tensor 'w': its shape";
    QTest::newRow("size mismatch") << fileWithHeader(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8) << "tensor 'w': shape x dtype is 12 bytes but data_offsets span 8";
    QTest::newRow("past end") << fileWithHeader(ok, 4) << "tensor 'a': its data (bytes 0..8) lies beyond";
    QTest::newRow("reversed offsets") << fileWithHeader(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}})", 8) << "end before they begin";
    QTest::newRow("overlap") << fileWithHeader(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", 8) << "overlaps";
    QTest::newRow("gap") << fileWithHeader(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", 8) << "unused bytes before tensor 'a'";
    QTest::newRow("trailing bytes") << fileWithHeader(ok, 12) << "has 12 data bytes but its tensors use 8";
    QTest::newRow("bad metadata") << fileWithHeader(R"({"__metadata__":{"k":1}})", 0) << "__metadata__ value 'k'";
    QTest::newRow("entry not object") << fileWithHeader(R"({"w":5})", 0) << "tensor 'w': its entry is not an object";
    QTest::newRow("offsets missing") << fileWithHeader(R"({"w":{"dtype":"F32","shape":[1]}})", 4) << "data_offsets must be";
    QTest::newRow("overflowing shape") << fileWithHeader(R"({"w":{"dtype":"F32","shape":[4294967296,4294967296,4],"data_offsets":[0,4]}})", 4) << "impossibly large";
}

void TestSafetensors::malformedFilesAreRejected()
{
    QFETCH(QByteArray, bytes);
    QFETCH(QString, expected);
    const QString path = m_dir.filePath(QString("bad-%1.safetensors").arg(QTest::currentDataTag()).replace(' ', '_'));
    test::writeFile(path, bytes);
    try {
        loadSafetensors(path);
        QFAIL("accepted a malformed file");
    } catch (const Error& e) {
        QVERIFY2(e.message().contains(expected), qPrintable(e.message()));
        QVERIFY2(e.message().contains("is not a valid safetensors file"), qPrintable(e.message()));
    }
}

void TestSafetensors::failedSaveKeepsPreviousFile()
{
    const QString path = m_dir.filePath("keep.safetensors");
    saveSafetensors(path, {{"a", at::ones({2})}});
    const QByteArray before = test::fileHash(path);
    // A complex tensor has no safetensors dtype: the save fails before anything is replaced.
    QVERIFY_THROWS_EXCEPTION(Error, saveSafetensors(path, {{"c", at::randn({2}, at::kComplexFloat)}}));
    QCOMPARE(test::fileHash(path), before);
    QVERIFY_THROWS_EXCEPTION(Error, saveSafetensors(m_dir.filePath("no/such/folder/x.safetensors"), {}));
}

void TestSafetensors::stateDictRoundTrip()
{
    torch::nn::Linear a(4, 3), b(4, 3);
    const QString path = m_dir.filePath("linear.safetensors");
    saveSafetensors(path, stateDict(*a, "layer."));
    const TensorMap weights = loadSafetensors(path);
    QVERIFY(weights.count("layer.weight") && weights.count("layer.bias"));
    const LoadReport report = loadStateDict(*b, weights, "layer.");
    QVERIFY(report.missing.empty() && report.unexpected.empty());
    QVERIFY(at::equal(a->weight, b->weight));
    QVERIFY(!b->weight.grad().defined());

    torch::nn::Linear wrong(5, 3);
    try {
        loadStateDict(*wrong, weights, "layer.");
        QFAIL("accepted a shape mismatch");
    } catch (const Error& e) {
        QVERIFY2(e.message().contains("'layer.weight' has shape [3, 4]"), qPrintable(e.message()));
    }
    TensorMap partial = weights;
    partial.erase("layer.bias");
    partial["layer.extra"] = at::zeros({1});
    const LoadReport r2 = loadStateDict(*b, partial, "layer.");
    QCOMPARE(r2.missing, std::vector<std::string>{"layer.bias"});
    QCOMPARE(r2.unexpected, std::vector<std::string>{"layer.extra"});
}

FTS_TEST_SUITE(TestSafetensors)
#include "tst_safetensors.moc"
