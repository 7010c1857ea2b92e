// ftstudio-cli predict / export / serve / fewshot: files in and out, --json, exit codes, a served
// model answering over loopback, and a decoder prompted as a classifier kept as a run.
#include "Suite.h"
#include "CliRun.h"
#include "DeployFixtures.h"
#include "FewShotFixture.h"
#include "deploy/TextClassifier.h"

#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QtTest>

using namespace fts;

namespace {

using fts::test::CliRun;
using fts::test::cli;

quint16 freePort()
{
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost, 0);
    return probe.serverPort();
}

} // namespace

class TestCliDeploy : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void exportThenPredict();
    void predictFromRun();
    void usageErrors();
    void serveAnswers();
    void fewShot();
    void fewShotUsageErrors();

private:
    QTemporaryDir m_dir;
    test::ToyRun m_run;
};

void TestCliDeploy::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_run = test::trainToyRun(m_dir.path(), QStringLiteral("lora"));
}

void TestCliDeploy::exportThenPredict()
{
    const QString out = m_dir.filePath(QStringLiteral("exported"));
    const CliRun e = cli({"export", m_run.projectPath, "--run", QString::number(m_run.runId),
                          "--out", out, "--json"});
    QVERIFY2(e.code == 0, e.err.constData());
    QVERIFY(
        e.json().value(QLatin1String("files")).toArray().contains(QJsonValue("model.safetensors")));
    const CliRun again =
        cli({"export", m_run.projectPath, "--run", QString::number(m_run.runId), "--out", out});
    QCOMPARE(again.code, 1);
    QVERIFY(again.err.contains("not empty"));
    const CliRun adapter =
        cli({"export", m_run.projectPath, "--run", QString::number(m_run.runId), "--out",
             m_dir.filePath(QStringLiteral("adapter")), "--adapter-only"});
    QVERIFY2(adapter.code == 0, adapter.err.constData());

    const QString in = m_dir.filePath(QStringLiteral("rows.csv"));
    test::writeFile(in, "text\nthe apple is very good\nmy car was slow\n");
    const QString predicted = m_dir.filePath(QStringLiteral("pred.jsonl"));
    const CliRun p = cli({"predict", out, in, "--out", predicted, "--json"});
    QVERIFY2(p.code == 0, p.err.constData());
    QCOMPARE(p.json().value(QLatin1String("rows")).toInt(), 2);
    QFile f(predicted);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QList<QByteArray> lines = f.readAll().trimmed().split('\n');
    QCOMPARE(lines.size(), 2);
    const auto want =
        TextClassifier::loadFolder(out)->classify({QStringLiteral("the apple is very good")});
    const QJsonObject first = QJsonDocument::fromJson(lines[0]).object();
    QCOMPARE(first.value(QLatin1String("predicted_label")).toString(), want[0].label);
    QCOMPARE(first.value(QLatin1String("text")).toString(),
             QStringLiteral("the apple is very good"));

    // The adapter export, onto its recorded base, predicts the same labels.
    const QString viaAdapter = m_dir.filePath(QStringLiteral("pred_adapter.jsonl"));
    QCOMPARE(
        cli({"predict", m_dir.filePath(QStringLiteral("adapter")), in, "--out", viaAdapter}).code,
        0);
    QFile g(viaAdapter);
    QVERIFY(g.open(QIODevice::ReadOnly));
    QCOMPARE(QJsonDocument::fromJson(g.readAll().split('\n')[0])
                 .object()
                 .value(QLatin1String("predicted_label"))
                 .toString(),
             want[0].label);
}

void TestCliDeploy::predictFromRun()
{
    const QString in = m_dir.filePath(QStringLiteral("rows2.csv"));
    test::writeFile(in, "id,text\n1,lemon and mango\n");
    const QString out = m_dir.filePath(QStringLiteral("pred2.csv"));
    const CliRun p = cli(
        {"predict", m_run.projectPath, in, "--run", QString::number(m_run.runId), "--out", out});
    QVERIFY2(p.code == 0, p.err.constData());
    QVERIFY(p.out.contains("Wrote 1 rows"));
    QFile f(out);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QVERIFY(f.readAll().startsWith(
        "id,text,predicted_label,prob_food,prob_travel\n1,lemon and mango,"));
}

