// Prediction for deployment: classifier and generator against python3-torch references, a run's
// predictor against its own evaluation, and streaming batch prediction of CSV / JSONL files.
#include "Suite.h"
#include "Error.h"
#include "deploy/BatchPredict.h"
#include "deploy/TextClassifier.h"
#include "deploy/TextGenerator.h"
#include "models/Safetensors.h"

#include "DeployFixtures.h"

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

using namespace fts;

namespace {

QJsonObject reference()
{
    QFile f(test::kDeployFixtures + "/reference.json");
    if (!f.open(QIODevice::ReadOnly))
        qFatal("missing reference.json");
    return QJsonDocument::fromJson(f.readAll()).object();
}

std::vector<int64_t> intList(const QJsonValue& v)
{
    std::vector<int64_t> out;
    for (const QJsonValue& x : v.toArray())
        out.push_back(x.toInteger());
    return out;
}

qint64 peakRssKb()
{
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray& line : f.readAll().split('\n'))
        if (line.startsWith("VmHWM:"))
            return line.mid(6).trimmed().split(' ').value(0).toLongLong();
    return -1;
}

QList<QByteArray> lines(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    QList<QByteArray> out = f.readAll().split('\n');
    if (!out.isEmpty() && out.last().isEmpty())
        out.removeLast();
    return out;
}

} // namespace

class TestDeploy : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void classifierMatchesPython();
    void generatorMatchesPython();
    void generatorStopsAndStreams();
    void runPredictorAgreesWithEvaluation();
    void batchPredictCsv();
    void batchPredictJsonlKeepsFields();
    void batchGenerate();
    void batchErrorsNameTheLine();
    void cancelLeavesOutputAlone();
    void largeFileInBoundedMemory();
    void refusesUntrainedHead();

private:
    QTemporaryDir m_dir;
    QJsonObject m_ref;
    std::shared_ptr<TextClassifier> m_fixture;
    test::ToyRun m_run;
};

void TestDeploy::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_ref = reference();
    m_fixture = TextClassifier::loadFolder(
        test::fixtureWithVocab(test::kBertFixture, m_dir.filePath(QStringLiteral("bert"))));
    m_run = test::trainToyRun(m_dir.path(), QStringLiteral("full"));
    QCOMPARE(m_run.result.status, QStringLiteral("finished"));
}

void TestDeploy::classifierMatchesPython()
{
    QCOMPARE(m_fixture->labels(), QStringList({"negative", "neutral", "positive"}));
    QStringList texts;
    const QJsonArray cases = m_ref.value(QLatin1String("classify")).toArray();
    for (const QJsonValue& c : cases)
        texts << c.toObject().value(QLatin1String("text")).toString();
    m_fixture->setBatchSize(4); // two batches, the first padded
    const std::vector<ClassPrediction> got = m_fixture->classify(texts);
    QCOMPARE(got.size(), size_t(cases.size()));
    double maxDiff = 0;
    for (qsizetype i = 0; i < cases.size(); ++i) {
        const QJsonArray want = cases[i].toObject().value(QLatin1String("probabilities")).toArray();
        int best = 0;
        for (qsizetype k = 0; k < want.size(); ++k) {
            maxDiff = std::max(
                maxDiff, std::abs(got[size_t(i)].probabilities[size_t(k)] - want[k].toDouble()));
            if (want[k].toDouble() > want[best].toDouble())
                best = int(k);
        }
        QCOMPARE(got[size_t(i)].index, best);
        QCOMPARE(got[size_t(i)].label, m_fixture->labels()[best]);
    }
    qInfo("classifier: max |p - p_python| = %.3g", maxDiff);
    QVERIFY(maxDiff < 1e-5);
}

