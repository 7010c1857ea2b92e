// GUI smoke tests, offscreen: the sample project opens, every page shows, import works end to end.
#include "Suite.h"
#include "GuiTestUtil.h"
#include "pages/SftTaskPanel.h"
#include "ConfusionMatrixWidget.h"
#include "ImportDialog.h"
#include "MainWindow.h"
#include "ProjectWorkspace.h"
#include "TestUtil.h"
#include "WelcomePage.h"
#include "jobs/JobRunner.h"
#include "pages/CurationPanel.h"
#include "pages/DataPage.h"
#include "pages/FeedbackPage.h"
#include "pages/DataStatsPanel.h"
#include "pages/LabelPage.h"
#include "pages/LabelSchemaDialog.h"
#include "pages/LabelTablePanel.h"
#include "pages/ModelPage.h"
#include "pages/EvaluatePage.h"
#include "pages/DeployPage.h"
#include "deploy/TextClassifier.h"
#include "pages/TrainPage.h"
#include "pages/SweepDialog.h"
#include "HyperparameterEditor.h"
#include "project/Project.h"
#include "project/SampleProject.h"
#include "RateChart.h"
#include "TrainingChart.h"
#include "train/ParameterCountJob.h"
#include "train/RunStore.h"
#include "train/TextTokenizer.h"
#include "train/TrainTypes.h"
#include "data/Curation.h"
#include "label/LabelSchema.h"
#include "label/LabelIssues.h"
#include "label/Labeling.h"

#include <QAbstractItemModel>
#include <QAbstractButton>
#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
#include <QHeaderView>
#include <qcustomplot.h>
#include <QListWidget>
#include <QProgressBar>
#include <QPushButton>
#include <QTableWidget>
#include <QMessageBox>
#include <QProcess>
#include <QSysInfo>
#include <QSignalSpy>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>

using namespace fts;
using fts::test::saveScreenshot;

namespace {
// The tiny BERT fixture with a word vocabulary of `texts` as a model folder (the Train page trains
// it in seconds); empty when it could not be written.
QString wordModelFolder(const QString& dir, const QStringList& texts)
{
    if (!QDir().mkpath(dir))
        return {};
    for (const char* f : {"config.json", "model.safetensors"})
        if (!QFile::copy(QStringLiteral(FTS_FIXTURES_DIR "/models/encoders/bert/") + f, dir + "/" + f))
            return {};
    test::writeFile(dir + "/vocab_words.txt", WordVocabulary::build(texts).words().join('\n').toUtf8());
    return dir;
}

// Imports `csv` into the window's open project on the engine thread and waits for the job.
void importAndWait(MainWindow& w, const QString& csv)
{
    ImportOptions o;
    o.file = csv;
    QSignalSpy finished(w.jobs(), &JobRunner::jobFinished);
    w.startImport(o);
    QVERIFY(finished.wait(30000));
    QCOMPARE(finished.first().at(1).value<JobOutcome>().status, JobStatus::Succeeded);
}

// The two-topic data set (food vs travel, 64/16/16 rows) as `<dir>/<name>.csv`, and a word model
// for it as `<dir>/<name>-model`; returns the model folder (empty when it could not be written).
QString topicsDataAndModel(const QString& dir, const QString& name)
{
    const QStringList food = {"apple", "banana", "cherry", "grape", "lemon", "mango"};
    const QStringList travel = {"car", "truck", "bus", "train", "plane", "boat"};
    QByteArray csv = "text,label,split\n";
    QStringList texts;
    for (int i = 0; i < 96; ++i) {
        const QStringList& words = i % 2 ? travel : food;
        const QString text = QStringLiteral("my %1 and the %2").arg(words[i % 6], words[(i / 2) % 6]);
        texts << text;
        csv += text.toUtf8() + (i % 2 ? ",travel," : ",food,") + (i < 64 ? "train" : i < 80 ? "val" : "test") + "\n";
    }
    test::writeFile(dir + "/" + name + ".csv", csv);
    return wordModelFolder(dir + "/" + name + "-model", texts);
}
} // namespace

class TestGui : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void opensSampleProject();
    void everyPageCanBeShown();
    void importDialogPreviewsAndImports();
    void failedImportShowsMessageAndKeepsProject();
    void notAProjectShowsErrorAndStaysOnWelcome();
    void createAndSaveAs();
    void lockedProjectOffersReadOnly();
    void cleaningInTheGui();
    void keyboardLabelingFiftyCards();
    void labelIssuesAndDiverseQueueInCards();
    void messyExportEndToEnd();
    void modelPageShowsAndChoosesAModel();
    void tableModeBulkLabels();
    void confusionMatrixCellClicks();
    void trainSettingsAreCheckedAndSaved();
    void evaluatePageShowsTheStory();
    void trainRunsLivePauseResumeCompareEvaluate();
    void trainPageSweepsAndMarksTheBest();
    void trainNotesShowTrainerWarnings();
    void trainPageCountsTrainableParameters();
    void trainPageFineTunesChatAndSummarization();
    void trainPageTrainsSeveralTasksAtOnce();

private:
    QTemporaryDir m_dir;
};

void TestGui::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName("FinetuneStudioTest");
    QCoreApplication::setApplicationName("Finetune Studio Test");
    QDir(MainWindow::sampleFolder()).removeRecursively();
}

void TestGui::opensSampleProject()
{
    MainWindow w;
    w.show();
    QVERIFY(w.welcomePage()->isVisible());
    QSignalSpy finished(w.jobs(), &JobRunner::jobFinished);
    w.openSampleProject();
    QVERIFY(finished.wait(60000));
    QTRY_VERIFY(w.workspace()->project() != nullptr);
    QVERIFY(w.workspace()->isVisible());
    QVERIFY(w.windowTitle().startsWith("Sentiment Sample"));
    const ProjectSummary s = w.workspace()->project()->summary();
    QVERIFY2(s.totalRows >= 800, qPrintable(QString::number(s.totalRows)));
    QVERIFY(s.rowsPerSplit.value("train") > 0 && s.rowsPerSplit.value("val") > 0 &&
            s.rowsPerSplit.value("test") > 0);
    QCOMPARE(s.tasks, QStringList{"label"});
    QVERIFY(w.workspace()->dataPage()->loadedRowCount() > 0);
    auto* summary = w.findChild<QLabel*>("dataSummary");
    QVERIFY(summary->text().contains(QString("%1 rows").arg(s.totalRows)));
    // The table fetches its rows on demand (not all 882), which keeps a statement open; the
    // window's own connection must still see what engine-thread jobs write through theirs.
    QVERIFY(w.workspace()->dataPage()->loadedRowCount() < s.totalRows);
    {
        auto job = Project::open(w.workspace()->project()->path());
        job->setMetaValue("written_by_a_job", "yes");
    }
    QCOMPARE(w.workspace()->project()->metaValue("written_by_a_job"), QStringLiteral("yes"));
    // The Feedback page has the house-style pairs to judge and train a reward model on.
    w.workspace()->showPage(ProjectWorkspace::Feedback);
    QCOMPARE(w.workspace()->feedbackPage()->promptCount(), 217);
    QVERIFY(w.workspace()->project()->metaValue("feedback/rubric").contains("house style"));

    // The Train page's chat template starts from the conversations placed beside the project.
    TrainPage* train = w.workspace()->trainPage();
    train->setTask("chat");
    QCOMPARE(train->sftPanel()->dataFile(), QDir(MainWindow::sampleFolder()).filePath("chat.jsonl"));
    QVERIFY(train->sftPanel()->modelDir().endsWith("starter-decoder"));
    QVERIFY2(train->check(), qPrintable(train->checkText()));
    train->setTask("summarization");
    QCOMPARE(train->sftPanel()->dataFile(), QDir(MainWindow::sampleFolder()).filePath("summaries.jsonl"));
    train->setTask("classification");

    // Second time: already built, opens at once without a job.
    MainWindow again;
    QVERIFY(again.openProject(QDir(MainWindow::sampleFolder()).filePath(SampleProjectFileName)));
}

void TestGui::everyPageCanBeShown()
{
    MainWindow w;
    w.show();
    const QString p = m_dir.filePath("pages.ftproj");
    QVERIFY(w.createProject(p));
    for (int i = 0; i < ProjectWorkspace::PageCount; ++i) {
        const auto page = ProjectWorkspace::Page(i);
        w.workspace()->showPage(page);
        QCOMPARE(w.workspace()->currentPage(), page);
        QVERIFY(w.workspace()->page(page)->isVisible());
    }
    // A project without runs: the Deploy page says how to get one.
    w.workspace()->showPage(ProjectWorkspace::Deploy);
    auto* status = w.workspace()->page(ProjectWorkspace::Deploy)->findChild<QLabel*>("deployStatus");
    QVERIFY(status && status->text().contains("No trained run yet"));
}