void TestCliDeploy::usageErrors()
{
    QCOMPARE(cli({"predict", m_dir.path()}).code, 2);
    QCOMPARE(cli({"export", m_run.projectPath, "--out", "x"}).code, 2);
    const CliRun noRun = cli({"predict", m_run.projectPath, "in.csv", "--out", "o.csv"});
    QCOMPARE(noRun.code, 1);
    QVERIFY(noRun.err.contains("--run ID"));
    QCOMPARE(cli({"serve", m_dir.path(), "--port", "70000"}).code, 2);
}

void TestCliDeploy::serveAnswers()
{
    if (!QFile::exists(m_dir.filePath(QStringLiteral("exported/config.json"))))
        exportThenPredict(); // when run on its own
    const quint16 port = freePort();
    QProcess server;
    server.setProcessEnvironment(fts::test::cliEnvironment());
    server.start(QStringLiteral(FTS_BIN_DIR "/ftstudio-cli"),
                 {"serve", m_dir.filePath(QStringLiteral("exported")), "--port",
                  QString::number(port), "--token", "t0k"});
    QByteArray log;
    QTRY_VERIFY_WITH_TIMEOUT((log += server.readAllStandardError()).contains("Serving") ||
                                 server.state() == QProcess::NotRunning,
                             120000);
    QVERIFY2(server.state() == QProcess::Running, log.constData());
    QNetworkAccessManager net;
    QNetworkRequest r(QUrl(QStringLiteral("http://127.0.0.1:%1/v1/classify").arg(port)));
    r.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    r.setRawHeader("Authorization", "Bearer t0k");
    QNetworkReply* reply = net.post(r, QByteArray("{\"text\": \"the apple is very good\"}"));
    QSignalSpy done(reply, &QNetworkReply::finished);
    QVERIFY(done.wait(60000));
    QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
    const QJsonObject body = QJsonDocument::fromJson(reply->readAll()).object();
    QCOMPARE(body.value(QLatin1String("predictions")).toArray().size(), 1);
    server.terminate();
    QVERIFY(server.waitForFinished(10000));
}