void TestDeploy::generatorMatchesPython()
{
    const auto gen = TextGenerator::loadFolder(
        test::fixtureWithVocab(test::kGpt2Fixture, m_dir.filePath(QStringLiteral("gpt2"))));
    const int maxNew = m_ref.value(QLatin1String("max_new_tokens")).toInt();
    for (const QJsonValue& v : m_ref.value(QLatin1String("generate")).toArray()) {
        const QJsonObject c = v.toObject();
        GenerateRequest r;
        r.maxNewTokens = maxNew;
        if (c.contains(QLatin1String("chat")))
            r.messages = {{QStringLiteral("user"), c.value(QLatin1String("chat")).toString()}};
        else
            r.prompt = c.value(QLatin1String("prompt")).toString();
        QCOMPARE(gen->promptIds(r), intList(c.value(QLatin1String("prompt_ids"))));
        const GenerateReply reply = gen->generate(r);
        QCOMPARE(reply.tokens, intList(c.value(QLatin1String("tokens"))));
        QCOMPARE(reply.promptTokens, int(c.value(QLatin1String("prompt_ids")).toArray().size()));
        QVERIFY(!reply.text.isEmpty());
    }
}

void TestDeploy::generatorStopsAndStreams()
{
    const auto gen = TextGenerator::loadFolder(m_dir.filePath(QStringLiteral("gpt2")));
    GenerateRequest r;
    r.prompt = QStringLiteral("the car is");
    r.maxNewTokens = 12;
    const GenerateReply full = gen->generate(r);
    QCOMPARE(full.finishReason, QStringLiteral("length"));
    QString streamed;
    gen->generate(r, [&](const QString& piece) {
        streamed += piece;
        return true;
    });
    QCOMPARE(streamed, full.text);
    // A stop string cuts the text before it and ends generation early.
    const QStringList words = full.text.split(QLatin1Char(' '), Qt::SkipEmptyParts);
    QVERIFY(words.size() >= 3);
    r.stop = {words[2]};
    const GenerateReply stopped = gen->generate(r);
    QCOMPARE(stopped.finishReason, QStringLiteral("stop"));
    QVERIFY(full.text.startsWith(stopped.text));
    QVERIFY(!stopped.text.contains(words[2]) || words[0] == words[2] || words[1] == words[2]);
    QVERIFY(stopped.tokens.size() < full.tokens.size());
    // Sampling is reproducible with a seed.
    r.stop.clear();
    r.temperature = 0.8;
    r.seed = 3;
    QCOMPARE(gen->generate(r).tokens, gen->generate(r).tokens);
    QVERIFY(!test::errorOf([&] { gen->generate(GenerateRequest{}); }).isEmpty());
}

void TestDeploy::runPredictorAgreesWithEvaluation()
{
    auto project = Project::open(m_run.projectPath, Project::Access::ReadOnly);
    const auto classifier = TextClassifier::loadRun(*project, m_run.runId);
    QCOMPARE(classifier->labels(), QStringList({"food", "travel"}));
    const ClassificationReport report = evaluateRun(*project, m_run.runId, QStringLiteral("test"));
    // The test rows of the toy CSV: the last 12 lines.
    const QList<QByteArray> rows = test::toyCsv(96, 24, 12).split('\n').mid(1 + 96 + 24, 12);
    QStringList texts;
    std::vector<int> truth;
    for (const QByteArray& row : rows) {
        const QList<QByteArray> cells = row.split(',');
        texts << QString::fromUtf8(cells[0]);
        truth.push_back(cells[1] == "food" ? 0 : 1);
    }
    const std::vector<ClassPrediction> got = classifier->classify(texts);
    double loss = 0;
    int correct = 0;
    for (size_t i = 0; i < got.size(); ++i) {
        loss -= std::log(got[i].probabilities[size_t(truth[i])]) / double(got.size());
        correct += got[i].index == truth[i];
        QVERIFY(std::abs(got[i].probabilities[0] + got[i].probabilities[1] - 1.0) < 1e-6);
    }
    QCOMPARE(report.total, qint64(12));
    QCOMPARE(double(correct) / 12.0, report.accuracy);
    QVERIFY(std::abs(loss - report.loss) < 1e-6);
    QVERIFY(report.accuracy >= 0.75); // the toy task is learnable
}

