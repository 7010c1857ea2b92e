// The Feedback page offscreen, driven by its keys: prompts typed and imported (a bad file names its
// line and changes nothing), answers written by a decoder job, rate / rank / choose with undo,
// progress and agreement between two people; then a reward model, DPO and PPO trained on those
// judgements from the page, with their live curves.
#include "Suite.h"
#include "GuiTestUtil.h"
#include "MainWindow.h"
#include "ProjectWorkspace.h"
#include "DecoderFixture.h"
#include "TestUtil.h"
#include "feedback/Feedback.h"
#include "feedback/CandidateJob.h"
#include "pages/FeedbackPage.h"
#include "pages/FeedbackTrainPanel.h"
#include "pages/TrainPage.h"
#include "project/Project.h"
#include "train/RunStore.h"
#include "MetricPanelsChart.h"
#include "ScoreHistogram.h"

#include <QDir>
#include <QFile>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QStandardPaths>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>

using namespace fts;
using fts::test::saveScreenshot;

class TestGuiFeedback : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void collectJudgeAndTrain();

private:
    QTemporaryDir m_dir;
    QString m_model;
};

void TestGuiFeedback::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName("FinetuneStudioTest");
    QCoreApplication::setApplicationName("Finetune Studio Test");
    QVERIFY(m_dir.isValid());
    m_model = test::gpt2FixtureFolder(m_dir.filePath("gpt2"));
    QVERIFY(!m_model.isEmpty());
}