void TestGui::importDialogPreviewsAndImports()
{
    const QString csv = m_dir.filePath("reviews.csv");
    test::writeFile(csv, "id,comment,mood\n1,\"Lovely, quiet room\",positive\n2,Noisy at night,negative\n"
                         "3,Breakfast was included,neutral\n");
    MainWindow w;
    w.show();
    QVERIFY(w.createProject(m_dir.filePath("import.ftproj")));

    ImportDialog dialog(&w);
    dialog.setFile(csv);
    QVERIFY(dialog.hasValidPreview());
    auto* preview = dialog.findChild<QTableWidget*>("importPreview");
    QCOMPARE(preview->rowCount(), 3);
    QCOMPARE(preview->columnCount(), 3);
    const ImportOptions o = dialog.options();
    QCOMPARE(o.textColumn, QString("comment"));
    QCOMPARE(o.labelColumns, QStringList{"mood"});

    QSignalSpy finished(w.jobs(), &JobRunner::jobFinished);
    w.startImport(o);
    QVERIFY(finished.wait(30000));
    QCOMPARE(finished.first().at(1).value<JobOutcome>().status, JobStatus::Succeeded);
    QTRY_COMPARE(w.workspace()->dataPage()->loadedRowCount(), 3);
    const QAbstractItemModel* model = w.workspace()->dataPage()->table()->model();
    QCOMPARE(model->data(model->index(0, 1)).toString(), QString("Lovely, quiet room"));
    QCOMPARE(model->data(model->index(0, 2)).toString(), QString("positive"));

    dialog.setFile(m_dir.filePath("does-not-exist.csv"));
    QVERIFY(!dialog.hasValidPreview());
    QVERIFY(dialog.errorText().contains("There is no file"));
}

void TestGui::failedImportShowsMessageAndKeepsProject()
{
    const QString csv = m_dir.filePath("ragged.csv");
    test::writeFile(csv, "text,label\nfine,pos\ntoo,many,fields\n");
    MainWindow w;
    w.show();
    QVERIFY(w.createProject(m_dir.filePath("ragged.ftproj")));
    ImportOptions o;
    o.file = csv;
    QSignalSpy finished(w.jobs(), &JobRunner::jobFinished);
    w.startImport(o);
    QVERIFY(finished.wait(30000));
    QCOMPARE(finished.first().at(1).value<JobOutcome>().status, JobStatus::Failed);
    QVERIFY2(w.lastError().contains("ragged.csv, line 3"), qPrintable(w.lastError()));
    QCOMPARE(w.workspace()->project()->summary().totalRows, 0);
    QVERIFY(w.findChild<QWidget*>("errorBox") != nullptr);
}

void TestGui::notAProjectShowsErrorAndStaysOnWelcome()
{
    const QString bogus = m_dir.filePath("notes.ftproj");
    test::writeFile(bogus, "just some notes");
    MainWindow w;
    w.show();
    QVERIFY(!w.openProject(bogus));
    QVERIFY(w.lastError().contains("not a Finetune Studio project"));
    QVERIFY(w.welcomePage()->isVisible());
    QCOMPARE(test::fileHash(bogus), QCryptographicHash::hash("just some notes", QCryptographicHash::Sha256).toHex());
}

void TestGui::createAndSaveAs()
{
    MainWindow w;
    w.show();
    QVERIFY(w.createProject(m_dir.filePath("first.ftproj")));
    QVERIFY(w.saveProjectAs(m_dir.filePath("second.ftproj")));
    QCOMPARE(w.workspace()->project()->path(), m_dir.filePath("second.ftproj"));
    QVERIFY(w.windowTitle().startsWith("first")); // the copy keeps the project's name
    w.closeProject();
    QVERIFY(w.welcomePage()->isVisible());
    QVERIFY(!w.createProject(m_dir.filePath("second.ftproj"))); // exists: refused with a message
    QVERIFY(w.lastError().contains("already exists"));
}

void TestGui::lockedProjectOffersReadOnly()
{
    const QString p = m_dir.filePath("busy.ftproj");
    Project::create(p);
    QProcess other;
    other.start("sleep", {"30"});
    QVERIFY(other.waitForStarted());
    test::writeLockHeldBy(p, other.processId(), "sleep");
    MainWindow w;
    w.show();
    QVERIFY(!w.openProject(p));
    QVERIFY(w.lastError().contains("open in another Finetune Studio"));
    auto* offer = w.findChild<QMessageBox*>("readOnlyOffer");
    QVERIFY(offer);
    offer->button(QMessageBox::Open)->click();
    QTRY_VERIFY(w.workspace()->project() != nullptr);
    QVERIFY(w.workspace()->project()->isReadOnly());
    QVERIFY(w.windowTitle().contains("read-only"));
    ImportOptions o;
    o.file = m_dir.filePath("whatever.csv");
    QCOMPARE(w.startImport(o), 0);
    QVERIFY(w.lastError().contains("read-only"));
    other.kill();
    other.waitForFinished();
}

void TestGui::cleaningInTheGui()
{
    const QString csv = m_dir.filePath("messy-gui.csv");
    QByteArray bytes = "text,label\n\"Great  <b>value</b>\",positive\n\"great value\",positive\n";
    for (int i = 0; i < 12; ++i)
        bytes += "fine item number " + QByteArray::number(i) + ",positive\n";
    bytes += "broken on arrival,negative\n";
    test::writeFile(csv, bytes);
    MainWindow w;
    w.show();
    QVERIFY(w.createProject(m_dir.filePath("clean-gui.ftproj")));
    importAndWait(w, csv);
    QSignalSpy finished(w.jobs(), &JobRunner::jobFinished);
    DataPage* page = w.workspace()->dataPage();
    QTRY_COMPARE(page->loadedRowCount(), 15);

    // Statistics: 14 positive vs 1 negative is flagged with a suggestion.
    page->statsPanel()->refresh(w.workspace()->project());
    QVERIFY2(page->statsPanel()->warningText().contains("imbalanced"), qPrintable(page->statsPanel()->warningText()));
    // great, value, b (from the <b> tag, until normalized), fine, item, number, 0..11, broken, on, arrival
    QVERIFY2(page->statsPanel()->factsText().contains("Vocabulary: 21 distinct words"), qPrintable(page->statsPanel()->factsText()));

    CurationStepDialog* normalize = page->curationPanel()->openStep("normalize");
    QVERIFY(normalize);
    normalize->apply();
    QVERIFY(finished.wait(30000));
    QTRY_VERIFY(normalize->resultText().contains("changed 1"));

    CurationStepDialog* dedupe = page->curationPanel()->openStep("dedupe");
    dedupe->preview();
    QVERIFY(finished.wait(30000));
    QTRY_VERIFY2(dedupe->resultText().contains("removed 1 rows"), qPrintable(dedupe->resultText()));
    QCOMPARE(w.workspace()->project()->summary().totalRows, 15); // preview changed nothing
    dedupe->apply();
    QVERIFY(finished.wait(30000));
    QTRY_COMPARE(page->loadedRowCount(), 14);
    auto* recipe = page->findChild<QListWidget*>("recipeList");
    QCOMPARE(recipe->count(), 2);

    page->curationPanel()->undoLast();
    QVERIFY(finished.wait(30000));
    QTRY_COMPARE(page->loadedRowCount(), 15);
    QCOMPARE(recipe->count(), 1);
}

void TestGui::keyboardLabelingFiftyCards()
{
    const QString csv = m_dir.filePath("tolabel.csv");
    QByteArray bytes = "text\n";
    for (int i = 0; i < 60; ++i)
        bytes += "review number " + QByteArray::number(i) + " of the product\n";
    test::writeFile(csv, bytes);
    const QString path = m_dir.filePath("label-gui.ftproj");
    {
        MainWindow w;
        w.show();
        QVERIFY(w.createProject(path));
        ImportOptions o;
        o.file = csv;
        QSignalSpy finished(w.jobs(), &JobRunner::jobFinished);
        w.startImport(o);
        QVERIFY(finished.wait(30000));
        w.workspace()->showPage(ProjectWorkspace::Label);
        LabelPage* page = w.workspace()->labelPage();
        page->setAnnotator("tester");
        QCOMPARE(page->currentRow(), 1);
        for (int i = 0; i < 50; ++i)
            QTest::keyClick(page, char('1' + i % 3)); // keys 1-3: negative, neutral, positive
        QCOMPARE(page->currentRow(), 51);
        QTest::keyClick(page, Qt::Key_Backspace);
        QTest::keyClick(page, Qt::Key_Z, Qt::ControlModifier);
        QTest::keyClick(page, Qt::Key_Backspace);
        QCOMPARE(page->currentRow(), 48); // back on the first undone card
        QTest::keyClick(page, Qt::Key_F); // flag it for discussion
        QVERIFY2(!page->statusText().contains("color:#b00020"), qPrintable(page->statusText()));
        QTest::keyClick(page, Qt::Key_S);
        QCOMPARE(page->currentRow(), 49);
        QVERIFY(page->statusText().contains("this session: 47 labels"));
        // Enter accepts the suggestion shown on the card.
        const int suggested = page->suggestedLabel();
        QVERIFY(suggested >= 0);
        const qint64 row = page->currentRow();
        QTest::keyClick(page, Qt::Key_Return);
        QCOMPARE(cardRow(*w.workspace()->project(), row, "sentiment", "tester").mine,
                 loadLabelSchema(*w.workspace()->project(), "sentiment").labels.value(suggested).name);
        QTest::keyClick(page, Qt::Key_Backspace); // and undo it, for the counts below
    }
    auto p = Project::open(path);
    QSqlQuery q(p->db());
    q.exec("SELECT COUNT(*) FROM labels WHERE annotator = 'tester' AND superseded_at IS NULL");
    q.next();
    QCOMPARE(q.value(0).toInt(), 47);
    q.exec("SELECT COUNT(*) FROM labels WHERE annotator = 'tester'");
    q.next();
    QCOMPARE(q.value(0).toInt(), 51); // the undone labels (3, and the accepted suggestion) stay in the history
    q.exec("SELECT value FROM labels WHERE row_id = 2 AND superseded_at IS NULL");
    q.next();
    QCOMPARE(q.value(0).toString(), QString("neutral"));
    q.exec("SELECT flagged FROM label_notes WHERE row_id = 48");
    QVERIFY(q.next() && q.value(0).toInt() == 1);
}