void TestCliDeploy::fewShot()
{
    const QString model = test::longContextGpt2Folder(m_dir.filePath(QStringLiteral("gpt2-fewshot")));
    QVERIFY(!model.isEmpty());
    const CliRun r = cli({"fewshot", m_run.projectPath, "--model", model, "--k", "2", "--select",
                          "similar", "--max-rows", "4", "--json"});
    QVERIFY2(r.code == 0, r.err.constData());
    const QJsonObject j = r.json();
    const qint64 runId = j.value(QLatin1String("run_id")).toInteger();
    QVERIFY(runId > m_run.runId);
    QVERIFY(j.value(QLatin1String("kept")).toBool());
    QCOMPARE(j.value(QLatin1String("split")).toString(), QStringLiteral("val"));
    QCOMPARE(j.value(QLatin1String("rows")).toInt(), 4);
    const QJsonObject options = j.value(QLatin1String("options")).toObject();
    QCOMPARE(options.value(QLatin1String("k")).toInt(), 2);
    QCOMPARE(options.value(QLatin1String("selection")).toString(), QStringLiteral("similar"));
    const QJsonArray predictions = j.value(QLatin1String("predictions")).toArray();
    QCOMPARE(predictions.size(), 4);
    int correct = 0, unparsed = 0;
    for (const QJsonValue& v : predictions) {
        const QJsonObject p = v.toObject();
        QVERIFY(p.contains(QLatin1String("answer")) && p.value(QLatin1String("row_id")).toInteger() > 0);
        unparsed += p.value(QLatin1String("predicted")).isNull();
        correct += p.value(QLatin1String("predicted")) == p.value(QLatin1String("truth"));
    }
    QCOMPARE(j.value(QLatin1String("unparsed")).toInt(), unparsed);
    QCOMPARE(j.value(QLatin1String("accuracy")).toDouble(), correct / 4.0);
    QCOMPARE(j.value(QLatin1String("report")).toObject().value(QLatin1String("macro_f1")).toDouble(),
             j.value(QLatin1String("macro_f1")).toDouble());
    QVERIFY(!j.contains(QLatin1String("prompt")));

    // Listed with the project's runs, with its kept evaluation.
    const CliRun info = cli({"info", m_run.projectPath, "--json"});
    QCOMPARE(info.code, 0);
    QJsonObject listed;
    for (const QJsonValue& v : info.json().value(QLatin1String("runs")).toArray())
        if (v.toObject().value(QLatin1String("id")).toInteger() == runId)
            listed = v.toObject();
    QCOMPARE(listed.value(QLatin1String("method")).toString(), QStringLiteral("few_shot"));
    QCOMPARE(listed.value(QLatin1String("best_step")).toInt(), 0);
    QCOMPARE(listed.value(QLatin1String("evaluations")).toArray().size(), 1);

    // No weights: export and eval refuse it and say why; a report shows its kept evaluation.
    const QString id = QString::number(runId);
    const CliRun exported = cli({"export", m_run.projectPath, "--run", id, "--out",
                                 m_dir.filePath(QStringLiteral("fewshot-export"))});
    QCOMPARE(exported.code, 1);
    QVERIFY2(exported.err.contains(
                 QStringLiteral("Run %1 is a few-shot evaluation: it has no trained weights to export").arg(id).toUtf8()),
             exported.err.constData());
    const CliRun evaluated = cli({"eval", m_run.projectPath, "--run", id});
    QCOMPARE(evaluated.code, 1);
    QVERIFY2(evaluated.err.contains("few-shot evaluation"), evaluated.err.constData());
    const QString html = m_dir.filePath(QStringLiteral("fewshot.html"));
    const CliRun report = cli({"report", m_run.projectPath, "--run", QString::number(m_run.runId),
                               "--run", id, "--out", html});
    QVERIFY2(report.code == 0, report.err.constData());
    QFile f(html);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray page = f.readAll();
    QVERIFY(page.contains("few_shot"));
    QVERIFY(page.contains(QStringLiteral("Run %1 in detail").arg(id).toUtf8()));

    // Not kept, human output with the prompt: nothing added to the project.
    const qsizetype runs = info.json().value(QLatin1String("runs")).toArray().size();
    const CliRun human = cli({"fewshot", m_run.projectPath, "--model", model, "--k", "1", "--max-rows",
                              "2", "--split", "test", "--no-keep", "--show-prompt"});
    QVERIFY2(human.code == 0, human.err.constData());
    QVERIFY2(human.out.startsWith("Few-shot (k=1, balanced): accuracy "), human.out.constData());
    QVERIFY(human.out.contains("on 2 test rows"));
    QVERIFY(human.out.contains("not kept"));
    QVERIFY(human.out.contains("  food "));
    QVERIFY(human.out.contains("Prompt of the first row:\nClassify each text as one of these labels: food, travel."));
    QVERIFY(human.out.trimmed().endsWith("Label:"));
    QCOMPARE(cli({"info", m_run.projectPath, "--json"}).json().value(QLatin1String("runs")).toArray().size(), runs);
}

void TestCliDeploy::fewShotUsageErrors()
{
    const QString model = m_dir.filePath(QStringLiteral("gpt2-fewshot"));
    const auto usage = [&](const QStringList& extra, const QByteArray& says) {
        const CliRun r = cli(QStringList{"fewshot", m_run.projectPath} + extra);
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains(says), r.err.constData());
    };
    usage({"--model", model, "--k", "40"}, "k must be between 0 and 32 (got 40)");
    usage({"--model", model, "--k", "four"}, "--k needs a whole number");
    usage({"--model", model, "--select", "nearest"}, "random, balanced or similar");
    usage({"--model", model, "--run", "1"}, "not both");
    usage({}, "--model DIR or --run ID");
    usage({"--model", model, "--split", "holdout"}, "--split is val, test or train");
    usage({"--model", model, "--max-new-tokens", "100"}, "max_new_tokens must be between 1 and 64 (got 100)");
    usage({"--model", model, "--max-rows", "0"}, "--max-rows");
    // A run that is no decoder: a failure, not bad usage.
    const CliRun notDecoder = cli({"fewshot", m_run.projectPath, "--run", QString::number(m_run.runId)});
    QCOMPARE(notDecoder.code, 1);
    QVERIFY2(notDecoder.err.contains("not a decoder run"), notDecoder.err.constData());
}

FTS_TEST_SUITE(TestCliDeploy)
#include "tst_cli_deploy.moc"
