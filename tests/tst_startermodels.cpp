// The starter models shipped in resources/models/: they load through the studio's own loaders,
// their tokenizers round-trip text, and their model cards state the true parameter count.
#include "Suite.h"
#include "Error.h"
#include "models/Decoder.h"
#include "models/Safetensors.h"
#include "models/SequenceClassifier.h"
#include "tokenize/Tokenizer.h"
#include "train/Hyperparameters.h"
#include "train/TextTokenizer.h"

#include <ATen/ATen.h>

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QtTest>

using namespace fts;

namespace {

const QString kModels = QStringLiteral(FTS_SOURCE_DIR "/resources/models");

// "Parameters: 5,413,440" in the model card.
qint64 statedParameters(const QString& dir)
{
    QFile f(QDir(dir).filePath(QStringLiteral("README.md")));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    const auto m = QRegularExpression(QStringLiteral("Parameters:\\*?\\*?\\s*([0-9,]+)"))
                       .match(QString::fromUtf8(f.readAll()));
    return m.hasMatch() ? m.captured(1).remove(QLatin1Char(',')).toLongLong() : -1;
}

qint64 storedParameters(const QString& dir)
{
    qint64 total = 0;
    for (const auto& [name, t] : loadSafetensors(QDir(dir).filePath("model.safetensors")))
        total += t.numel();
    return total;
}

const QStringList kSentences = {
    QStringLiteral("The delivery was late, but the soup was excellent."),
    QStringLiteral("I wouldn't recommend this app to anyone: it crashes twice a day."),
    QStringLiteral("A quiet hotel near the station; rooms cost 120 euros."),
};

} // namespace

class TestStarterModels : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void encoder();
    void decoder();
};

void TestStarterModels::encoder()
{
    const QString dir = kModels + QStringLiteral("/starter-encoder");
    if (!QFile::exists(dir + QStringLiteral("/model.safetensors")))
        QSKIP("starter-encoder is not shipped yet");
    QCOMPARE(storedParameters(dir), statedParameters(dir));
    const auto tok = loadTokenizer(dir);
    for (const QString& s : kSentences)
        QCOMPARE(tok->decode(tok->encode(s).ids, /*skipSpecialTokens=*/true), s);
    QVERIFY(tok->maskId() >= 0);
    // The tokenizer keeps every character (coverage 1), so punctuation survives.
    QCOMPARE(tok->decode(tok->encode(QStringLiteral("Great!")).ids, true),
             QStringLiteral("Great!"));
    SequenceClassifier clf =
        loadSequenceClassifier(dir, QStringList{"negative", "neutral", "positive"});
    const auto framed = loadModelTokenizer(dir);
    const std::vector<int64_t> ids = framed->encodeForClassifier(kSentences[0], 64);
    QCOMPARE(ids.front(), tok->clsId());
    QCOMPARE(ids.back(), tok->sepId());
    clf->eval();
    torch::NoGradGuard noGrad;
    const at::Tensor logits = clf->forward(at::tensor(ids, at::kLong).unsqueeze(0));
    QCOMPARE(logits.size(1), 3);
    QVERIFY(at::isfinite(logits).all().item<bool>());
    // Nothing trained the pooler ([CLS]), so the classifier reads the mean of the tokens.
    QCOMPARE(clf->config().classifierPooling, QStringLiteral("mean"));
    // The settings its benchmark used, which the sample project adopts, are valid.
    QFile recommended(dir + QStringLiteral("/recommended_hyperparameters.json"));
    QVERIFY(recommended.open(QIODevice::ReadOnly));
    const Hyperparameters hp =
        Hyperparameters::fromJson(QJsonDocument::fromJson(recommended.readAll()).object());
    QCOMPARE(hp.method, QStringLiteral("full"));
    QCOMPARE(hp.lr, 5e-4);
}

void TestStarterModels::decoder()
{
    const QString dir = kModels + QStringLiteral("/starter-decoder");
    if (!QFile::exists(dir + QStringLiteral("/model.safetensors")))
        QSKIP("starter-decoder is not shipped yet");
    QCOMPARE(storedParameters(dir), statedParameters(dir));
    const auto tok = loadTokenizer(dir);
    for (const QString& s : kSentences)
        QCOMPARE(tok->decode(tok->encode(s).ids, true), s);
    // Byte fallback: characters the dictionaries never use are written back, not lost to <unk>.
    for (const QString& s : {QStringLiteral("\n\n— Brightline Support"), QStringLiteral("It costs 12 € — naïve café.")})
        QCOMPARE(tok->decode(tok->encode(s).ids, true), s);
    const auto model = loadDecoder(dir);
    model->eval();
    torch::NoGradGuard noGrad;
    const at::Tensor logits =
        model->forward(at::tensor(tok->encode(kSentences[1]).ids, at::kLong).unsqueeze(0));
    QVERIFY(at::isfinite(logits).all().item<bool>());
}

FTS_TEST_SUITE(TestStarterModels)
#include "tst_startermodels.moc"
