// The Deploy page offscreen: a trained run is listed and loaded through the engine thread, typed
// text shows label, bars and table, a file is predicted with progress, export and server work.
#include "Suite.h"
#include "DeployFixtures.h"
#include "MainWindow.h"
#include "ProjectWorkspace.h"
#include "deploy/TextClassifier.h"
#include "jobs/JobRunner.h"
#include "pages/DeployPage.h"

#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableWidget>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QtTest>
#include <qcustomplot.h>

#include <cmath>

using namespace fts;

class TestGuiDeploy : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void deployPageEndToEnd();

private:
    QTemporaryDir m_dir;
    test::ToyRun m_run;
};

void TestGuiDeploy::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName("FinetuneStudioTest");
    QCoreApplication::setApplicationName("Finetune Studio Test");
    QVERIFY(m_dir.isValid());
    m_run = test::trainToyRun(m_dir.path(), QStringLiteral("full"));
}

void TestGuiDeploy::deployPageEndToEnd()
{
    MainWindow w;
    w.show();
    QVERIFY(w.openProject(m_run.projectPath));
    QTRY_VERIFY(w.workspace()->project() != nullptr);
    auto* page = qobject_cast<DeployPage*>(w.workspace()->page(ProjectWorkspace::Deploy));
    QVERIFY(page);
    QSignalSpy loaded(page, &DeployPage::modelLoaded);
    w.workspace()->showPage(ProjectWorkspace::Deploy);
    QCOMPARE(page->runCount(), 1);
    QTRY_VERIFY_WITH_TIMEOUT(page->isModelLoaded(), 60000);
    QVERIFY2(page->statusText().contains("food, travel"), qPrintable(page->statusText()));

    // Several lines: the first drives the label and the bars, all fill the table; the labels are
    // what the run itself predicts.
    const QStringList texts = {"lemon and mango", "a bus and a boat", "the cherry today"};
    auto run = TextClassifier::loadRun(*w.workspace()->project(), m_run.runId);
    const auto want = run->classify(texts);
    QSignalSpy shown(page, &DeployPage::predictionShown);
    page->predictText(texts.join('\n'));
    QVERIFY(shown.wait(30000));
    QVERIFY2(page->resultText().startsWith(want[0].label), qPrintable(page->resultText()));
    QCOMPARE(page->predictionTable()->rowCount(), 3);
    for (int i = 0; i < 3; ++i)
        QCOMPARE(page->predictionTable()->item(i, 1)->text(), want[size_t(i)].label);
    QCOMPARE(page->chart()->plottableCount(), 1);
    auto* bars = qobject_cast<QCPBars*>(page->chart()->plottable(0));
    QCOMPARE(bars->data()->size(), 2);
    QVERIFY(std::abs(bars->data()->at(0)->value - want[0].probabilities[0]) < 1e-9);

    // A file, predicted by a job with progress.
    const QString in = m_dir.filePath("gui_in.csv");
    test::writeFile(in, test::toyCsv(300, 0, 0, 11));
    QSignalSpy batch(page, &DeployPage::batchFinished);
    page->predictFile(in, m_dir.filePath("gui_out.csv"));
    QVERIFY(batch.wait(60000));
    QCOMPARE(batch.first().at(0).toBool(), true);
    QCOMPARE(page->batchProgress(), 100);
    QVERIFY2(page->statusText().contains("Wrote 300 rows"), qPrintable(page->statusText()));

    // Export, then the server answers on loopback with the token.
    QSignalSpy exported(page, &DeployPage::exportFinished);
    page->exportTo(m_dir.filePath("gui_export"), false);
    QVERIFY(exported.wait(60000));
    QVERIFY2(exported.first().at(0).toBool(), qPrintable(page->statusText()));
    QVERIFY(QFile::exists(m_dir.filePath("gui_export/model.safetensors")));

    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost, 0);
    const quint16 port = probe.serverPort();
    probe.close();
    QVERIFY2(page->startServer(port, "abc"), qPrintable(page->statusText()));
    QVERIFY(page->isServing());
    QNetworkAccessManager net;
    QNetworkRequest r(QUrl(page->serverUrl() + "/v1/classify"));
    r.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    r.setRawHeader("Authorization", "Bearer abc");
    QNetworkReply* reply = net.post(r, QByteArray("{\"text\": \"lemon and mango\"}"));
    QSignalSpy done(reply, &QNetworkReply::finished);
    QVERIFY(done.wait(30000));
    QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
    const QJsonObject body = QJsonDocument::fromJson(reply->readAll()).object();
    QCOMPARE(body.value("predictions").toArray()[0].toObject().value("label").toString(),
             want[0].label);
    page->stopServer();
    QVERIFY(!page->isServing());
}

FTS_TEST_SUITE(TestGuiDeploy)
#include "tst_gui_deploy.moc"
