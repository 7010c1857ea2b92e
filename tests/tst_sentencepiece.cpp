// sentencepiece through the isolated shim, in a process that also runs libtorch (the DESIGN.md crash).
#include "Suite.h"
#include "Error.h"
#include "tokenize/SentencePiece.h"

#include <ATen/ATen.h>

#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

using namespace fts;

namespace {
// Any English text Debian always ships will do as a corpus: base-files' copy of the GPL.

QStringList sampleLines()
{
    return {"Hello world.",
            "The licenses for most software and other practical works are designed to take away your freedom.",
            "  leading and trailing spaces  ",
            "Numbers 1234 and symbols #@!",
            "Unicode: café, naïve, Straße, 日本語, emoji 🙂",
            "a",
            "ALL CAPS SHOUTING ABOUT FREE SOFTWARE"};
}

QList<int> idsFromLine(const QByteArray& line)
{
    QList<int> ids;
    for (const QByteArray& t : line.trimmed().split(' '))
        if (!t.isEmpty())
            ids << t.toInt();
    return ids;
}
} // namespace

class TestSentencePiece : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void idsMatchSpmEncodeWhileTorchRuns();
    void roundTripMatchesSpmDecode();
    void trainsThroughShim();
    void badModelFileIsReported();

private:
    QTemporaryDir m_dir;
    QString m_model;
};

void TestSentencePiece::initTestCase()
{
    QVERIFY(QFile::exists(fts::test::kLicenseCorpus));
    const QString spmTrain = QStandardPaths::findExecutable("spm_train");
    if (spmTrain.isEmpty())
        QFAIL("spm_train is missing: install the 'sentencepiece' package (scripts/setup.sh does).");
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(spmTrain, {"--input=" + fts::test::kLicenseCorpus, "--model_prefix=" + m_dir.filePath("ref"),
                       "--vocab_size=400", "--model_type=unigram", "--character_coverage=1.0",
                       "--num_threads=1", "--minloglevel=2"});
    QVERIFY(p.waitForFinished(120000));
    QVERIFY2(p.exitCode() == 0, p.readAll().constData());
    m_model = m_dir.filePath("ref.model");
}

void TestSentencePiece::idsMatchSpmEncodeWhileTorchRuns()
{
    // libtorch (and its protobuf) is live in this process before sentencepiece is loaded.
    const at::Tensor a = at::randn({64, 64});
    const double before = (a.matmul(a)).sum().item<double>();
    QVERIFY(std::isfinite(before));

    auto model = SentencePieceModel::load(m_model);
    QCOMPARE(model->vocabSize(), 400);
    QVERIFY(SentencePieceModel::shimPath().endsWith("libftspm.so"));

    const QStringList lines = sampleLines();
    QProcess enc;
    enc.start(QStandardPaths::findExecutable("spm_encode"), {"--model=" + m_model, "--output_format=id"});
    enc.write(lines.join('\n').toUtf8() + "\n");
    enc.closeWriteChannel();
    QVERIFY(enc.waitForFinished(30000));
    const QList<QByteArray> reference = enc.readAllStandardOutput().split('\n');
    for (int i = 0; i < lines.size(); ++i)
        QCOMPARE(model->encode(lines[i]), idsFromLine(reference[i]));

    // Torch still works after sentencepiece ran: no symbol clash corrupted either side.
    QCOMPARE((a.matmul(a)).sum().item<double>(), before);
}

void TestSentencePiece::roundTripMatchesSpmDecode()
{
    auto model = SentencePieceModel::load(m_model);
    for (const QString& line : sampleLines()) {
        const QList<int> ids = model->encode(line);
        QStringList idText;
        for (int id : ids)
            idText << QString::number(id);
        QProcess dec;
        dec.start(QStandardPaths::findExecutable("spm_decode"), {"--model=" + m_model, "--input_format=id"});
        dec.write(idText.join(' ').toUtf8() + "\n");
        dec.closeWriteChannel();
        QVERIFY(dec.waitForFinished(30000));
        QCOMPARE(model->decode(ids), QString::fromUtf8(dec.readAllStandardOutput()).chopped(1));
    }
    QCOMPARE(model->decode(model->encode("Hello world.")), QString("Hello world."));
    QCOMPARE(model->idToPiece(model->unkId()), QString("<unk>"));
    QCOMPARE(model->pieceToId("<unk>"), model->unkId());
    QVERIFY_THROWS_EXCEPTION(Error, model->decode({100000}));
}

void TestSentencePiece::trainsThroughShim()
{
    const QString prefix = m_dir.filePath("shim");
    SentencePieceModel::train(QString("--input=%1 --model_prefix=%2 --vocab_size=300 --model_type=bpe "
                                      "--num_threads=1 --minloglevel=2")
                                  .arg(fts::test::kLicenseCorpus, prefix));
    auto model = SentencePieceModel::load(prefix + ".model");
    QCOMPARE(model->vocabSize(), 300);
    QCOMPARE(model->decode(model->encode("free software")), QString("free software"));
    QVERIFY_THROWS_EXCEPTION(Error, SentencePieceModel::train("--input=/nonexistent --model_prefix=x"));
}

void TestSentencePiece::badModelFileIsReported()
{
    const QString bad = m_dir.filePath("bad.model");
    QFile f(bad);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("this is not a protobuf");
    f.close();
    try {
        SentencePieceModel::load(bad);
        QFAIL("loaded a broken model");
    } catch (const Error& e) {
        QVERIFY2(e.message().contains("not a valid sentencepiece model"), qPrintable(e.message()));
    }
}

FTS_TEST_SUITE(TestSentencePiece)
#include "tst_sentencepiece.moc"