void TestGui::labelIssuesAndDiverseQueueInCards()
{
    // Sentiment words decide the label; one row in ten has its label flipped (half each way), then
    // 6 unlabeled rows.
    const QStringList good = {"great", "excellent", "lovely", "superb", "wonderful", "friendly"};
    const QStringList bad = {"awful", "terrible", "horrible", "dreadful", "rude", "broken"};
    const QStringList nouns = {"food", "staff", "room", "app", "film", "service", "trip"};
    QByteArray labeled = "text,sentiment\n";
    QSet<qint64> flipped;
    for (int i = 0; i < 120; ++i) {
        const bool positive = i % 2 == 0, flip = i % 20 == 7 || i % 20 == 12;
        const QStringList& words = positive ? good : bad;
        labeled += "the " + nouns[i % 7].toUtf8() + " was " + words[(i / 2) % 6].toUtf8() + " and " +
                   words[(i / 3) % 6].toUtf8() + ((positive != flip) ? ",positive\n" : ",negative\n");
        if (flip)
            flipped.insert(i + 1);
    }
    test::writeFile(m_dir.filePath("issues.csv"), labeled);
    test::writeFile(m_dir.filePath("issues-more.csv"),
                    "text\nthe food was great\nthe food was great and lovely\nmy parcel never arrived\n"
                    "the film was awful\nthe parcel never arrived at all\nthe staff were rude\n");
    MainWindow w;
    w.show();
    QVERIFY(w.createProject(m_dir.filePath("issues-gui.ftproj")));
    importAndWait(w, m_dir.filePath("issues.csv"));
    importAndWait(w, m_dir.filePath("issues-more.csv"));
    w.workspace()->showPage(ProjectWorkspace::Label);
    LabelPage* page = w.workspace()->labelPage();
    page->setAnnotator("reviewer");
    auto* button = page->findChild<QPushButton*>("findLabelIssues");
    QVERIFY(button);
    button->click(); // the job runs on the engine thread
    QVERIFY(page->isBusyWithModel());
    QTRY_VERIFY_WITH_TIMEOUT(!page->isBusyWithModel(), 60000);
    const LabelIssueReport& report = page->labelIssues();
    QCOMPARE(report.rows, 120);
    int hits = 0;
    for (const LabelIssue& issue : report.issues)
        hits += flipped.contains(issue.rowId) ? 1 : 0;
    QVERIFY2(hits >= 10 && hits >= report.issues.size() - 2,
             qPrintable(QString("%1 of %2 flagged rows were flipped").arg(hits).arg(report.issues.size())));
    // The cards now walk through the suspected rows, most suspicious first.
    QCOMPARE(w.workspace()->findChild<QComboBox*>("labelFilter")->currentData().toString(), QString("issues"));
    QCOMPARE(page->queue().size(), report.issues.size());
    QCOMPARE(page->currentRow(), report.issues.first().rowId);
    const QString state = page->findChild<QLabel*>("cardState")->text();
    QVERIFY2(state.contains("possible label issue") && state.contains(report.issues.first().likely),
             qPrintable(state));
    saveScreenshot(w, "label-issues");
    // Progress per split: the 120 imported rows have no split column, the 6 later ones neither.
    const QString progress = page->findChild<QProgressBar*>("labelProgress")->format();
    QVERIFY2(progress.contains("120 of 126 rows labeled (no split 120/126)"), qPrintable(progress));
    // Correcting it is one key; the history keeps the old label.
    const LabelIssue first = report.issues.first();
    // The keys follow the task's schema (the sentiment preset when none is saved yet).
    LabelSchema schema = loadLabelSchema(*w.workspace()->project(), "sentiment");
    if (schema.labels.isEmpty())
        schema = LabelSchema::preset("sentiment-3", "sentiment");
    const int key = int(schema.names().indexOf(first.likely));
    QVERIFY(key >= 0);
    QTest::keyClick(page, char('1' + key));
    QCOMPARE(cardRow(*w.workspace()->project(), first.rowId, "sentiment", "reviewer").gold, first.likely);
    QCOMPARE(labelHistory(*w.workspace()->project(), first.rowId, "sentiment").size(), 2);
    if (report.issues.size() > 1)
        QCOMPARE(page->currentRow(), report.issues[1].rowId);

    // Diverse order: the unlabeled rows, new topics (the parcel) before texts like labeled ones.
    page->setQueueMode("diverse");
    const QList<qint64> queue = page->queue();
    QCOMPARE(QSet<qint64>(queue.cbegin(), queue.cend()), (QSet<qint64>{121, 122, 123, 124, 125, 126}));
    QVERIFY2(queue.first() == 123 || queue.first() == 125, qPrintable(QString::number(queue.first())));
}

void TestGui::messyExportEndToEnd()
{
    // A ticket-system export: Windows-1252, semicolons, mixed-case labels, PII, duplicates, gaps.
    QByteArray bytes = "Ticket;Comment;Mood\r\n";
    bytes += "T1;Caf\xE9 machine broke, call me on +44 20 7946 0958;Negative\r\n";
    bytes += "T2;Caf\xE9 machine broke, call me on +44 20 7946 0958;negative\r\n";
    bytes += "T3;Great service, write to ana@example.org;POSITIVE\r\n";
    bytes += "T4;The parcel came on Tuesday;\r\n";
    for (int i = 0; i < 16; ++i)
        bytes += "T" + QByteArray::number(10 + i) + ";Ticket about order " + QByteArray::number(100 + i) + " was fine;" +
                 (i % 2 ? "positive" : "Negative") + "\r\n";
    const QString csv = m_dir.filePath("export.csv");
    test::writeFile(csv, bytes);
    MainWindow w;
    w.show();
    QVERIFY(w.createProject(m_dir.filePath("e2e.ftproj")));
    ImportDialog dialog(&w);
    dialog.setFile(csv);
    QVERIFY2(dialog.hasValidPreview(), qPrintable(dialog.errorText()));
    QVERIFY(dialog.findChild<QLabel*>("importDetected")->text().contains("windows-1252"));
    dialog.findChild<QCheckBox*>("importRedact")->setChecked(true);
    const ImportOptions o = dialog.options();
    QCOMPARE(o.textColumn, QString("Comment"));
    QCOMPARE(o.labelColumns, QStringList{"Mood"});
    QSignalSpy finished(w.jobs(), &JobRunner::jobFinished);
    w.startImport(o);
    QVERIFY(finished.wait(30000));
    DataPage* page = w.workspace()->dataPage();
    for (const char* step : {"dedupe", "split"}) {
        CurationStepDialog* d = page->curationPanel()->openStep(step);
        d->apply();
        QVERIFY(finished.wait(30000));
        QTRY_VERIFY(!d->resultText().contains("…"));
    }
    const ProjectSummary s = w.workspace()->project()->summary();
    QCOMPARE(s.totalRows, 19); // one duplicate removed
    QCOMPARE(s.unlabeledRows, 1); // T4 waits in the labeling queue
    QCOMPARE(s.rowsPerSplit.value(""), 0);
    QCOMPARE(s.labels.size(), 2); // "Negative"/"negative", "POSITIVE"/"positive" unified
    QSqlQuery q(w.workspace()->project()->db());
    q.exec("SELECT text FROM rows WHERE id = 1");
    QVERIFY(q.next());
    QCOMPARE(q.value(0).toString(), QString::fromUtf8("Café machine broke, call me on [PHONE]"));
    q.exec("SELECT COUNT(*) FROM rows WHERE text LIKE '%@%'");
    q.next();
    QCOMPARE(q.value(0).toInt(), 0);
    QCOMPARE(curationRecipe(*w.workspace()->project()).size(), 2); // documented
}

void TestGui::modelPageShowsAndChoosesAModel()
{
    MainWindow w;
    w.show();
    QVERIFY(w.createProject(m_dir.filePath("model-page.ftproj")));
    w.workspace()->showPage(ProjectWorkspace::Model);
    ModelPage* page = w.workspace()->modelPage();
    QVERIFY(page->showModel(FTS_FIXTURES_DIR "/models/encoders/bert"));
    QVERIFY2(page->detailsText().contains("type bert, hidden 32, 2 layers"), qPrintable(page->detailsText()));
    auto* layers = page->findChild<QTableWidget*>("layerTable");
    QCOMPARE(layers->rowCount(), 5); // embeddings, 2 layers, pooler, head
    page->findChild<QPushButton*>("useModel")->click();
    QCOMPARE(w.workspace()->project()->metaValue("model_dir"), QDir(FTS_FIXTURES_DIR "/models/encoders/bert").absolutePath());
    QVERIFY(!page->showModel(m_dir.path())); // not a model folder: the reason is shown
    QVERIFY(page->detailsText().contains("config.json"));
    QVERIFY(page->findChild<QTableWidget*>("modelCatalog")->rowCount() >= 5);
}