void TestDeploy::batchPredictCsv()
{
    const QString in = m_dir.filePath(QStringLiteral("in.csv"));
    test::writeFile(in, "id,text,note\n1,the apple is very good,\"quoted, with comma\"\n"
                        "2,\"My car was slow today!\",x\n3,banana and grape,\"multi\nline\"\n");
    BatchPredictOptions o;
    o.input = in;
    o.output = m_dir.filePath(QStringLiteral("out.csv"));
    o.batchSize = 2;
    qint64 lastRows = 0;
    const BatchPredictStats stats = predictFile(*m_fixture, o, [&](qint64 rows, qint64, qint64) {
        lastRows = rows;
        return true;
    });
    QCOMPARE(stats.rows, qint64(3));
    QCOMPARE(stats.maxRowsHeld, qint64(2));
    QCOMPARE(lastRows, qint64(3));
    QFile f(o.output);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray text = f.readAll();
    QVERIFY(text.startsWith("id,text,note,predicted_label,prob_negative,prob_neutral,"
                            "prob_positive\n"));
    QVERIFY(text.contains("1,the apple is very good,\"quoted, with comma\","));
    QVERIFY(text.contains("\"multi\nline\""));
    const auto want = m_fixture->classify({QStringLiteral("the apple is very good")}).front();
    QVERIFY(text.contains(QStringLiteral("comma\",%1,%2,")
                              .arg(want.label)
                              .arg(std::round(want.probabilities[0] * 1e6) / 1e6)
                              .toUtf8()));
}

void TestDeploy::batchPredictJsonlKeepsFields()
{
    const QString in = m_dir.filePath(QStringLiteral("in.jsonl"));
    test::writeFile(in, "{\"id\": 7, \"text\": \"zebra apple\", \"tags\": [\"a\"]}\n\n"
                        "{\"id\": 8, \"text\": \"I hate the sea road\", \"ok\": true}\n");
    BatchPredictOptions o;
    o.input = in;
    o.output = m_dir.filePath(QStringLiteral("out.jsonl"));
    QCOMPARE(predictFile(*m_fixture, o).rows, qint64(2));
    const QList<QByteArray> out = lines(o.output);
    QCOMPARE(out.size(), 2);
    const QJsonObject first = QJsonDocument::fromJson(out[0]).object();
    QCOMPARE(first.value(QLatin1String("id")).toInt(), 7);
    QCOMPARE(first.value(QLatin1String("tags")).toArray(), QJsonArray({"a"}));
    const auto want = m_fixture->classify({QStringLiteral("zebra apple")}).front();
    QCOMPARE(first.value(QLatin1String("predicted_label")).toString(), want.label);
    QVERIFY(std::abs(first.value(QLatin1String("prob_neutral")).toDouble() -
                     want.probabilities[1]) < 1e-6);
    QCOMPARE(QJsonDocument::fromJson(out[1]).object().value(QLatin1String("ok")).toBool(), true);
}

void TestDeploy::batchGenerate()
{
    const auto gen = TextGenerator::loadFolder(m_dir.filePath(QStringLiteral("gpt2")));
    const QString in = m_dir.filePath(QStringLiteral("prompts.csv"));
    test::writeFile(in, "prompt\nthe car is\n");
    BatchPredictOptions o;
    o.input = in;
    o.output = m_dir.filePath(QStringLiteral("gen.jsonl"));
    o.textColumn = QStringLiteral("prompt");
    GenerateRequest r;
    r.maxNewTokens = 12;
    QCOMPARE(generateFile(*gen, r, o).rows, qint64(1));
    r.prompt = QStringLiteral("the car is");
    const QJsonObject row = QJsonDocument::fromJson(lines(o.output).value(0)).object();
    QCOMPARE(row.value(QLatin1String("generated_text")).toString(), gen->generate(r).text);
}

void TestDeploy::batchErrorsNameTheLine()
{
    const QString in = m_dir.filePath(QStringLiteral("bad.jsonl"));
    test::writeFile(in, "{\"text\": \"a\"}\n{\"text\": \"b\"\n");
    BatchPredictOptions o;
    o.input = in;
    o.output = m_dir.filePath(QStringLiteral("bad_out.jsonl"));
    const QString message = test::errorOf([&] { predictFile(*m_fixture, o); });
    QVERIFY2(message.contains(QStringLiteral("line 2")), qPrintable(message));
    QVERIFY(!QFile::exists(o.output));
    test::writeFile(in, "{\"body\": \"a\"}\n");
    QVERIFY(
        test::errorOf([&] { predictFile(*m_fixture, o); }).contains(QStringLiteral("\"text\"")));
    const QString csv = m_dir.filePath(QStringLiteral("cols.csv"));
    test::writeFile(csv, "a,b\n1,2\n");
    o.input = csv;
    o.textColumn = QStringLiteral("review");
    QVERIFY(test::errorOf([&] { predictFile(*m_fixture, o); }).contains(QStringLiteral("a, b")));
}

