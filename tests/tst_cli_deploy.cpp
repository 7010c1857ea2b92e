// ftstudio-cli predict / export / serve: files in and out, --json, exit codes, and a served model
// answering over loopback.
#include "Suite.h"
#include "CliRun.h"
#include "DeployFixtures.h"
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

FTS_TEST_SUITE(TestCliDeploy)
#include "tst_cli_deploy.moc"