void TestGui::tableModeBulkLabels()
{
    const QString csv = m_dir.filePath("bulk.csv");
    test::writeFile(csv, "text\nrefund took weeks\nrefund was instant\nlovely staff\nrude staff\nparcel lost\n");
    MainWindow w;
    w.show();
    QVERIFY(w.createProject(m_dir.filePath("bulk.ftproj")));
    importAndWait(w, csv);
    QSignalSpy finished(w.jobs(), &JobRunner::jobFinished);
    w.workspace()->showPage(ProjectWorkspace::Label);
    LabelPage* page = w.workspace()->labelPage();
    page->setAnnotator("bulk");
    page->showTableMode(true);
    LabelTablePanel* table = page->tablePanel();
    table->setSearch("refund");
    QCOMPARE(table->rowCount(), 2);
    table->table()->selectAll();
    QCOMPARE(table->assignToSelection(0), 2); // both "refund" rows: the first label of the schema
    table->setSearch("");
    table->setFilter("unlabeled");
    QCOMPARE(table->rowCount(), 3);
    table->setFilter("label:negative");
    QCOMPARE(table->rowCount(), 2);
    // Sorting by the text column is an ORDER BY on the whole table.
    table->setFilter("all");
    table->table()->horizontalHeader()->setSortIndicator(1, Qt::DescendingOrder);
    QCOMPARE(table->table()->model()->index(0, 1).data().toString(), QString("rude staff"));

    // A second annotator disagrees on one row; the adjudicator's choice becomes the gold label.
    setLabel(*w.workspace()->project(), 1, "sentiment", "positive", "other");
    table->setFilter("disagree");
    QCOMPARE(table->rowCount(), 1);
    table->table()->selectAll();
    table->setAdjudicating(true);
    QCOMPARE(table->assignToSelection(1), 1);
    QCOMPARE(cardRow(*w.workspace()->project(), 1, "sentiment", "bulk").gold, QString("neutral"));

    // Schema editor: a preset, a duplicate key refused with the reason, then saved.
    LabelSchemaDialog dialog(*w.workspace()->project(), "sentiment", &w);
    dialog.applyPreset("sentiment-5");
    LabelSchema s = dialog.schema();
    QCOMPARE(s.labels.size(), 5);
    auto* labels = dialog.findChild<QTableWidget*>();
    labels->item(1, 1)->setText("1");
    QVERIFY(!dialog.save());
    QVERIFY(dialog.errorText().contains("used by two labels"));
    labels->item(1, 1)->setText("2");
    QVERIFY(dialog.save());
    QCOMPARE(loadLabelSchema(*w.workspace()->project(), "sentiment").labels.size(), 5);
}

void TestGui::confusionMatrixCellClicks()
{
    ConfusionMatrixWidget w;
    w.resize(400, 400);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    w.setMatrix({"neg", "neu", "pos"}, {{8, 1, 1}, {2, 5, 3}, {0, 1, 9}});
    QSignalSpy clicked(&w, &ConfusionMatrixWidget::cellClicked);
    // Click the centre of the cell true=neu (row 1), predicted=pos (column 2).
    QCustomPlot* plot = w.plot();
    const QPoint at(int(plot->xAxis->coordToPixel(2)), int(plot->yAxis->coordToPixel(1)));
    QCOMPARE(w.cellAt(at), (QPair<int, int>(1, 2)));
    QTest::mouseClick(plot, Qt::LeftButton, {}, at);
    QCOMPARE(clicked.size(), 1);
    QCOMPARE(clicked.first().at(0).toInt(), 1);
    QCOMPARE(clicked.first().at(1).toInt(), 2);
    QCOMPARE(w.cellAt(QPoint(1, 1)), (QPair<int, int>(-1, -1))); // outside the cells
}

void TestGui::trainSettingsAreCheckedAndSaved()
{
    const QString csv = m_dir.filePath("train-settings.csv");
    QByteArray bytes = "text,label,split\n";
    for (int i = 0; i < 12; ++i)
        bytes += "row " + QByteArray::number(i) + (i % 2 ? ",pos,train\n" : ",neg,train\n");
    test::writeFile(csv, bytes);
    MainWindow w;
    w.show();
    QVERIFY(w.createProject(m_dir.filePath("train-settings.ftproj")));
    importAndWait(w, csv);
    w.workspace()->project()->setMetaValue("model_dir", FTS_FIXTURES_DIR "/models/encoders/bert");
    TrainPage* page = w.workspace()->trainPage();
    page->setProject(w.workspace()->project());
    HyperparameterEditor* editor = page->editor();
    QVERIFY(!editor->setField("lr", "7"));
    QVERIFY(editor->problems().contains("lr must be from"));
    QVERIFY(editor->setField("batch_size", "32"));
    QVERIFY(!page->check());
    QVERIFY2(page->checkText().contains("larger than the training split (12 rows)"), qPrintable(page->checkText()));
    QVERIFY(editor->setField("batch_size", "4"));
    QVERIFY(editor->setField("method", "lora"));
    QVERIFY(editor->setField("lora_rank", "64")); // the fixture's hidden size is 32
    QVERIFY(!page->check());
    QVERIFY(page->checkText().contains("hidden size (32)"));
    QVERIFY(editor->setField("lora_rank", "8"));
    QVERIFY(page->check());
    QVERIFY(page->save());
    page->setProject(w.workspace()->project()); // reload from the project
    QCOMPARE(page->editor()->values().loraRank, 8);
    QCOMPARE(page->editor()->values().method, QString("lora"));
}

void TestGui::evaluatePageShowsTheStory()
{
    MainWindow w;
    w.show();
    w.openSampleProject(); // built by opensSampleProject, so this opens at once
    QTRY_VERIFY(w.workspace()->project() != nullptr);
    w.workspace()->showPage(ProjectWorkspace::Evaluate);
    EvaluatePage* page = w.workspace()->evaluatePage();
    QVERIFY2(page->evaluate(), qPrintable(page->summaryText()));
    QVERIFY2(page->summaryText().contains("on 132 rows of the test split"), qPrintable(page->summaryText()));
    const int errors = page->errorTable()->rowCount();
    QVERIFY(errors > 0 && errors < 132);
    // Clicking the cell true=negative, predicted=positive lists exactly those rows.
    page->filterErrors(0, 2);
    for (int r = 0; r < page->errorTable()->rowCount(); ++r) {
        QCOMPARE(page->errorTable()->item(r, 2)->text(), QString("negative"));
        QCOMPARE(page->errorTable()->item(r, 3)->text(), QString("positive"));
    }
    page->filterErrors(-1, -1);
    QCOMPARE(page->errorTable()->rowCount(), errors);
    // Relabel from the error list: it goes into the label history.
    page->errorTable()->setCurrentCell(0, 0);
    const qint64 row = page->errorTable()->item(0, 0)->text().toLongLong();
    QVERIFY(page->relabelSelected("neutral", "reviewer"));
    QCOMPARE(cardRow(*w.workspace()->project(), row, "label", "reviewer").mine, QString("neutral"));
    undoLabelChange(*w.workspace()->project(), {row, "label", "reviewer", QString(), "neutral"}); // keep the sample as it was
}

// A separable two-topic task and a model folder (the tiny BERT fixture plus a word vocabulary)
// small enough that a run takes seconds.
// What the trainer says besides progress reaches the page: here, that a label only the val split
// has cannot be learned.
void TestGui::trainNotesShowTrainerWarnings()
{
    QByteArray csv = "text,label,split\n";
    QStringList texts;
    for (int i = 0; i < 24; ++i) {
        const QString text = i % 2 ? QStringLiteral("my car and bus") : QStringLiteral("an apple and a lemon");
        texts << text;
        csv += text.toUtf8() + (i % 2 ? ",travel,train\n" : ",food,train\n");
    }
    csv += "guitar and drum,music,val\npiano,music,val\n";
    test::writeFile(m_dir.filePath("trainer-warnings.csv"), csv);
    const QString model = wordModelFolder(m_dir.filePath("trainer-warnings-model"), texts);
    QVERIFY(!model.isEmpty());

    MainWindow w;
    w.show();
    QVERIFY(w.createProject(m_dir.filePath("trainer-warnings.ftproj")));
    importAndWait(w, m_dir.filePath("trainer-warnings.csv"));
    w.workspace()->project()->setMetaValue("model_dir", model);
    TrainPage* page = w.workspace()->trainPage();
    w.workspace()->showPage(ProjectWorkspace::Train);
    QVERIFY(page->editor()->setField("method", "full"));
    QVERIFY(page->editor()->setField("batch_size", "8"));
    QVERIFY(page->editor()->setField("max_steps", "2"));
    QVERIFY2(page->startTraining(), qPrintable(page->checkText() + page->liveText()));
    QTRY_VERIFY_WITH_TIMEOUT(!page->isTraining(), 60000);
    QVERIFY2(page->liveText().contains("finished"), qPrintable(page->liveText()));
    QVERIFY2(page->notesText().contains("Label 'music' has 2 rows in the val split but none in train"),
             qPrintable(page->notesText()));
    QVERIFY(page->findChild<QLabel*>("trainNotes")->isVisible());
}

