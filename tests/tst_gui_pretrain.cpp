// The Model page's pre-training panel offscreen: impossible settings are refused before a job is
// queued; a tiny model from scratch is started, stopped (checkpoint), resumed to the same weights
// as an uninterrupted run, finished, loaded back and made the project's model; Finish now.
#include "Suite.h"
#include "GuiTestUtil.h"
#include "MainWindow.h"
#include "PretrainChart.h"
#include "ProjectWorkspace.h"
#include "data/Importer.h"
#include "jobs/JobRunner.h"
#include "models/ModelConfig.h"
#include "pages/ModelPage.h"
#include "pages/PretrainPanel.h"
#include "pretrain/PretrainJob.h"
#include "project/Project.h"
#include "tokenize/Tokenizer.h"

#include <QComboBox>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

using namespace fts;
using fts::test::saveScreenshot;

namespace {

const QString kCorpus = QStringLiteral(FTS_FIXTURES_DIR "/corpus/wordnet-sample.txt");
// Enough steps that Stop lands mid-run, few enough that the tiny model finishes in seconds.
constexpr int kSteps = 300;

template <typename T> T* child(QWidget* parent, const char* name)
{
    T* w = parent->findChild<T*>(QLatin1String(name));
    if (!w)
        qFatal("no widget %s", name);
    return w;
}

void choose(QComboBox* box, const QString& data)
{
    box->setCurrentIndex(box->findData(data));
}

// The settings of tst_pretrain's tinyOptions, typed into the panel's widgets as a user would.
void typeTinySettings(PretrainPanel* panel, const QString& family, int steps)
{
    panel->setSources({kCorpus});
    panel->setFromScratch(true);
    choose(child<QComboBox>(panel, "pretrainFamily"), family);
    choose(child<QComboBox>(panel, "pretrainSize"), QStringLiteral("tiny"));
    choose(child<QComboBox>(panel, "pretrainTokenizer"),
           family == QLatin1String("llama") ? QStringLiteral("bpe") : QStringLiteral("unigram"));
    child<QSpinBox>(panel, "pretrainVocab")->setValue(400);
    child<QSpinBox>(panel, "pretrainSteps")->setValue(steps);
    child<QSpinBox>(panel, "pretrainBatch")->setValue(8);
    child<QSpinBox>(panel, "pretrainBlock")->setValue(32);
    child<QLineEdit>(panel, "pretrainLr")->setText(QStringLiteral("1e-3"));
    child<QSpinBox>(panel, "pretrainSeed")->setValue(3);
    child<QSpinBox>(panel, "pretrainCheckpointEvery")->setValue(0);
    child<QSpinBox>(panel, "pretrainEvalEvery")->setValue(100);
}

// Starts with `begin`, stops at the first step shown; the run must end cancelled.
void startAndStop(PretrainPanel* panel, const std::function<bool()>& begin)
{
    QSignalSpy steps(panel, &PretrainPanel::stepShown);
    QSignalSpy ended(panel, &PretrainPanel::runEnded);
    QVERIFY2(begin(), qPrintable(panel->messageText()));
    QVERIFY(panel->isRunning());
    QTRY_VERIFY_WITH_TIMEOUT(steps.size() >= 1, 60000);
    QVERIFY2(panel->statusText().contains(QStringLiteral("/ %1").arg(kSteps)),
             qPrintable(panel->statusText()));
    child<QPushButton>(panel, "pretrainStop")->click();
    QTRY_VERIFY_WITH_TIMEOUT(ended.size() == 1, 60000);
    QCOMPARE(ended.first().at(0).toBool(), false);
}

QByteArray weightsFile(const QString& dir)
{
    QFile f(QDir(dir).filePath(QStringLiteral("model.safetensors")));
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

} // namespace

class TestGuiPretrain : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void refusesImpossibleSettings();
    void countsTheProjectsText();
    void scratchStopResumeUse();
    void finishNowWritesTheCheckpoint();

private:
    PretrainPanel* openPanel(MainWindow& w, const QString& name);
    QTemporaryDir m_dir;
};

