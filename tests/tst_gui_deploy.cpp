// The Deploy page offscreen: a trained run is listed and loaded through the engine thread, typed
// text shows label, bars and table, a file is predicted with progress, export and server work; a
// chat run answers a conversation streamed, beside its base model, and summarizes a document.
#include "Suite.h"
#include "DecoderFixture.h"
#include "DeployFixtures.h"
#include "GuiTestUtil.h"
#include "MainWindow.h"
#include "ProjectWorkspace.h"
#include "align/SftData.h"
#include "align/SftTrainer.h"
#include "deploy/TextClassifier.h"
#include "deploy/TextGenerator.h"
#include "jobs/JobRunner.h"
#include "pages/DeployPage.h"
#include "pages/FewShotDialog.h"
#include "pages/GeneratePanel.h"
#include "pages/TrainPage.h"
#include "project/Project.h"

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
    void deployPageChatsWithADecoderRun();
    void trainPageComparesFewShotWithTraining();

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

void TestGuiDeploy::deployPageChatsWithADecoderRun()
{
    // A chat run of a few steps on the tiny GPT-2 folder: what it writes is noise, but it is the
    // run's own noise, which is what the page must show.
    const QString base = test::gpt2FixtureFolder(m_dir.filePath("gpt2"));
    QVERIFY(!base.isEmpty());
    // Whole words beside the letters, so prompts fit the fixture's 64 positions (ids stay < 100).
    QByteArray vocab = test::smallWordPieceVocab();
    for (const char* word : {"summarize", "the", "following", "text", "in", "one", "sentence", "order",
                             "ships", "friday", "user", "assistant", "hi", "ok", "thanks", "where",
                             "is", "my", "refund", "please"})
        vocab += QByteArray(word) + '\n';
    test::writeFile(base + "/vocab.txt", vocab);
    const QString data = m_dir.filePath("chat.jsonl");
    test::writeFile(data, "{\"instruction\": \"where is my order\", \"response\": \"the order ships friday.\"}\n"
                          "{\"instruction\": \"hi\", \"response\": \"hi.\"}\n"
                          "{\"instruction\": \"refund please\", \"response\": \"ok.\", \"split\": \"val\"}\n");
    const QString projectPath = m_dir.filePath("chat.ftproj");
    qint64 runId = 0;
    {
        auto project = Project::create(projectPath);
        AlignOptions o;
        o.modelDir = base;
        o.dataFile = data;
        o.task = QStringLiteral("chat");
        o.hp.method = QStringLiteral("full");
        o.hp.lr = 1e-2;
        o.hp.batchSize = 2;
        o.hp.maxSteps = 3;
        o.hp.warmupRatio = 0;
        o.hp.maxLength = 48;
        const AlignResult r = SftTrainer(*project, o).run();
        QCOMPARE(r.status, QStringLiteral("finished"));
        runId = r.runId;
    }
    auto project = Project::open(projectPath, Project::Access::ReadOnly);
    auto tuned = TextGenerator::loadRun(*project, runId);
    auto original = TextGenerator::loadFolder(base);

    MainWindow w;
    w.resize(1300, 800);
    w.show();
    QVERIFY(w.openProject(projectPath));
    QTRY_VERIFY(w.workspace()->project() != nullptr);
    auto* page = qobject_cast<DeployPage*>(w.workspace()->page(ProjectWorkspace::Deploy));
    w.workspace()->showPage(ProjectWorkspace::Deploy);
    QTRY_VERIFY_WITH_TIMEOUT(page->isGeneratorLoaded(), 60000);
    QVERIFY(page->taskChoices().isEmpty());
    GeneratePanel* panel = page->generatePanel();
    QVERIFY(panel->isVisible());

    GenerateRequest settings;
    settings.maxNewTokens = 5;
    settings.temperature = 0.8;
    settings.topK = 20;
    settings.topP = 0.9;
    settings.repetitionPenalty = 1.2;
    settings.seed = 7;
    panel->setSampling(settings);
    QCOMPARE(panel->sampling().seed, quint64(7));
    QVERIFY(!panel->send(QStringLiteral("   ")));
    QVERIFY2(panel->statusText().contains("Write a message"), qPrintable(panel->statusText()));

    // Two turns: the second is answered with the first exchange in the conversation, as the
    // generator answers the same messages with the same settings.
    QSignalSpy answered(panel, &GeneratePanel::answered);
    QVERIFY(panel->send(QStringLiteral("hi")));
    QVERIFY(!panel->send(QStringLiteral("again"))); // still writing
    QVERIFY(answered.wait(60000));
    GenerateRequest first = settings;
    first.messages = {{"user", "hi"}};
    const QString a1 = tuned->generate(first).text;
    QCOMPARE(panel->lastAnswer(0), a1);
    QVERIFY(!a1.isEmpty());
    QVERIFY(panel->streamedPieces(0) >= 1);
    QVERIFY2(panel->statusText().contains("tokens/s"), qPrintable(panel->statusText()));
    QVERIFY(panel->send(QStringLiteral("ok")));
    QVERIFY(answered.wait(60000));
    QList<ChatMessage> history = {{"user", "hi"}, {"assistant", a1}, {"user", "ok"}};
    GenerateRequest second = settings;
    second.messages = history;
    const QString a2 = tuned->generate(second).text;
    QCOMPARE(panel->lastAnswer(0), a2);
    QVERIFY(panel->transcript(0).contains("hi"));
    QVERIFY(panel->transcript(0).contains("ok"));
    // The conversation outgrows the 64 positions: the oldest exchanges are left out, as the
    // status says, and the answer is the model's to what remains.
    history << ChatMessage{"assistant", a2};
    const QRegularExpression droppedNote(QStringLiteral("the (\\d+) oldest messages were left out"));
    int dropped = 0;
    for (int turn = 0; turn < 8 && dropped == 0; ++turn) {
        history << ChatMessage{"user", "where is my order"};
        QVERIFY(panel->send(QStringLiteral("where is my order")));
        QVERIFY(answered.wait(60000));
        const QRegularExpressionMatch match = droppedNote.match(panel->statusText());
        dropped = match.hasMatch() ? match.captured(1).toInt() : 0;
        GenerateRequest next = settings;
        next.messages = history.mid(dropped);
        QCOMPARE(panel->lastAnswer(0), tuned->generate(next).text);
        history << ChatMessage{"assistant", panel->lastAnswer(0)};
    }
    QVERIFY2(dropped >= 2 && dropped % 2 == 0, qPrintable(panel->statusText()));

    // Beside the base model: the same question, each answered by its own model.
    QSignalSpy ready(panel, &GeneratePanel::comparisonReady);
    QVERIFY(panel->chooseComparison(1));
    QVERIFY(ready.wait(60000));
    QVERIFY(panel->transcript(0).isEmpty()); // a new conversation for both
    QVERIFY(panel->send(QStringLiteral("refund please")));
    QVERIFY(answered.wait(60000));
    GenerateRequest fourth = settings;
    fourth.messages = {{"user", "refund please"}};
    QCOMPARE(panel->lastAnswer(0), tuned->generate(fourth).text);
    QCOMPARE(panel->lastAnswer(1), original->generate(fourth).text);
    QVERIFY(panel->lastAnswer(0) != panel->lastAnswer(1)); // three steps at lr 1e-2 changed it
    test::saveScreenshot(w, QStringLiteral("deploy-chat-side-by-side"));

    // A document to summarize is sent as the summarization template's user turn.
    panel->setMode(GeneratePanel::Mode::Summarize);
    const QString document = QStringLiteral("the order ships friday.");
    QVERIFY(panel->send(document));
    QVERIFY(answered.wait(60000));
    GenerateRequest summary = settings;
    summary.messages = {{"user", summarizationPrompt(document)}};
    QCOMPARE(panel->lastAnswer(0), tuned->generate(summary).text);
    QVERIFY(panel->transcript(0).contains(document));
    QVERIFY(!panel->transcript(0).contains("Summarize the following")); // the user wrote the document

    // A file of messages, each answered as the panel would answer it alone.
    const QString questions = m_dir.filePath("questions.csv");
    test::writeFile(questions, "id,text\n1,hi\n2,refund please\n3,\"where is my order\"\n");
    QSignalSpy batch(page, &DeployPage::batchFinished);
    page->setBatchChat(true);
    page->predictFile(questions, m_dir.filePath("answers.jsonl"));
    QVERIFY(batch.wait(120000));
    QVERIFY2(batch.first().at(0).toBool(), qPrintable(page->statusText()));
    QCOMPARE(page->batchProgress(), 100);
    const QStringList lines = test::readLines(m_dir.filePath("answers.jsonl"));
    int row = 0;
    for (const char* q : {"hi", "refund please", "where is my order"}) {
        const QJsonObject o = QJsonDocument::fromJson(lines.value(row++).toUtf8()).object();
        QCOMPARE(o.value("text").toString(), QString::fromUtf8(q));
        GenerateRequest one = settings;
        one.messages = {{"user", q}};
        QCOMPARE(o.value("generated_text").toString(), tuned->generate(one).text);
    }

    // Stopping keeps what was written; a new message can follow.
    settings.maxNewTokens = 40;
    settings.stop.clear();
    panel->setSampling(settings);
    panel->setMode(GeneratePanel::Mode::Chat);
    QVERIFY(panel->send(QStringLiteral("thanks")));
    QTRY_VERIFY_WITH_TIMEOUT(panel->streamedPieces(0) > 0 || !panel->isGenerating(), 60000);
    panel->stop();
    if (panel->isGenerating())
        QVERIFY(answered.wait(60000));
    QVERIFY(!panel->isGenerating());
    // Whether Stop came in time or not, what is kept is the start of the answer the same seed
    // writes in full.
    GenerateRequest full = settings;
    full.messages = {{"user", "thanks"}};
    const QString whole = tuned->generate(full).text;
    QVERIFY2(!panel->lastAnswer(0).isEmpty() && whole.startsWith(panel->lastAnswer(0)),
             qPrintable(panel->lastAnswer(0) + " | " + whole));
    QVERIFY(panel->send(QStringLiteral("hello")));
    QVERIFY(answered.wait(60000));
}