// Before a run: the page says how many parameters the chosen method trains on the chosen model,
// counted by a job, and recounts when the method or its settings change.
void TestGui::trainPageCountsTrainableParameters()
{
    QByteArray csv = "text,label,split\n";
    QStringList texts;
    for (int i = 0; i < 30; ++i) {
        const QString text = QStringLiteral("word%1 and word%2").arg(i % 7).arg(i % 5);
        texts << text;
        csv += text.toUtf8() + (i % 3 == 0 ? ",a," : i % 3 == 1 ? ",b," : ",c,") + "train\n";
    }
    test::writeFile(m_dir.filePath("counts.csv"), csv);
    const QString model = wordModelFolder(m_dir.filePath("counts-model"), texts);
    QVERIFY(!model.isEmpty());

    MainWindow w;
    w.show();
    QVERIFY(w.createProject(m_dir.filePath("counts.ftproj")));
    TrainPage* page = w.workspace()->trainPage();
    w.workspace()->showPage(ProjectWorkspace::Train);
    QTRY_VERIFY2(page->parameterCountText().contains("Choose a model"), qPrintable(page->parameterCountText()));
    importAndWait(w, m_dir.filePath("counts.csv"));
    w.workspace()->project()->setMetaValue("model_dir", model);
    const QLocale locale;
    const QStringList labels = {"a", "b", "c"};
    const auto expect = [&](const QString& method, const QString& field, const QString& value) {
        QVERIFY(page->editor()->setField("method", method));
        if (!field.isEmpty())
            QVERIFY(page->editor()->setField(field, value));
        const MethodParameterCounts c = countMethodParameters(model, labels, page->editor()->values());
        QVERIFY(c.trainable > 0 && c.trainable <= c.total);
        const QString text = QStringLiteral("Trains %1 of %2 parameters")
                                 .arg(locale.toString(c.trainable), locale.toString(c.total));
        QTRY_VERIFY2_WITH_TIMEOUT(page->parameterCountText().startsWith(text), qPrintable(page->parameterCountText() + " / expected " + text), 30000);
    };
    expect("full", {}, {});
    QVERIFY(page->parameterCountText().contains("(100%)"));
    expect("lora", "lora_rank", "4");
    QVERIFY(page->parameterCountText().contains("rank-4 LoRA adapters"));
    const QString rank4 = page->parameterCountText();
    expect("lora", "lora_rank", "2"); // a smaller rank trains fewer parameters
    QVERIFY(page->parameterCountText() != rank4);
    expect("frozen", {}, {});
    QVERIFY(page->parameterCountText().contains("only the new classifier head"));
    expect("freeze", "freeze_layers", "1");
}

// The decoder templates from the Train page: chat fine-tuning (full) paused and resumed to the end,
// summarization with LoRA, each recorded as its run; bad input refused before a run exists.
void TestGui::trainPageFineTunesChatAndSummarization()
{
    // The bundled starter decoder: slow enough per step (1.8M parameters) that a pause lands mid-run.
    const QString model = QStringLiteral(FTS_SOURCE_DIR "/resources/models/starter-decoder");
    QByteArray chat, summaries;
    for (int i = 0; i < 20; ++i) {
        const QByteArray split = i % 5 == 4 ? "val" : "train";
        chat += "{\"instruction\": \"where is order " + QByteArray::number(i) +
                "\", \"response\": \"thanks. see orders.\", \"split\": \"" + split + "\"}\n";
        summaries += "{\"document\": \"the town pool opens in july after two years of fundraising by parents. "
                     "it has six lanes, a learning area and a sauna, and residents under sixteen swim "
                     "free on weekends " + QByteArray::number(i) +
                     ".\", \"summary\": \"pool opens.\", \"split\": \"" + split + "\"}\n";
    }
    test::writeFile(m_dir.filePath("sft-chat.jsonl"), chat);
    test::writeFile(m_dir.filePath("sft-summaries.jsonl"), summaries);
    test::writeFile(m_dir.filePath("sft-bad.jsonl"), chat.left(chat.indexOf('\n') + 1) + "{\"instruction\": \"no answer\"}\n");

    MainWindow w;
    w.show();
    QVERIFY(w.createProject(m_dir.filePath("sft.ftproj")));
    Project* project = w.workspace()->project();
    TrainPage* page = w.workspace()->trainPage();
    w.workspace()->showPage(ProjectWorkspace::Train);
    page->setTask("chat");
    QVERIFY(page->sftPanel()->isVisible());
    QVERIFY(page->findChild<QLabel*>("methodExplanation")->text().contains("assistant's tokens"));
    page->sftPanel()->setModelDir(model);
    for (const auto& [key, value] : {std::pair{"method", "full"}, {"lr", "0.001"}, {"batch_size", "4"},
                                     {"max_length", "64"}, {"epochs", "1"}, {"max_steps", "30"},
                                     {"warmup_ratio", "0"}, {"eval_every", "10"}})
        QVERIFY2(page->editor()->setField(key, value), key);

    // Refused before a run exists: a line without its answer (named), an encoder-only method.
    page->sftPanel()->setDataFile(m_dir.filePath("sft-bad.jsonl"));
    QVERIFY(!page->startTraining());
    QVERIFY2(page->checkText().contains("line 2") && page->checkText().contains("response"), qPrintable(page->checkText()));
    page->sftPanel()->setDataFile(m_dir.filePath("sft-chat.jsonl"));
    QVERIFY(page->editor()->setField("method", "frozen"));
    QVERIFY(!page->check());
    QVERIFY2(page->checkText().contains("full, freeze or lora"), qPrintable(page->checkText()));
    QVERIFY(page->editor()->setField("method", "full"));
    QVERIFY2(page->check(), qPrintable(page->checkText()));
    QVERIFY2(page->checkText().contains("16 training records"), qPrintable(page->checkText()));
    QCOMPARE(listRuns(*project).size(), 0);
    QTRY_VERIFY2_WITH_TIMEOUT(page->parameterCountText().contains("(100%): every layer"),
                              qPrintable(page->parameterCountText()), 30000);

    // Chat: paused after a few steps (a checkpoint), resumed from the run table to the end.
    QVERIFY2(page->startTraining(), qPrintable(page->checkText() + page->liveText()));
    QTRY_VERIFY_WITH_TIMEOUT(page->liveText().startsWith("Step 2 of 30") || !page->isTraining(), 60000);
    page->stopTraining();
    QTRY_VERIFY_WITH_TIMEOUT(!page->isTraining(), 60000);
    QList<RunRecord> runs = listRuns(*project);
    QCOMPARE(runs.size(), 1);
    const qint64 chatRun = runs.first().id;
    QCOMPARE(runs.first().method, QString("sft-chat"));
    QVERIFY2(runs.first().status == "cancelled", qPrintable(runs.first().status + " " + page->liveText()));
    QCOMPARE(page->runTable()->rowCount(), 1);
    page->runTable()->selectRow(0);
    QVERIFY(page->findChild<QPushButton*>("resumeRun")->isEnabled());
    QVERIFY(page->resumeSelected());
    QTRY_VERIFY_WITH_TIMEOUT(!page->isTraining(), 60000);
    QVERIFY2(page->liveText().contains("finished"), qPrintable(page->liveText()));
    const RunRecord done = loadRun(*project, chatRun);
    QCOMPARE(done.status, QString("finished"));
    QCOMPARE(done.task, QString("chat"));
    QCOMPARE(done.snapshot.value("data_file").toString(), m_dir.filePath("sft-chat.jsonl"));
    QList<qint64> steps;
    for (const MetricPoint& p : runMetrics(*project, chatRun))
        if (p.split == "train" && p.name == "loss")
            steps << p.step;
    QCOMPARE(steps.size(), 30); // each step once across the pause
    for (int i = 0; i < 30; ++i)
        QCOMPARE(steps[i], qint64(i + 1));
    QCOMPARE(page->chart()->values(chatRun, "train", "loss").size(), 30);
    QVERIFY(!page->chart()->values(chatRun, "val", "loss").isEmpty());
    test::saveScreenshot(w, "train-chat");

    // Summarization of the shipped documents with LoRA: only the adapters train.
    const QString starter = model;
    const QString documents = QStringLiteral(FTS_SOURCE_DIR "/datasets/summarization/summaries.jsonl");
    page->setTask("summarization");
    page->sftPanel()->setModelDir(starter);
    page->sftPanel()->setDataFile(m_dir.filePath("sft-summaries.jsonl"));
    QVERIFY(page->editor()->setField("method", "lora"));
    QVERIFY(page->editor()->setField("lora_rank", "2"));
    QVERIFY(page->editor()->setField("max_length", "32"));
    QVERIFY(page->editor()->setField("max_steps", "4"));
    QVERIFY(page->startTraining()); // every summary starts after 32 tokens: said, no run kept
    QTRY_VERIFY_WITH_TIMEOUT(!page->isTraining(), 60000);
    QVERIFY2(page->liveText().contains("Every training record") && page->liveText().contains("max_length"),
             qPrintable(page->liveText()));
    QCOMPARE(listRuns(*project).size(), 1);
    page->sftPanel()->setDataFile(documents);
    QVERIFY(page->editor()->setField("max_length", "256"));
    QTRY_VERIFY2_WITH_TIMEOUT(page->parameterCountText().contains("rank-2 LoRA adapters") &&
                                  !page->parameterCountText().contains("(100%)"),
                              qPrintable(page->parameterCountText()), 30000);
    QVERIFY2(page->startTraining(), qPrintable(page->checkText() + page->liveText()));
    QTRY_VERIFY_WITH_TIMEOUT(!page->isTraining(), 60000);
    QVERIFY2(page->liveText().contains("finished"), qPrintable(page->liveText()));
    runs = listRuns(*project);
    QCOMPARE(runs.size(), 2);
    const RunRecord summary = runs.first().id == chatRun ? runs.last() : runs.first();
    QCOMPARE(summary.method, QString("sft-summarization"));
    QCOMPARE(summary.status, QString("finished"));
    QCOMPARE(Hyperparameters::fromJson(summary.hyperparameters).method, QString("lora"));

    // The Evaluate page judges a chat run by what it writes on the held-out records: loss,
    // ROUGE, exact match, and each answer beside its reference; the result is kept with the run.
    w.workspace()->showPage(ProjectWorkspace::Evaluate);
    EvaluatePage* evaluate = w.workspace()->evaluatePage();
    QTRY_VERIFY_WITH_TIMEOUT(!evaluate->isEvaluating(), 120000); // whatever showing it started
    QVERIFY(evaluate->chooseRun(chatRun));
    auto* splitChoice = evaluate->findChild<QComboBox*>("splitChoice");
    splitChoice->setCurrentIndex(splitChoice->findData("val"));
    QVERIFY(evaluate->evaluate());
    QTRY_VERIFY_WITH_TIMEOUT(!evaluate->isEvaluating(), 120000);
    QVERIFY2(evaluate->summaryText().contains(QString("Run %1 (chat) on 4 val records").arg(chatRun)) &&
                 evaluate->summaryText().contains("ROUGE-L") && evaluate->summaryText().contains("Kept with run"),
             qPrintable(evaluate->summaryText()));
    QCOMPARE(evaluate->errorTable()->rowCount(), 4);
    QCOMPARE(evaluate->errorTable()->item(0, 2)->text(), QString("thanks. see orders."));
    QCOMPARE(evaluate->errorTable()->horizontalHeaderItem(3)->text(), QString("Generated"));
    const QList<StoredEvaluation> kept = runEvaluations(*project, chatRun);
    QCOMPARE(kept.size(), 1);
    QCOMPARE(kept.first().report.value("records").toInt(), 4);
    saveScreenshot(w, "evaluate-chat-run");

    // The choices are the project's: a new window restores the template, file and decoder.
    QVERIFY(page->save());
    MainWindow again;
    QVERIFY(again.openProject(project->path()));
    TrainPage* reopened = again.workspace()->trainPage();
    QCOMPARE(reopened->task(), QString("summarization"));
    QCOMPARE(reopened->sftPanel()->dataFile(), documents);
    QCOMPARE(reopened->sftPanel()->modelDir(), starter);
}