void TestGuiFeedback::collectJudgeAndTrain()
{
    MainWindow w;
    w.resize(1300, 850);
    w.show();
    // Keys are shortcuts of the page, which Qt delivers to the active window only.
    QApplication::setActiveWindow(&w);
    QVERIFY(QTest::qWaitForWindowActive(&w));
    const QString path = m_dir.filePath("feedback.ftproj");
    QVERIFY(w.createProject(path));
    w.workspace()->showPage(ProjectWorkspace::Feedback);
    FeedbackPage* page = w.workspace()->feedbackPage();
    QVERIFY(page->isVisible());
    page->setAnnotator("ann");
    auto reader = Project::open(path, Project::Access::ReadOnly); // sees what the page committed

    // A broken file: the line is named and nothing is imported.
    test::writeFile(m_dir.filePath("broken.jsonl"),
                    "{\"prompt\":\"a\",\"chosen\":\"x\",\"rejected\":\"y\"}\n{\"prompt\":\"b\",\"chosen\":\"x\"}\n");
    QVERIFY(!page->importFile(m_dir.filePath("broken.jsonl")));
    QVERIFY2(page->statusText().contains("line 2") && page->statusText().contains("Nothing was imported"),
             qPrintable(page->statusText()));
    QCOMPARE(page->promptCount(), 0);

    // Prompts typed and imported (the form is told by the first line), answers by a decoder job.
    QVERIFY(page->addPrompts({"say hello to a customer", "", "say goodbye politely"}));
    QCOMPARE(page->promptCount(), 2);
    test::writeFile(m_dir.filePath("pairs.jsonl"),
                    "{\"prompt\":\"ask about the order\",\"chosen\":\"yes good\",\"rejected\":\"no\",\"split\":\"train\"}\n"
                    "{\"prompt\":\"ask about the refund\",\"chosen\":\"yes good\",\"rejected\":\"no\",\"split\":\"val\"}\n");
    QVERIFY(page->importFile(m_dir.filePath("pairs.jsonl")));
    QVERIFY2(page->statusText().contains("as pairs"), qPrintable(page->statusText()));
    QCOMPARE(page->promptCount(), 4);
    CandidateSettings s;
    s.modelDir = m_model;
    s.perPrompt = 3;
    s.maxNewTokens = 6;
    QVERIFY(page->writeAnswers(s));
    QTRY_VERIFY_WITH_TIMEOUT(!page->isWritingAnswers(), 60000);
    QVERIFY2(page->statusText().contains("Wrote 8 candidate answer(s)"), qPrintable(page->statusText()));
    for (const FeedbackPrompt& p : feedbackPrompts(*reader))
        QCOMPARE(p.candidates, 3);

    // Rate with the number keys; each rating is on disk at once; Ctrl+Z takes it back.
    page->setMode(FeedbackPage::Mode::Rate);
    page->selectPrompt(0);
    const qint64 prompt0 = feedbackPrompts(*reader).at(0).id;
    page->selectAnswer(0);
    QTest::keyClick(page->findChild<QListWidget*>("rateList"), Qt::Key_4);
    QCOMPARE(ratingsBy(*reader, prompt0, "ann").size(), 1);
    QTest::keyClick(page->findChild<QListWidget*>("rateList"), Qt::Key_Z, Qt::ControlModifier);
    QCOMPARE(ratingsBy(*reader, prompt0, "ann").size(), 0);
    page->selectPrompt(0);
    for (int r : {5, 2, 3})
        QTest::keyClick(page->findChild<QListWidget*>("rateList"), Qt::Key(Qt::Key_0 + r));
    QCOMPARE(ratingsBy(*reader, prompt0, "ann").size(), 3);
    QCOMPARE(page->currentPromptIndex(), 1); // all three rated: on to the next prompt
    QVERIFY2(page->progressText().contains("You: 3 of 12 answers rated"), qPrintable(page->progressText()));
    saveScreenshot(w, "feedback-rate");

    // Rank: Ctrl+Down moves the selected answer, Enter saves the order shown.
    page->setMode(FeedbackPage::Mode::Rank);
    page->selectPrompt(0);
    page->selectAnswer(0);
    QTest::keyClick(page->findChild<QListWidget*>("rankList"), Qt::Key_Down, Qt::ControlModifier);
    const QList<qint64> order = page->rankingOrder();
    QTest::keyClick(page->findChild<QListWidget*>("rankList"), Qt::Key_Return);
    QCOMPARE(rankingBy(*reader, prompt0, "ann"), order);
    QCOMPARE(page->currentPromptIndex(), 1);
    // Enter in the Annotator box finishes the name; it does not save the ranking shown.
    auto* name = page->findChild<QLineEdit*>("feedbackAnnotator");
    name->setFocus();
    QTRY_VERIFY(name->hasFocus());
    QTest::keyClick(name, Qt::Key_Return);
    QVERIFY(rankingBy(*reader, feedbackPrompts(*reader).at(1).id, "ann").isEmpty());

    // Choose: A / B / T; two people on the same pairs give an agreement.
    page->setMode(FeedbackPage::Mode::Choose);
    page->selectPrompt(0);
    const QPair<qint64, qint64> pair = page->currentPair();
    QTest::keyClick(page, Qt::Key_A);
    QCOMPARE(choiceBy(*reader, pair.first, pair.second, "ann"), QStringLiteral("first"));
    const QPair<qint64, qint64> second = page->currentPair();
    QTest::keyClick(page, Qt::Key_T);
    QCOMPARE(choiceBy(*reader, second.first, second.second, "ann"), QStringLiteral("tie"));
    page->setAnnotator("bob");
    page->selectPrompt(0);
    // bob starts at the first pair he has not judged, the sides drawn for him.
    const QPair<qint64, qint64> bobs = page->currentPair();
    QVERIFY(bobs == pair || bobs == qMakePair(pair.second, pair.first));
    // He prefers the answer ann preferred, wherever it shows.
    QTest::keyClick(page, bobs.first == pair.first ? Qt::Key_Left : Qt::Key_Right);
    QCOMPARE(choiceBy(*reader, pair.first, pair.second, "bob"), QStringLiteral("first"));
    // ann, bob and the imported file's choices; only ann and bob judged the same pair.
    QTRY_VERIFY2(page->progressText().contains("3 annotator(s)") && page->progressText().contains("agreement 100.0% on 1 item"),
             qPrintable(page->progressText()));
    saveScreenshot(w, "feedback-choose");
    // Every judgement was committed under its annotator: exported pairs come out of them.
    QVERIFY(page->exportFile(m_dir.filePath("out.jsonl"), PreferenceKind::Pairs));
    QVERIFY(feedbackRecords(*reader, PreferenceKind::Pairs).size() >= 4);

    // Train from feedback: a bad value is refused before anything starts.
    w.workspace()->findChild<QTabWidget*>("feedbackTabs")->setCurrentIndex(1);
    FeedbackTrainPanel* train = page->trainPanel();
    train->setMethod(FeedbackTrainPanel::Method::Reward);
    QVERIFY(train->explanation().contains("Bradley–Terry"));
    train->setModelDir(m_model);
    train->setField("lr", "7");
    QVERIFY(!train->start());
    QVERIFY2(train->statusText().contains("lr"), qPrintable(train->statusText()));
    train->setField("lr", "3e-3");
    train->setField("max_steps", "3");
    train->setField("batch_size", "2");
    train->setField("max_length", "64");
    QVERIFY(train->start());
    QTRY_VERIFY_WITH_TIMEOUT(!train->isRunning(), 120000);
    QVERIFY2(train->statusText().startsWith("Run 1 finished"), qPrintable(train->statusText()));
    QTRY_COMPARE(train->chart()->values("train", "loss").size(), 3);
    QVERIFY(!train->chart()->values("val", "pairwise_accuracy").isEmpty());
    // Then the held-out pairs are scored: one preferred and one other score per val pair.
    QTRY_VERIFY_WITH_TIMEOUT(!train->isScoring(), 60000);
    double preferred = 0, other = 0;
    for (double c : train->histogram()->counts(0))
        preferred += c;
    for (double c : train->histogram()->counts(1))
        other += c;
    double valPairs = 0;
    for (const PreferenceRecord& r : feedbackRecords(*reader, PreferenceKind::Pairs))
        valPairs += r.split == "val";
    QVERIFY(valPairs >= 1); // the imported refund pair at least
    QCOMPARE(preferred, valPairs);
    QCOMPARE(other, valPairs);
    QVERIFY2(train->statusText().contains("held-out pairs"), qPrintable(train->statusText()));
    saveScreenshot(w, "feedback-train-reward");

    train->setMethod(FeedbackTrainPanel::Method::Dpo);
    train->setModelDir(m_model);
    train->setField("beta", "zero");
    QVERIFY(!train->start());
    QVERIFY2(train->statusText().contains("β must be"), qPrintable(train->statusText()));
    train->setField("beta", "0.2");
    train->setField("lr", "0.05"); // a big step, so its answers differ from the start's (compared below)
    QVERIFY(train->start());
    QTRY_VERIFY_WITH_TIMEOUT(!train->isRunning(), 120000);
    QVERIFY2(train->statusText().startsWith("Run 2 finished"), qPrintable(train->statusText()));
    QTRY_VERIFY(!train->chart()->values("val", "reward_margin").isEmpty());

    train->setMethod(FeedbackTrainPanel::Method::Ppo);
    train->setModelDir(m_model);
    train->setRewardRun(1);
    train->setField("max_steps", "2");
    train->setField("lr", "3e-3");
    train->setField("rollout_prompts", "2");
    train->setField("max_new_tokens", "4");
    QVERIFY(train->explanation().contains("clipping"));
    QVERIFY2(train->start(), qPrintable(train->statusText()));
    QTRY_VERIFY_WITH_TIMEOUT(!train->isRunning(), 120000);
    QVERIFY2(train->statusText().startsWith("Run 3 finished"), qPrintable(train->statusText()));
    QTRY_COMPARE(train->chart()->values("train", "kl").size(), 2);
    QVERIFY(!train->chart()->values("val", "win_rate").isEmpty());
    saveScreenshot(w, "feedback-train-ppo");

    // The DPO run and its starting model answer the held-out prompts; the reward model judges each
    // pair; a person judges blind in the Choose mode and the verdict shows on the panel.
    QVERIFY2(train->verdictText().contains("Run 3 has no answers to compare yet"), qPrintable(train->verdictText()));
    QVERIFY(train->compareWithStart(2));
    QTRY_VERIFY_WITH_TIMEOUT(!train->isComparing(), 60000);
    int heldOutPrompts = 0;
    for (const FeedbackPrompt& p : feedbackPrompts(*reader))
        heldOutPrompts += p.split != "train";
    QVERIFY2(train->statusText().contains(QString("answered %1 held-out prompt(s)").arg(heldOutPrompts)) &&
                 train->statusText().contains("reward model run 1"),
             qPrintable(train->statusText()));
    qint64 heldOut = 0, tuned = 0, reference = 0;
    {
        // Scoped: an open statement would pin this connection's snapshot of the project.
        SqlQuery comparisons(reader->db(), "SELECT prompt_id, tuned_id, reference_id FROM feedback_comparisons WHERE run_id = 2");
        comparisons.exec("read the comparisons");
        QVERIFY(comparisons.next()); // DPO changed at least one answer
        heldOut = comparisons.value(0).toLongLong();
        tuned = comparisons.value(1).toLongLong();
        reference = comparisons.value(2).toLongLong();
    }
    QVERIFY2(train->verdictText().contains("No blind verdicts on run 2"), qPrintable(train->verdictText()));
    w.workspace()->findChild<QTabWidget*>("feedbackTabs")->setCurrentIndex(0);
    page->setMode(FeedbackPage::Mode::Choose);
    for (int i = 0; i < page->promptCount(); ++i)
        if (feedbackPrompts(*reader).at(i).id == heldOut)
            page->selectPrompt(i);
    // Other pairs of this prompt (written answers) come first: call them even.
    for (int guard = 0; page->currentPair() != qMakePair(tuned, reference) &&
                        page->currentPair() != qMakePair(reference, tuned);
         ++guard) {
        QVERIFY2(guard < 50, "the compared pair never showed");
        QVERIFY(page->choose(PairChoice::Tie));
    }
    QVERIFY(page->choose(page->currentPair().first == tuned ? PairChoice::First : PairChoice::Second));
    train->reload();
    QVERIFY2(train->verdictText().contains("won 1, tied 0, lost 0"), qPrintable(train->verdictText()));

    // Stopped part-way, a run resumes from the panel where it stopped (a long run, stopped twice).
    w.workspace()->findChild<QTabWidget*>("feedbackTabs")->setCurrentIndex(1);
    train->setMethod(FeedbackTrainPanel::Method::Reward);
    train->setModelDir(m_model);
    train->setField("max_steps", "100000");
    QVERIFY(train->start());
    QTRY_VERIFY_WITH_TIMEOUT(!train->chart()->values("train", "loss").isEmpty(), 60000);
    train->stop();
    QTRY_VERIFY_WITH_TIMEOUT(!train->isRunning(), 60000);
    QVERIFY2(train->statusText().startsWith("Stopped"), qPrintable(train->statusText()));
    const qint64 stopped = listRuns(*reader).last().id;
    QCOMPARE(listRuns(*reader).last().status, QStringLiteral("cancelled"));
    const auto lossSteps = [&] {
        QList<qint64> steps;
        for (const MetricPoint& m : runMetrics(*reader, stopped))
            if (m.split == "train" && m.name == "loss")
                steps << m.step;
        return steps;
    };
    const qint64 reached = lossSteps().last();
    QVERIFY(train->resume(stopped));
    QTRY_VERIFY_WITH_TIMEOUT(lossSteps().last() > reached + 2, 60000);
    train->stop();
    QTRY_VERIFY_WITH_TIMEOUT(!train->isRunning(), 60000);
    // One continuous history: every step once, in order, across the two stops.
    const QList<qint64> steps = lossSteps();
    for (int i = 0; i < steps.size(); ++i)
        QCOMPARE(steps[i], qint64(i + 1));
    QCOMPARE(listRuns(*reader).last().status, QStringLiteral("cancelled"));

    // On the Train page these runs are listed, but its classifier buttons stay off for them.
    w.workspace()->showPage(ProjectWorkspace::Train);
    TrainPage* trainPage = w.workspace()->trainPage();
    trainPage->reloadRuns();
    trainPage->runTable()->selectRow(0); // newest: the resumed reward model
    QVERIFY(!w.workspace()->findChild<QPushButton*>("resumeRun")->isEnabled());
    QVERIFY(trainPage->runTable()->item(0, 4)->text().startsWith("pairwise_accuracy"));
}

FTS_TEST_SUITE(TestGuiFeedback)
#include "tst_gui_feedback.moc"