void TestGuiDeploy::trainPageComparesFewShotWithTraining()
{
    // The tiny GPT-2 folder stands in for the bundled decoders, so the dialog offers it.
    const QString models = m_dir.filePath("fewshot-models");
    QVERIFY(!test::gpt2FixtureFolder(models + "/gpt2").isEmpty());
    // Whole words of the prompt and the toy texts (ids 77-97, below the end token), so k=2 fits
    // the fixture's 64 positions.
    QByteArray vocab = test::smallWordPieceVocab();
    for (const char* word : {"classify", "each", "text", "as", "one", "of", "these", "labels", "label",
                             "food", "travel", "apple", "banana", "cherry", "grape", "lemon", "mango",
                             "car", "bus", "train", "boat"})
        vocab += QByteArray(word) + '\n';
    test::writeFile(models + "/gpt2/vocab.txt", vocab);
    qputenv("FTS_MODELS_DIR", models.toUtf8());
    MainWindow w;
    w.resize(1300, 800);
    w.show();
    QVERIFY(w.openProject(m_run.projectPath));
    QTRY_VERIFY(w.workspace()->project() != nullptr);
    auto* train = qobject_cast<TrainPage*>(w.workspace()->page(ProjectWorkspace::Train));
    w.workspace()->showPage(ProjectWorkspace::Train);
    const int runsBefore = train->runTable()->rowCount();
    FewShotDialog* dialog = train->openFewShot();
    QVERIFY2(dialog, qPrintable(train->liveText()));

    FewShotOptions o;
    o.k = 2;
    o.selection = ShotSelection::Balanced;
    o.seed = 3;
    dialog->chooseModel(0);
    dialog->setOptions(o, QStringLiteral("val"), 6);
    QCOMPARE(dialog->request().modelDir, models + "/gpt2");
    QCOMPARE(dialog->request().options.k, 2);
    QSignalSpy finished(dialog, &FewShotDialog::finished);
    QVERIFY(dialog->start());
    QCOMPARE(train->openFewShot(), dialog); // while it runs, the same dialog shows again
    QVERIFY(finished.wait(120000));
    QVERIFY2(finished.first().at(0).toBool(), qPrintable(dialog->statusText()));
    const FewShotEvaluation& result = dialog->result();
    QCOMPARE(result.evaluation.rows.size(), 6);
    QCOMPARE(dialog->answersTable()->rowCount(), 6);
    QVERIFY(result.runId > 0);
    QVERIFY2(dialog->statusText().contains(QStringLiteral("run %1").arg(result.runId)), qPrintable(dialog->statusText()));
    QVERIFY(dialog->promptText().contains("Label:"));
    QVERIFY(dialog->promptText().contains("food") && dialog->promptText().contains("travel"));
    // Each row shows the raw answer and how it was read.
    for (int i = 0; i < 6; ++i) {
        const RowPrediction& row = result.evaluation.rows[i];
        QCOMPARE(dialog->answersTable()->item(i, 0)->text(), row.text);
        QCOMPARE(dialog->answersTable()->item(i, 3)->text(),
                 row.predicted >= 0 ? result.evaluation.report.labels[row.predicted] : QStringLiteral("— (not a label)"));
    }
    test::saveScreenshot(*dialog, QStringLiteral("few-shot-dialog"));

    // The score is a run in the table, compared with the trained run beside it.
    QCOMPARE(train->runTable()->rowCount(), runsBefore + 1);
    train->runTable()->selectAll();
    const QString comparison = train->comparisonText();
    QVERIFY2(comparison.contains("prompting gpt2 with k=2 balanced"), qPrintable(comparison));
    QVERIFY2(comparison.contains(QStringLiteral("accuracy %1").arg(result.evaluation.report.accuracy, 0, 'f', 3)),
             qPrintable(comparison));
    QVERIFY2(comparison.contains(QStringLiteral("Run %1").arg(m_run.runId)), qPrintable(comparison));
    // A comparison report takes the few-shot run's kept evaluation beside the trained run's.
    QSignalSpy written(train, &TrainPage::reportWritten);
    const QString report = m_dir.filePath("fewshot-vs-training.html");
    QVERIFY(train->saveReport(QList<qint64>{m_run.runId, result.runId}, report));
    QVERIFY(written.count() == 1 || written.wait(120000));
    QFile html(report);
    QVERIFY(html.open(QIODevice::ReadOnly));
    const QString text = QString::fromUtf8(html.readAll());
    QVERIFY2(text.contains("<td>few_shot</td>"), qPrintable(train->liveText()));
    // Its row in the metrics table: split, rows, accuracy as the report writes numbers.
    QVERIFY(text.contains(QStringLiteral("<td>val</td><td>6</td><td>%1</td>").arg(QString::number(result.evaluation.report.accuracy, 'g', 4))));
    // It has no weights: nothing on the Deploy page, and nothing to clone.
    train->runTable()->clearSelection();
    train->runTable()->selectRow(0); // newest first: the few-shot run
    QVERIFY(!train->cloneSelected());
    QVERIFY2(train->checkText().contains("few-shot evaluation, not training"), qPrintable(train->checkText()));
    auto* deploy = qobject_cast<DeployPage*>(w.workspace()->page(ProjectWorkspace::Deploy));
    deploy->reloadRuns();
    QCOMPARE(deploy->runCount(), 1);
    qunsetenv("FTS_MODELS_DIR");
}

FTS_TEST_SUITE(TestGuiDeploy)
#include "tst_gui_deploy.moc"