// Two label tasks ticked on the Train page make one multi-task run (a head per task), whose
// per-task validation shows in the run comparison; the Evaluate button stays off for it.
void TestGui::trainPageTrainsSeveralTasksAtOnce()
{
    const QStringList food = {"apple", "banana", "cherry", "grape"}, travel = {"car", "truck", "bus", "boat"};
    const QStringList happy = {"love", "great"}, sad = {"hate", "awful"};
    QByteArray csv = "text,topic,tone,split\n";
    QStringList texts;
    for (int i = 0; i < 80; ++i) {
        const bool isFood = i % 2 == 0, isHappy = (i / 2) % 2 == 0;
        const QString text = QStringLiteral("my %1 is %2").arg((isFood ? food : travel)[i % 4], (isHappy ? happy : sad)[i % 2]);
        texts << text;
        csv += text.toUtf8() + (isFood ? ",food," : ",travel,") + (isHappy ? "happy," : "sad,") + (i < 64 ? "train" : "val") + "\n";
    }
    test::writeFile(m_dir.filePath("two-tasks.csv"), csv);
    const QString model = wordModelFolder(m_dir.filePath("two-tasks-model"), texts);
    QVERIFY(!model.isEmpty());

    MainWindow w;
    w.show();
    QVERIFY(w.createProject(m_dir.filePath("two-tasks.ftproj")));
    ImportOptions o;
    o.file = m_dir.filePath("two-tasks.csv");
    o.labelColumns = {"topic", "tone"};
    QSignalSpy imported(w.jobs(), &JobRunner::jobFinished);
    w.startImport(o);
    QVERIFY(imported.wait(30000));
    w.workspace()->project()->setMetaValue("model_dir", model);
    TrainPage* page = w.workspace()->trainPage();
    w.workspace()->showPage(ProjectWorkspace::Train);
    auto* tasks = page->findChild<QListWidget*>("trainTasks");
    QTRY_COMPARE(tasks->count(), 2);
    QVERIFY(tasks->isVisible());
    QCOMPARE(page->trainTasks(), QStringList{"topic"}); // one task unless the user ticks more
    QVERIFY(page->editor()->setField("method", "frozen"));
    QTRY_VERIFY_WITH_TIMEOUT(page->parameterCountText().startsWith("Trains 66 of"), 30000); // a 32x2 head
    page->setTrainTasks({"topic", "tone"});
    QTRY_VERIFY2_WITH_TIMEOUT(page->parameterCountText().startsWith("Trains 132 of") &&
                                  page->parameterCountText().contains("one head per task"),
                              qPrintable(page->parameterCountText()), 30000);
    QVERIFY(page->findChild<QLabel*>("methodExplanation")->text().contains("Multi-task"));
    for (const auto& [key, value] : {std::pair{"method", "full"}, {"lr", "0.002"}, {"batch_size", "8"},
                                     {"epochs", "6"}, {"max_steps", "0"}, {"task_weights", "topic=1,tone=0.5"}})
        QVERIFY2(page->editor()->setField(key, value), key);
    QVERIFY2(page->startTraining(), qPrintable(page->checkText() + page->liveText()));
    QTRY_VERIFY_WITH_TIMEOUT(!page->isTraining(), 120000);
    QVERIFY2(page->liveText().contains("finished"), qPrintable(page->liveText()));
    const QList<RunRecord> runs = listRuns(*w.workspace()->project());
    QCOMPARE(runs.size(), 1);
    QCOMPARE(runs.first().task, QString("topic,tone"));
    QCOMPARE(Hyperparameters::fromJson(runs.first().hyperparameters).taskWeight("tone"), 0.5);
    page->runTable()->selectRow(0);
    QTRY_VERIFY2(page->comparisonText().contains("multi-task: topic accuracy"), qPrintable(page->comparisonText()));
    QVERIFY(page->comparisonText().contains("tone accuracy"));
    test::saveScreenshot(w, "train-multitask");
    // It has a report (each head evaluated on the test split, which this data lacks).
    QSignalSpy written(page, &TrainPage::reportWritten);
    QVERIFY(page->saveReport(runs.first().id, m_dir.filePath("two-tasks.html")));
    QVERIFY(written.count() == 1 || written.wait(120000));
    QFile html(m_dir.filePath("two-tasks.html"));
    QVERIFY(html.open(QIODevice::ReadOnly));
    const QString report = QString::fromUtf8(html.readAll());
    QVERIFY2(report.contains("alt='tasks'"), qPrintable(page->liveText())); // each task's F1 curve
    QVERIFY(!report.contains("Task topic: Metrics")); // no test rows to score here
    // The Evaluate page lists the run once per task and evaluates the chosen task's head.
    QVERIFY(page->findChild<QPushButton*>("evaluateRun")->isEnabled());
    EvaluatePage* evaluate = w.workspace()->evaluatePage();
    w.workspace()->showPage(ProjectWorkspace::Evaluate);
    QTRY_VERIFY_WITH_TIMEOUT(!evaluate->isEvaluating(), 60000); // showing it evaluates what it shows
    evaluate->reloadPredictors();
    auto* predictors = evaluate->findChild<QComboBox*>("predictorChoice");
    const int tone = predictors->findText("task tone", Qt::MatchContains);
    QVERIFY(tone >= 0 && predictors->findText("task topic", Qt::MatchContains) >= 0);
    predictors->setCurrentIndex(tone);
    auto* split = evaluate->findChild<QComboBox*>("splitChoice");
    split->setCurrentIndex(split->findData("val"));
    QVERIFY(evaluate->evaluate());
    QTRY_VERIFY_WITH_TIMEOUT(!evaluate->isEvaluating(), 60000);
    QVERIFY2(evaluate->summaryText().contains("task tone") && evaluate->summaryText().contains("16 rows"),
             qPrintable(evaluate->summaryText()));
    // Showing the page again does not evaluate again what is on screen; another task does.
    QVERIFY(!evaluate->evaluateIfStale());
    QVERIFY(!evaluate->isEvaluating());
    predictors->setCurrentIndex(predictors->findText("task topic", Qt::MatchContains));
    QVERIFY(evaluate->evaluateIfStale());
    QTRY_VERIFY_WITH_TIMEOUT(!evaluate->isEvaluating(), 60000);
    QVERIFY(!evaluate->evaluateIfStale());

    // The Deploy page offers the run's tasks and loads the chosen head (its labels show).
    DeployPage* deploy = qobject_cast<DeployPage*>(w.workspace()->page(ProjectWorkspace::Deploy));
    w.workspace()->showPage(ProjectWorkspace::Deploy);
    QTRY_VERIFY_WITH_TIMEOUT(deploy->isModelLoaded(), 60000);
    QCOMPARE(deploy->taskChoices(), (QStringList{"topic", "tone"}));
    QVERIFY2(deploy->statusText().contains("food, travel"), qPrintable(deploy->statusText()));
    QSignalSpy loaded(deploy, &DeployPage::modelLoaded);
    QVERIFY(deploy->selectRun(runs.first().id, "tone"));
    QVERIFY(loaded.wait(60000));
    QVERIFY2(deploy->statusText().contains("happy, sad"), qPrintable(deploy->statusText()));
    QCOMPARE(deploy->findChild<QComboBox*>("deployTask")->currentText(), QString("tone"));
    QSignalSpy shown(deploy, &DeployPage::predictionShown);
    deploy->predictText("my apple is love");
    QVERIFY(shown.wait(30000));
    const auto toneHead = TextClassifier::loadRun(*w.workspace()->project(), runs.first().id, "tone");
    QVERIFY2(deploy->resultText().startsWith(toneHead->classify({"my apple is love"}).front().label + "  ("),
             qPrintable(deploy->resultText()));
}