void TestGuiPretrain::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName("FinetuneStudioTest");
    QCoreApplication::setApplicationName("Finetune Studio Test");
    QVERIFY(m_dir.isValid());
}

PretrainPanel* TestGuiPretrain::openPanel(MainWindow& w, const QString& name)
{
    w.resize(1280, 820);
    w.show();
    if (!w.createProject(m_dir.filePath(name + QStringLiteral(".ftproj"))))
        return nullptr;
    w.workspace()->showPage(ProjectWorkspace::Model);
    auto* tabs = child<QTabWidget>(w.workspace()->modelPage(), "modelTabs");
    tabs->setCurrentIndex(1);
    return w.workspace()->modelPage()->pretrainPanel();
}

void TestGuiPretrain::refusesImpossibleSettings()
{
    MainWindow w;
    PretrainPanel* panel = openPanel(w, QStringLiteral("refuse"));
    QVERIFY(panel);
    QSignalSpy started(w.jobs(), &JobRunner::jobStarted);
    auto* start = child<QPushButton>(panel, "pretrainStart");

    start->click(); // no text chosen yet
    QVERIFY2(panel->messageText().contains("no text to pre-train on"),
             qPrintable(panel->messageText()));
    typeTinySettings(panel, QStringLiteral("bert"), kSteps);
    QCOMPARE(panel->documentCount(), 975); // one document per line of the fixture

    child<QSpinBox>(panel, "pretrainBlock")->setValue(4);
    start->click();
    QVERIFY2(panel->messageText().contains("block size must be between 8 and 512; it is 4"),
             qPrintable(panel->messageText()));
    child<QSpinBox>(panel, "pretrainBlock")->setValue(32);

    child<QLineEdit>(panel, "pretrainLr")->setText("fast");
    QVERIFY(!panel->start());
    QVERIFY2(panel->messageText().contains("'fast' is not a number"),
             qPrintable(panel->messageText()));
    child<QLineEdit>(panel, "pretrainLr")->setText("2");
    QVERIFY(!panel->start());
    QVERIFY2(panel->messageText().contains("learning rate must be above 0 and at most 1"),
             qPrintable(panel->messageText()));
    child<QLineEdit>(panel, "pretrainLr")->setText("1e-3");

    child<QSpinBox>(panel, "pretrainVocab")->setValue(20);
    // Ctrl+Return from a field of the panel starts (here: refuses) as the Start button does.
    w.activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(&w));
    child<QSpinBox>(panel, "pretrainVocab")->setFocus();
    QTest::keyClick(child<QSpinBox>(panel, "pretrainVocab"), Qt::Key_Return, Qt::ControlModifier);
    QVERIFY2(panel->messageText().contains("vocabulary size must be between 100 and 256000"),
             qPrintable(panel->messageText()));
    child<QSpinBox>(panel, "pretrainVocab")->setValue(400);

    // Continued pre-training checks the shown model: the fixture BERT knows 64 positions.
    QVERIFY(w.workspace()->modelPage()->showModel(FTS_FIXTURES_DIR "/models/encoders/bert"));
    panel->setFromScratch(false);
    QVERIFY(panel->outputFolder().endsWith("bert-adapted"));
    child<QSpinBox>(panel, "pretrainBlock")->setValue(128);
    QVERIFY(!panel->start());
    QVERIFY2(panel->messageText().contains("between 8 and 64; it is 128"),
             qPrintable(panel->messageText()));

    QTest::qWait(100);
    QCOMPARE(started.size(), 0);
    QVERIFY(!w.jobs()->isBusy());
    QVERIFY(!panel->isRunning());
    QVERIFY(!QDir(panel->outputFolder()).exists());
}