void TestDeploy::cancelLeavesOutputAlone()
{
    const QString in = m_dir.filePath(QStringLiteral("cancel.csv"));
    test::writeFile(in, test::toyCsv(40, 0, 0));
    BatchPredictOptions o;
    o.input = in;
    o.output = m_dir.filePath(QStringLiteral("cancel_out.csv"));
    o.batchSize = 8;
    test::writeFile(o.output, "previous\n");
    QVERIFY_THROWS_EXCEPTION(Cancelled, predictFile(*m_fixture, o, [](qint64 rows, qint64, qint64) {
                                 return rows < 16;
                             }));
    QCOMPARE(lines(o.output), QList<QByteArray>({"previous"}));
}

void TestDeploy::largeFileInBoundedMemory()
{
    // A 2,000-row warm-up sets the peak memory of one batch (activations, buffers); the 100k-row
    // file (~7 MB, ~12 MB as UTF-16 strings and far more as parsed rows) must not raise it: only
    // one batch is ever held.
    const auto makeFile = [&](const QString& name, int rows) {
        const QString path = m_dir.filePath(name);
        QFile f(path);
        if (!f.open(QIODevice::WriteOnly))
            qFatal("cannot write %s", qPrintable(path));
        const QByteArray text = QByteArray("the apple and the banana are very sweet today ");
        for (int i = 0; i < rows; ++i)
            f.write("{\"id\":" + QByteArray::number(i) + ",\"text\":\"" + text +
                    QByteArray::number(i % 97) + "\"}\n");
        return path;
    };
    BatchPredictOptions o;
    o.batchSize = 256;
    m_fixture->setBatchSize(256);
    o.input = makeFile(QStringLiteral("warmup.jsonl"), 2000);
    o.output = m_dir.filePath(QStringLiteral("warmup_out.csv"));
    predictFile(*m_fixture, o);
    o.input = makeFile(QStringLiteral("large.jsonl"), 100000);
    o.output = m_dir.filePath(QStringLiteral("large_out.csv"));
    const qint64 before = peakRssKb();
    qint64 reports = 0;
    const BatchPredictStats stats =
        predictFile(*m_fixture, o, [&](qint64, qint64 done, qint64 total) {
            ++reports;
            return done <= total;
        });
    const qint64 grew = peakRssKb() - before;
    qInfo("100k rows in %.1f s, peak RSS grew by %lld kB, at most %lld rows held", stats.seconds,
          grew, stats.maxRowsHeld);
    QCOMPARE(stats.rows, qint64(100000));
    QCOMPARE(stats.maxRowsHeld, qint64(256));
    QCOMPARE(reports, qint64((100000 + 255) / 256));
    QCOMPARE(lines(o.output).size(), 100001);
    QVERIFY(grew < 16 * 1024);
    QFile::remove(o.input);
    QFile::remove(o.output);
}

void TestDeploy::refusesUntrainedHead()
{
    // A base checkpoint without a classifier would predict at random: refuse it and say why.
    const QString dir = m_dir.filePath(QStringLiteral("headless"));
    QDir().mkpath(dir);
    TensorMap weights = loadSafetensors(test::kBertFixture + "/model.safetensors");
    std::erase_if(weights, [](const auto& w) { return w.first.rfind("classifier.", 0) == 0; });
    saveSafetensors(dir + "/model.safetensors", weights);
    QFile::copy(test::kBertFixture + "/config.json", dir + "/config.json");
    QFile::copy(test::kDeployFixtures + "/vocab.txt", dir + "/vocab.txt");
    const QString message = test::errorOf([&] { TextClassifier::loadFolder(dir); });
    QVERIFY2(message.contains(QStringLiteral("no trained classification head")),
             qPrintable(message));
}

FTS_TEST_SUITE(TestDeploy)
#include "tst_deploy.moc"