// The sweep dialog: a bad range is refused with its row named; a grid over the learning rate
// trains one recorded run per value on the engine thread, fills the table and the chart, rings the
// best (the highest validation macro F1 read back from the project), and hands its settings back.
void TestGui::trainPageSweepsAndMarksTheBest()
{
    const QString model = topicsDataAndModel(m_dir.path(), "sweep");
    QVERIFY(!model.isEmpty());
    MainWindow w;
    w.show();
    QVERIFY(w.createProject(m_dir.filePath("sweep.ftproj")));
    importAndWait(w, m_dir.filePath("sweep.csv"));
    Project& project = *w.workspace()->project();
    TrainPage* page = w.workspace()->trainPage();
    w.workspace()->showPage(ProjectWorkspace::Train);
    QVERIFY(!page->openSweep()); // no model yet
    QVERIFY2(page->liveText().contains("Model page"), qPrintable(page->liveText()));
    project.setMetaValue("model_dir", model);
    HyperparameterEditor* editor = page->editor();
    QVERIFY(editor->setField("method", "full"));
    QVERIFY(editor->setField("epochs", "6"));
    QVERIFY(editor->setField("batch_size", "8"));
    QVERIFY(editor->setField("warmup_ratio", "0.1"));
    QVERIFY(editor->setField("patience", "0"));
    SweepDialog* sweep = page->openSweep();
    QVERIFY(sweep);
    QCOMPARE(page->openSweep(), sweep); // one at a time

    // A range with grid search is refused before anything trains, naming the row.
    SweepAxis range;
    range.key = "lr";
    range.isRange = true;
    range.low = 1e-5;
    range.high = 1e-3;
    sweep->setAxes({range});
    QVERIFY(!sweep->start());
    auto* status = sweep->findChild<QLabel*>("sweepStatus");
    QVERIFY2(status->text().contains("only random search"), qPrintable(status->text()));
    QCOMPARE(listRuns(project).size(), 0);

    SweepAxis lr;
    lr.key = "lr";
    lr.values = {"0.00001", "0.002"};
    sweep->setAxes({lr});
    sweep->setSearch(SweepSearch::Grid, 8, 1, false);
    QVERIFY(sweep->start());
    QVERIFY(sweep->isRunning());
    QVERIFY(!page->findChild<QPushButton*>("startTraining")->isEnabled()); // no second queue
    QTRY_VERIFY_WITH_TIMEOUT(!sweep->isRunning(), 180000);
    QCOMPARE(sweep->trials().size(), 2);
    QCOMPARE(page->runTable()->rowCount(), 2); // the runs are ordinary runs, listed as they end
    QVERIFY(page->findChild<QPushButton*>("startTraining")->isEnabled());
    // The best is the run with the highest recorded best validation macro F1.
    qint64 bestRun = 0;
    double bestScore = -1;
    for (const RunRecord& r : listRuns(project))
        if (r.bestStep >= 0 && r.bestMetric > bestScore) {
            bestScore = r.bestMetric;
            bestRun = r.id;
        }
    QVERIFY(sweep->bestTrial() >= 0);
    QCOMPARE(sweep->trials()[sweep->bestTrial()].runId, bestRun);
    // 1e-5 barely moves the tiny model in 6 epochs; 0.002 learns the topics.
    QCOMPARE(sweep->trials()[sweep->bestTrial()].values.value("lr").toString(), QString("0.002"));
    QVERIFY(sweep->trials()[0].score < sweep->trials()[1].score);
    QVERIFY2(sweep->statusText().contains(QString("the best is run %1").arg(bestRun)), qPrintable(sweep->statusText()));
    QTableWidget* results = sweep->resultsTable();
    QCOMPARE(results->rowCount(), 2);
    QCOMPARE(results->item(sweep->bestTrial(), 0)->text(), QString("★ %1").arg(bestRun));
    QVERIFY(results->item(sweep->bestTrial(), 0)->font().bold());
    // The chart: one point per run at (lr, score) on a log axis, the best ringed.
    QCustomPlot* chart = sweep->metricChart();
    QCOMPARE(sweep->chartAxisChoice()->currentText(), QString("lr"));
    QCOMPARE(chart->graph(0)->data()->size(), 2);
    QCOMPARE(chart->graph(1)->data()->size(), 1);
    QCOMPARE(chart->graph(1)->data()->at(0)->value, bestScore);
    QCOMPARE(chart->xAxis->scaleType(), QCPAxis::stLogarithmic);
    saveScreenshot(*sweep, "train-sweep");
    // "Use best settings" puts the best run's learning rate into the editor.
    QTest::mouseClick(sweep->findChild<QPushButton*>("useBestSweepSettings"), Qt::LeftButton);
    QCOMPARE(editor->values().lr, sweep->trials()[sweep->bestTrial()].values.value("lr").toString().toDouble());
    QCOMPARE(editor->values().epochs, 6);
    sweep->close();
    QTRY_VERIFY(!page->isSweeping());
}