void TestGuiPretrain::countsTheProjectsText()
{
    MainWindow w;
    PretrainPanel* panel = openPanel(w, QStringLiteral("texts"));
    QVERIFY(panel);
    const QString csv = m_dir.filePath("texts.csv");
    QFile f(csv);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("text,label\nthe parcel came late,neg\nlovely staff,pos\nrefund in a day,pos\n");
    f.close();
    ImportOptions import;
    import.file = csv;
    QSignalSpy finished(w.jobs(), &JobRunner::jobFinished);
    w.startImport(import);
    QVERIFY(finished.wait(30000));
    QCOMPARE(finished.first().at(1).value<JobOutcome>().status, JobStatus::Succeeded);
    // The project's rows alone, then with a file: the count is what the job would read.
    panel->setUseProjectText(true);
    QCOMPARE(panel->documentCount(), 3);
    panel->setSources({kCorpus});
    QCOMPARE(panel->documentCount(), 975 + 3);
    QVERIFY2(child<QLabel>(panel, "pretrainDocuments")->text().contains("978 documents"),
             qPrintable(child<QLabel>(panel, "pretrainDocuments")->text()));
    const PretrainOptions o = panel->options();
    QCOMPARE(o.documents.size(), 978);
    QCOMPARE(o.documents.last(), QStringLiteral("refund in a day"));
    // A path that is gone is named on the panel, not thrown at the user later.
    panel->setSources({m_dir.filePath("missing.txt")});
    QCOMPARE(panel->documentCount(), -1);
    QVERIFY(child<QLabel>(panel, "pretrainDocuments")->text().contains("missing.txt"));
}

void TestGuiPretrain::scratchStopResumeUse()
{
    MainWindow w;
    PretrainPanel* panel = openPanel(w, QStringLiteral("scratch"));
    QVERIFY(panel);
    typeTinySettings(panel, QStringLiteral("bert"), kSteps);
    const QString out = panel->outputFolder();
    QCOMPARE(out, QDir(m_dir.path()).filePath("bert-tiny-pretrained")); // next to the project

    startAndStop(panel, [&] { return panel->start(); });
    QVERIFY(QDir(out).exists("checkpoint"));
    QVERIFY(panel->canResume());
    QVERIFY(child<QPushButton>(panel, "pretrainResume")->isEnabled());
    QVERIFY(child<QPushButton>(panel, "pretrainFinishNow")->isEnabled());
    QVERIFY2(panel->messageText().contains("checkpoint is saved"),
             qPrintable(panel->messageText()));
    const int stoppedAt = panel->chart()->pointCount();
    QVERIFY2(stoppedAt >= 1 && stoppedAt < kSteps, qPrintable(QString::number(stoppedAt)));
    // Start would begin again over the checkpoint: refused, pointing to Resume.
    QVERIFY(!panel->start());
    QVERIFY2(panel->messageText().contains("press Resume"), qPrintable(panel->messageText()));
    saveScreenshot(w, "model-page-pretrain-stopped");

    QSignalSpy ended(panel, &PretrainPanel::runEnded);
    child<QPushButton>(panel, "pretrainResume")->click();
    QVERIFY(panel->isRunning());
    QTRY_VERIFY_WITH_TIMEOUT(ended.size() == 1, 120000);
    QVERIFY2(ended.first().at(0).toBool(), qPrintable(panel->messageText()));

    // One point per step, each step once, although the run was split in two.
    QCOMPARE(panel->chart()->pointCount(), kSteps);
    const QVector<double> steps = panel->chart()->steps();
    for (int i = 0; i < kSteps; ++i)
        QCOMPARE(steps[i], double(i + 1));
    for (double loss : panel->chart()->losses())
        QVERIFY(std::isfinite(loss) && loss > 0);

    // The summary and the held-out marker show what the engine wrote to pretrain_result.json.
    QFile resultFile(QDir(out).filePath("pretrain_result.json"));
    QVERIFY(resultFile.open(QIODevice::ReadOnly));
    const QJsonObject result = QJsonDocument::fromJson(resultFile.readAll()).object();
    const double perplexity = result.value("eval_perplexity").toDouble();
    QVERIFY(perplexity > 1);
    // Measured at steps 100 and 200 during the run, and at its end.
    const QVector<double> heldOut = panel->chart()->heldOut();
    QCOMPARE(heldOut.size(), 3);
    QCOMPARE(heldOut.last(), perplexity);
    QVERIFY(heldOut[0] > 1 && heldOut[0] != heldOut[2]);
    const QString summary = panel->summaryText();
    QVERIFY2(summary.contains("300 steps") &&
                 summary.contains(QLocale().toString(300 * 8 * 32) + " tokens seen") &&
                 summary.contains(QString::number(perplexity, 'f', 2)),
             qPrintable(summary));
    QVERIFY(!QDir(out).exists("checkpoint"));

    // The folder is a model the studio loads.
    const auto tok = loadTokenizer(out);
    QCOMPARE(tok->vocabSize(), 400);
    const ModelConfig config = ModelConfig::load(out);
    QCOMPARE(config.modelType, QStringLiteral("bert"));
    QCOMPARE(config.vocabSize, 400);

    // Resumed == uninterrupted: the same settings run in one go on the engine thread.
    PretrainOptions whole = panel->options();
    whole.outDir = m_dir.filePath("bert-whole");
    QSignalSpy finished(w.jobs(), &JobRunner::jobFinished);
    w.jobs()->submit(std::make_shared<PretrainJob>(whole));
    QTRY_VERIFY_WITH_TIMEOUT(finished.size() == 1, 120000);
    QCOMPARE(finished.first().at(1).value<JobOutcome>().status, JobStatus::Succeeded);
    // Byte for byte: same tensor names, shapes and every bit of every weight.
    const QByteArray uninterrupted = weightsFile(whole.outDir);
    QVERIFY(uninterrupted.size() > 1000);
    QVERIFY(uninterrupted == weightsFile(out));

    saveScreenshot(w, "model-page-pretrain-finished");
    auto* use = child<QPushButton>(panel, "pretrainUse");
    QVERIFY(use->isEnabled());
    use->click();
    QCOMPARE(w.workspace()->project()->metaValue("model_dir"), QDir(out).absolutePath());
    QVERIFY2(w.workspace()->modelPage()->detailsText().contains("type bert"),
             qPrintable(w.workspace()->modelPage()->detailsText()));
}