void TestGui::trainRunsLivePauseResumeCompareEvaluate()
{
    const QString model = topicsDataAndModel(m_dir.path(), "topics");
    QVERIFY(!model.isEmpty());

    MainWindow w;
    w.show();
    QVERIFY(w.createProject(m_dir.filePath("topics.ftproj")));
    importAndWait(w, m_dir.filePath("topics.csv"));
    Project& project = *w.workspace()->project();
    TrainPage* page = w.workspace()->trainPage();
    w.workspace()->showPage(ProjectWorkspace::Train);
    QVERIFY(!page->startTraining()); // no model chosen yet
    QVERIFY2(page->liveText().contains("Model page"), qPrintable(page->liveText()));
    project.setMetaValue("model_dir", model);
    HyperparameterEditor* editor = page->editor();
    QVERIFY(editor->setField("method", "full"));
    QVERIFY(editor->setField("epochs", "6"));
    QVERIFY(editor->setField("batch_size", "8"));
    QVERIFY(editor->setField("lr", "0.002"));
    QVERIFY(editor->setField("warmup_ratio", "0.1"));
    QVERIFY(editor->setField("patience", "0")); // the paused run below must not stop early

    // A run trains on the engine thread; the chart fills while it runs.
    QVERIFY2(page->startTraining(), qPrintable(page->checkText() + page->liveText()));
    QVERIFY(page->isTraining());
    QTRY_VERIFY_WITH_TIMEOUT(!page->isTraining(), 120000);
    QVERIFY2(page->liveText().contains("Run 1 finished"), qPrintable(page->liveText()));
    QCOMPARE(page->runTable()->rowCount(), 1);
    QCOMPARE(page->runTable()->item(0, 1)->text(), QString("finished"));
    // Once the run ends the chart shows what the project stored: 6 epochs x 8 batches.
    QCOMPARE(page->chart()->values(1, "train", "loss").size(), 48);
    // The rate chart drew the schedule step by step: warmup up to lr 0.002, then decay.
    const QVector<double> lrs = page->rateChart()->learningRates();
    QCOMPARE(lrs.size(), 48);
    const double peak = *std::max_element(lrs.begin(), lrs.end());
    QVERIFY2(peak <= 0.002 + 1e-12 && peak > 0.0015, qPrintable(QString::number(peak)));
    QVERIFY(lrs.first() < peak && lrs.last() < peak);
    const QVector<double> speed = page->rateChart()->tokensPerSecond();
    QCOMPARE(speed.size(), 48);
    QVERIFY(std::all_of(speed.begin(), speed.end(), [](double v) { return v > 0; }));
    const QList<MetricPoint> stored = runMetrics(project, 1);
    QCOMPARE(page->chart()->values(1, "val", "accuracy").size(),
             qsizetype(std::count_if(stored.begin(), stored.end(),
                                     [](const MetricPoint& m) { return m.split == "val" && m.name == "accuracy"; })));
    QVERIFY(page->chart()->values(1, "val", "accuracy").last() > 0.9);
    // The smoothed train loss is the moving average s = 0.9 s + 0.1 x of the raw losses.
    const QVector<double> raw = page->chart()->values(1, "train", "loss");
    const QVector<double> smooth = page->chart()->values(1, "train", "loss_smoothed");
    QCOMPARE(smooth.size(), raw.size());
    QCOMPARE(smooth[0], raw[0]);
    QVERIFY(std::abs(smooth[1] - (0.9 * raw[0] + 0.1 * raw[1])) < 1e-12);
    QVERIFY(page->chart()->saveCsv(m_dir.filePath("chart.csv")));
    QFile chartCsv(m_dir.filePath("chart.csv"));
    QVERIFY(chartCsv.open(QIODevice::ReadOnly));
    const QList<QByteArray> csvLines = chartCsv.readAll().split('\n');
    QCOMPARE(csvLines.first(), QByteArray("curve,step,value"));
    QCOMPARE(std::count_if(csvLines.begin(), csvLines.end(),
                           [](const QByteArray& l) { return l.startsWith("\"run 1: train loss (smoothed)\","); }),
             48);
    // Hovering the last validation-accuracy point reads it out.
    page->chart()->redrawNow();
    QCustomPlot* plot = page->chart()->plot();
    const QPoint at(int(plot->xAxis->coordToPixel(48)), // evaluated after each epoch of 8 steps
                    int(plot->yAxis2->coordToPixel(page->chart()->values(1, "val", "accuracy").last())));
    QVERIFY2(page->chart()->readoutAt(at).contains("run 1: validation accuracy"), qPrintable(page->chart()->readoutAt(at)));

    // Pause a longer run midway; it is recorded as paused and resumes to the end.
    QVERIFY(editor->setField("epochs", "30"));
    QVERIFY(page->startTraining());
    QTRY_VERIFY_WITH_TIMEOUT(page->chart()->values(-1, "train", "loss").size() >= 5, 60000);
    // Pause holds the run in memory: no step while paused; Continue goes on from the same step.
    page->pauseTraining();
    QVERIFY(page->isPaused());
    QCOMPARE(page->findChild<QPushButton*>("pauseTraining")->text(), QString("Continue"));
    QTest::qWait(300); // the step under way ends and its points arrive
    const int held = page->chart()->values(-1, "train", "loss").size();
    QTest::qWait(700);
    QCOMPARE(page->chart()->values(-1, "train", "loss").size(), held);
    QVERIFY(page->isTraining());
    QVERIFY2(page->liveText().startsWith("Paused"), qPrintable(page->liveText()));
    page->continueTraining();
    QTRY_VERIFY_WITH_TIMEOUT(page->chart()->values(-1, "train", "loss").size() > held, 60000);
    // Stop: a checkpoint, the run recorded as stopped, resumed later to the end.
    page->pauseTraining(); // a stop also ends a pause
    page->stopTraining();
    QTRY_VERIFY_WITH_TIMEOUT(!page->isTraining(), 60000);
    QCOMPARE(page->runTable()->rowCount(), 2);
    QCOMPARE(page->runTable()->item(0, 1)->text(), QString("stopped"));
    const int pausedAt = page->chart()->values(2, "train", "loss").size();
    QVERIFY(pausedAt > 0 && pausedAt < 240);
    page->runTable()->selectRow(0);
    QVERIFY(page->resumeSelected());
    QTRY_VERIFY_WITH_TIMEOUT(!page->isTraining(), 180000);
    QCOMPARE(page->runTable()->item(0, 1)->text(), QString("finished"));
    QCOMPARE(loadRun(project, 2).status, QString("finished"));

    // Selecting both runs overlays their curves and lists the settings that differ.
    page->runTable()->selectAll();
    QVERIFY(page->chart()->hasRun(1) && page->chart()->hasRun(2));
    QVERIFY2(page->comparisonText().contains("settings vs run 1: epochs 6 → 30"),
             qPrintable(page->comparisonText()));
    saveScreenshot(w, "train-page-compare");
    // The report of run 1: one HTML file with its curves and its test-split scores.
    QSignalSpy written(page, &TrainPage::reportWritten);
    QVERIFY(page->saveReport(1, m_dir.filePath("run-1.html")));
    QVERIFY(written.wait(60000));
    QFile report(m_dir.filePath("run-1.html"));
    QVERIFY(report.open(QIODevice::ReadOnly));
    const QByteArray html = report.readAll();
    QVERIFY(html.contains("Training run 1") && html.contains("Metrics on the test split (16 rows)"));
    // Both runs compared, as a PDF.
    page->runTable()->selectAll();
    QVERIFY(page->saveReport(QList<qint64>{1, 2}, m_dir.filePath("runs.pdf")));
    QVERIFY(written.wait(60000));
    QVERIFY(test::renderPdfFirstPage(m_dir.filePath("runs.pdf"), m_dir.filePath("runs-page")));
    // Cloning run 1 puts its settings back into the editor.
    page->runTable()->clearSelection();
    page->runTable()->selectRow(1);
    QVERIFY(page->cloneSelected());
    QCOMPARE(editor->values().epochs, 6);

    // "Evaluate run" opens the run on the Evaluate page, evaluated by a job.
    Q_EMIT page->evaluateRunRequested(1);
    QCOMPARE(w.workspace()->currentPage(), ProjectWorkspace::Evaluate);
    EvaluatePage* evaluate = w.workspace()->evaluatePage();
    QTRY_VERIFY_WITH_TIMEOUT(evaluate->summaryText().contains("run 1 (full) on 16 rows of the test split"), 60000);
    // The evaluation is kept with the run (the report above evaluated it once already).
    QVERIFY2(evaluate->summaryText().contains("Kept with run 1"), qPrintable(evaluate->summaryText()));
    QVERIFY(runEvaluations(project, 1).size() >= 2);
    QCOMPARE(runEvaluations(project, 1).last().split, QString("test"));
    // The page shows what the engine computes for the run, and the run learned the topics.
    const ClassificationReport direct = evaluateRun(project, 1, "test");
    QVERIFY(direct.accuracy > 0.75);
    QVERIFY2(evaluate->summaryText().contains(QString("accuracy %1,").arg(direct.accuracy, 0, 'f', 3)),
             qPrintable(evaluate->summaryText()));
    // The reliability diagram: one bar per non-empty confidence bin, at the share correct.
    {
        const ClassificationReport shown = evaluateRun(project, 1, "test");
        auto* bars = qobject_cast<QCPBars*>(evaluate->calibrationPlot()->plottable(0));
        QVERIFY(bars);
        QList<double> want;
        for (const CalibrationBin& b : shown.calibration)
            if (b.count > 0)
                want << b.accuracy;
        QCOMPARE(bars->data()->size(), want.size());
        for (int i = 0; i < want.size(); ++i)
            QVERIFY(std::abs(bars->data()->at(i)->value - want[i]) < 1e-12);
        QVERIFY(evaluate->calibrationPlot()->xAxis->label().contains(QString::number(shown.ece, 'f', 3)));
    }
    saveScreenshot(w, "evaluate-page-run");

    // The Label page takes its suggestions from the newest run, and "Retrain suggestions" trains a
    // new run with the saved settings and switches to it.
    w.workspace()->showPage(ProjectWorkspace::Label);
    LabelPage* label = w.workspace()->labelPage();
    QTRY_VERIFY2_WITH_TIMEOUT(label->modelSuggestions().runId == 2 && !label->isBusyWithModel(),
                              qPrintable(QString("run %1, busy %2, %3").arg(label->modelSuggestions().runId)
                                             .arg(label->isBusyWithModel())
                                             .arg(label->findChild<QLabel*>("suggestionSource")->text())), 60000);
    QCOMPARE(label->modelSuggestions().byRow.size(), 96);
    QCOMPARE(label->modelSuggestions().labels, QStringList({"food", "travel"}));
    {
        // Table mode sorts by the model's confidence: least confident first is the margin order.
        QTableView* table = label->tablePanel()->table();
        QAbstractItemModel* m = table->model();
        QCOMPARE(m->headerData(9, Qt::Horizontal).toString(), QString("Confidence"));
        table->horizontalHeader()->setSortIndicator(9, Qt::AscendingOrder);
        double least = 1.0;
        for (const auto& p : label->modelSuggestions().byRow)
            least = std::min(least, *std::max_element(p.begin(), p.end()));
        QVERIFY(std::abs(m->index(0, 9).data().toDouble() - least) < 1e-3);
        QVERIFY(m->index(0, 9).data().toDouble() <= m->index(1, 9).data().toDouble());
        QVERIFY(QStringList({"food", "travel"}).contains(m->index(0, 8).data().toString()));
    }
    label->setQueueMode("all"); // every row is labeled
    QStringList runLabels;
    const qint64 row = label->currentRow();
    QVERIFY(row > 0);
    const QString text = cardRow(project, row, "label", label->annotator()).text;
    const std::vector<double> p = predictWithRun(project, 2, {text}, &runLabels).front();
    QCOMPARE(runLabels, QStringList({"food", "travel"}));
    const std::vector<double> shown = label->modelSuggestions().byRow.value(row);
    QCOMPARE(shown.size(), p.size());
    for (size_t i = 0; i < p.size(); ++i) // batched with padding vs alone: float rounding only
        QVERIFY(std::abs(shown[i] - p[i]) < 1e-5);
    QCOMPARE(label->suggestedLabel(), int(std::max_element(p.begin(), p.end()) - p.begin()));
    QVERIFY2(label->findChild<QLabel*>("cardState")->text().contains("run 2; Enter accepts"),
             qPrintable(label->findChild<QLabel*>("cardState")->text()));
    QVERIFY(label->retrainSuggestions());
    QTRY_VERIFY_WITH_TIMEOUT(label->modelSuggestions().runId == 3 && !label->isBusyWithModel(), 120000);
    QCOMPARE(loadRun(project, 3).status, QString("finished"));
}

FTS_TEST_SUITE(TestGui)
#include "tst_gui.moc"