void TestGuiPretrain::finishNowWritesTheCheckpoint()
{
    MainWindow w;
    PretrainPanel* panel = openPanel(w, QStringLiteral("early"));
    QVERIFY(panel);
    typeTinySettings(panel, QStringLiteral("llama"), kSteps);
    QVERIFY(!child<QPushButton>(panel, "pretrainFinishNow")->isEnabled()); // nothing to finish
    startAndStop(panel, [&] { return panel->start(); });
    const int stoppedAt = panel->chart()->pointCount();
    QSignalSpy ended(panel, &PretrainPanel::runEnded);
    child<QPushButton>(panel, "pretrainFinishNow")->click();
    QTRY_VERIFY_WITH_TIMEOUT(ended.size() == 1, 60000);
    QVERIFY2(ended.first().at(0).toBool(), qPrintable(panel->messageText()));
    QVERIFY2(panel->summaryText().contains(QStringLiteral("%1 steps").arg(stoppedAt)) &&
                 panel->summaryText().contains("Finished early"),
             qPrintable(panel->summaryText()));
    const QString out = panel->outputFolder();
    QCOMPARE(ModelConfig::load(out).modelType, QStringLiteral("llama"));
    QCOMPARE(loadTokenizer(out)->bosId(), 1);
    QCOMPARE(panel->chart()->pointCount(), stoppedAt);
    QCOMPARE(panel->chart()->heldOut().size(), 1); // the end's measurement only
}

FTS_TEST_SUITE(TestGuiPretrain)
#include "tst_gui_pretrain.moc"
