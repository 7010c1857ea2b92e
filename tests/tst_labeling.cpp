// Labeling: durable labels with history and undo, several annotators and the gold label, notes,
// queue and progress, agreement metrics against published worked examples, uncertainty ordering,
// label-issue finding (confident learning on out-of-fold predictions) recovering flipped labels,
// diversity ordering, and a SIGKILL test: every label a killed process reported as committed is there on reopen.
#include "Suite.h"
#include "Error.h"
#include "TestUtil.h"
#include "data/Importer.h"
#include "label/ActiveLearning.h"
#include "label/Agreement.h"
#include "label/DiversityOrder.h"
#include "label/LabelIssues.h"
#include "label/LabelSchema.h"
#include "label/Labeling.h"
#include "project/Project.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <QDir>
#include <QFile>

#include <csignal>
#include <random>
#include <set>
#include <cstdio>

using namespace fts;

class TestLabeling : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void setUndoAndHistory();
    void severalAnnotatorsAndGold();
    void notesQueueAndProgress();
    void schemaPresetsAndValidation();
    void cohenKappaWorkedExample();
    void fleissKappaWorkedExample();
    void krippendorffAlphaWorkedExample();
    void uncertaintyOrdering();
    void confidentLearningHandComputed();
    void stratifiedFoldsSpreadEachClass();
    void labelIssueFinderRecoversFlippedLabels();
    void labelIssueFinderWithModelFeatures();
    void labelIssueFinderRefusesTooFewLabels();
    void diversityOrderPicksUnlikeTextsFirst();
    void killedLabelerLosesNothing();

private:
    std::unique_ptr<Project> project(const QString& name, int rows)
    {
        auto p = Project::create(m_dir.filePath(name + ".ftproj"));
        QByteArray csv = "text,split\n";
        for (int i = 0; i < rows; ++i)
            csv += "example text " + QByteArray::number(i) + (i % 4 == 0 ? ",val\n" : ",train\n");
        test::writeFile(m_dir.filePath(name + ".csv"), csv);
        ImportOptions o;
        o.file = m_dir.filePath(name + ".csv");
        importTable(*p, o);
        return p;
    }
    QTemporaryDir m_dir;
};

namespace {

const QString kBert = QStringLiteral(FTS_FIXTURES_DIR "/models/encoders/bert");

// Fruit words make a text "food", vehicle words "travel"; one row in ten has its label flipped.
// Returns the flipped row ids (row ids are 1-based in import order).
std::set<qint64> importToyWithFlips(Project& p, const QString& csvPath, int rows)
{
    const QStringList food = {"apple", "banana", "cherry", "grape", "lemon", "mango", "pear"};
    const QStringList travel = {"car", "truck", "bus", "train", "plane", "boat", "bike"};
    const QStringList filler = {"the", "a", "is", "very", "and", "my", "today", "nice"};
    std::mt19937 rng(11);
    const auto pick = [&](const QStringList& l) { return l[int(rng() % uint32_t(l.size()))]; };
    QByteArray csv = "text,label\n";
    std::set<qint64> flipped;
    for (int i = 0; i < rows; ++i) {
        const bool isFood = i % 2 == 0;
        QStringList words;
        for (int w = 0; w < 2; ++w)
            words << pick(isFood ? food : travel);
        for (int w = 0; w < 2; ++w)
            words.insert(int(rng() % uint32_t(words.size() + 1)), pick(filler));
        const bool flip = i % 20 == 3 || i % 20 == 8; // 10%, half each way
        if (flip)
            flipped.insert(i + 1);
        csv += words.join(' ').toUtf8() + ((isFood != flip) ? ",food\n" : ",travel\n");
    }
    test::writeFile(csvPath, csv);
    ImportOptions o;
    o.file = csvPath;
    o.labelColumns = {QStringLiteral("label")};
    o.fixedSplit = QStringLiteral("train");
    importTable(p, o);
    return flipped;
}

} // namespace

void TestLabeling::setUndoAndHistory()
{
    auto p = project("undo", 3);
    const LabelChange first = setLabel(*p, 1, "sentiment", "positive", "ana");
    QVERIFY(first.previous.isNull());
    const LabelChange second = setLabel(*p, 1, "sentiment", "negative", "ana");
    QCOMPARE(second.previous, QString("positive"));
    QCOMPARE(cardRow(*p, 1, "sentiment", "ana").mine, QString("negative"));
    undoLabelChange(*p, second);
    QCOMPARE(cardRow(*p, 1, "sentiment", "ana").mine, QString("positive"));
    undoLabelChange(*p, first);
    QVERIFY(cardRow(*p, 1, "sentiment", "ana").mine.isEmpty());
    const QList<LabelHistoryEntry> history = labelHistory(*p, 1, "sentiment");
    QCOMPARE(history.size(), 3); // positive, negative, positive again: nothing is ever deleted
    for (const LabelHistoryEntry& h : history)
        QVERIFY(!h.supersededAt.isEmpty());
    QVERIFY_THROWS_EXCEPTION(Error, setLabel(*p, 99, "sentiment", "x", "ana"));
    QVERIFY_THROWS_EXCEPTION(Error, setLabel(*p, 1, "sentiment", "x", " "));
    QVERIFY_THROWS_EXCEPTION(Error, setLabel(*p, 1, "sentiment", " ", "ana"));
}

void TestLabeling::severalAnnotatorsAndGold()
{
    auto p = project("gold", 2);
    setLabel(*p, 1, "s", "positive", "ana");
    QTest::qWait(5); // distinct timestamps
    setLabel(*p, 1, "s", "neutral", "ben");
    QCOMPARE(cardRow(*p, 1, "s", "ana").gold, QString("neutral")); // most recent
    QCOMPARE(cardRow(*p, 1, "s", "ana").mine, QString("positive"));
    setLabel(*p, 1, "s", "positive", "adjudicator");
    QTest::qWait(5);
    setLabel(*p, 1, "s", "negative", "cleo");
    QCOMPARE(cardRow(*p, 1, "s", "cleo").gold, QString("positive")); // the adjudicator decides
    const ProjectSummary s = p->summary();
    QCOMPARE(s.labels.size(), 1); // one gold label for the row, not one per annotator
    QCOMPARE(s.labels.first().label, QString("positive"));
}

void TestLabeling::notesQueueAndProgress()
{
    auto p = project("queue", 8);
    setLabel(*p, 2, "s", "a", "ana");
    setLabel(*p, 5, "s", "b", "ana");
    setLabelNote(*p, 3, "s", "ana", true, "sarcastic?");
    setLabelNote(*p, 4, "s", "ana", true, QString()); // a flag without a comment
    const CardRow c = cardRow(*p, 3, "s", "ana");
    QVERIFY(c.flagged);
    QCOMPARE(c.comment, QString("sarcastic?"));
    QCOMPARE(labelingQueue(*p, "s", true), (QList<qint64>{1, 3, 4, 6, 7, 8}));
    QCOMPARE(labelingQueue(*p, "s", true, "val"), (QList<qint64>{1}));
    QCOMPARE(labelingQueue(*p, "s", false).size(), 8);
    const LabelProgress pr = labelProgress(*p, "s");
    QCOMPARE(pr.rows, 8);
    QCOMPARE(pr.labeled, 2);
    QCOMPARE(pr.perLabel.value("a"), 1);
    QCOMPARE(pr.perSplit.value("train"), (QPair<qint64, qint64>(1, 6))); // row 2
    QCOMPARE(pr.perSplit.value("val"), (QPair<qint64, qint64>(1, 2))); // rows 1 and 5 are val; 5 is labeled
}

void TestLabeling::schemaPresetsAndValidation()
{
    auto p = project("schema", 1);
    LabelSchema s = LabelSchema::preset("sentiment-3", "sentiment");
    QCOMPARE(s.names(), (QStringList{"negative", "neutral", "positive"}));
    QCOMPARE(s.indexOfKey("3"), 2);
    s.guidelines = "Judge the writer's overall verdict.";
    saveLabelSchema(*p, s);
    const LabelSchema back = loadLabelSchema(*p, "sentiment");
    QCOMPARE(back.names(), s.names());
    QCOMPARE(back.guidelines, s.guidelines);
    QCOMPARE(back.labels[0].color, s.labels[0].color);
    s.labels[1].key = "1";
    QVERIFY_THROWS_EXCEPTION(Error, saveLabelSchema(*p, s));
    QVERIFY(LabelSchema::preset("multi-label", "topic").multiLabel);
    QVERIFY_THROWS_EXCEPTION(Error, LabelSchema::preset("nonsense", "x"));
}

void TestLabeling::cohenKappaWorkedExample()
{
    // 50 items: both yes 20, A yes / B no 5, A no / B yes 10, both no 15 -> p_o = 0.7, p_e = 0.5, kappa = 0.4.
    QStringList a, b;
    auto add = [&](int n, const char* x, const char* y) {
        for (int i = 0; i < n; ++i) {
            a << x;
            b << y;
        }
    };
    add(20, "yes", "yes");
    add(5, "yes", "no");
    add(10, "no", "yes");
    add(15, "no", "no");
    QVERIFY(qAbs(cohenKappa(a, b) - 0.4) < 1e-12);
    QCOMPARE(cohenKappa({"x", "y"}, {"x", "y"}), 1.0);
    QVERIFY_THROWS_EXCEPTION(Error, cohenKappa({"x"}, {}));
}

void TestLabeling::fleissKappaWorkedExample()
{
    // Fleiss (1971)-style worked example: 10 items, 14 raters, 5 categories; kappa = 0.20993.
    const QList<QList<int>> counts = {{0, 0, 0, 0, 14}, {0, 2, 6, 4, 2}, {0, 0, 3, 5, 6}, {0, 3, 9, 2, 0},
                                      {2, 2, 8, 1, 1},  {7, 7, 0, 0, 0}, {3, 2, 6, 3, 0}, {2, 5, 3, 2, 2},
                                      {6, 5, 2, 1, 0},  {0, 2, 2, 3, 7}};
    QVERIFY2(qAbs(fleissKappa(counts) - 0.20993) < 1e-4, qPrintable(QString::number(fleissKappa(counts))));
    QVERIFY_THROWS_EXCEPTION(Error, fleissKappa({{1, 1}, {3, 0}}));
}

void TestLabeling::krippendorffAlphaWorkedExample()
{
    // Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability": 4 coders, 12 units with
    // missing values, nominal alpha = 0.743.
    const QList<QStringList> units = {{"1", "1", "1"}, {"2", "2", "3", "2"}, {"3", "3", "3", "3"},
                                      {"3", "3", "3", "3"}, {"2", "2", "2", "2"}, {"1", "2", "3", "4"},
                                      {"4", "4", "4", "4"}, {"1", "1", "2", "1"}, {"2", "2", "2", "2"},
                                      {"5", "5", "5"}, {"1", "1"}, {"3"}};
    const double alpha = krippendorffAlphaNominal(units);
    QVERIFY2(qAbs(alpha - 0.743) < 5e-4, qPrintable(QString::number(alpha, 'f', 5)));
}

void TestLabeling::uncertaintyOrdering()
{
    const QList<std::vector<double>> probs = {{0.98, 0.01, 0.01}, {0.40, 0.35, 0.25}, {0.6, 0.39, 0.01}, {0.34, 0.33, 0.33}};
    QCOMPARE(orderByUncertainty(probs, UncertaintyMeasure::LeastConfidence), (QList<int>{3, 1, 2, 0}));
    QCOMPARE(orderByUncertainty(probs, UncertaintyMeasure::Margin), (QList<int>{3, 1, 2, 0}));
    QCOMPARE(orderByUncertainty(probs, UncertaintyMeasure::Entropy), (QList<int>{3, 1, 2, 0}));
    // Margin and least confidence disagree here: (0.5, 0.5, 0) has the smallest margin.
    QCOMPARE(orderByUncertainty({{0.5, 0.5, 0.0}, {0.4, 0.3, 0.3}}, UncertaintyMeasure::Margin), (QList<int>{0, 1}));
    QCOMPARE(orderByUncertainty({{0.5, 0.5, 0.0}, {0.4, 0.3, 0.3}}, UncertaintyMeasure::LeastConfidence), (QList<int>{1, 0}));
    QVERIFY(qAbs(uncertainty({0.5, 0.5}, UncertaintyMeasure::Entropy) - std::log(2.0)) < 1e-12);
}

void TestLabeling::confidentLearningHandComputed()
{
    // Given labels 0,0,0,1,1,1. Thresholds: class 0 = mean(0.9, 0.8, 0.2) = 0.6333; class 1 =
    // mean(0.7, 0.6, 0.95) = 0.75. Row 2 (given 0, p1 0.8 >= 0.75) is confidently 1; rows 3 and 4
    // reach no threshold. Joint {{2, 1}, {0, 1}}: one of the three 0-rows is really 1 -> the
    // 0-row with the largest p1 - p0, row 2; none of the 1-rows is flagged.
    const std::vector<std::vector<double>> p = {{0.9, 0.1}, {0.8, 0.2}, {0.2, 0.8},
                                                {0.3, 0.7}, {0.4, 0.6}, {0.05, 0.95}};
    const ConfidentLearning cl = confidentLearning(p, {0, 0, 0, 1, 1, 1}, 2);
    QVERIFY(std::abs(cl.thresholds[0] - 1.9 / 3) < 1e-12);
    QVERIFY(std::abs(cl.thresholds[1] - 0.75) < 1e-12);
    QCOMPARE(cl.likely, (std::vector<int>{0, 0, 1, -1, -1, 1}));
    QCOMPARE(cl.joint, (std::vector<std::vector<qint64>>{{2, 1}, {0, 1}}));
    QCOMPARE(cl.flagged, (std::vector<int>{2}));
    // Thresholds 0.4333 and 0.6333; joint {{1, 2}, {1, 2}}: two 0-rows are really 1 (rows 2
    // and 1, the largest p1 - p0) and one 1-row is really 0 (row 4). Ranked by p(given label):
    // row 2 (0.1), row 4 (0.2), row 1 (0.3).
    const std::vector<std::vector<double>> q = {{0.9, 0.1}, {0.3, 0.7}, {0.1, 0.9}, {0.2, 0.8},
                                                {0.8, 0.2}, {0.1, 0.9}};
    const ConfidentLearning c2 = confidentLearning(q, {0, 0, 0, 1, 1, 1}, 2);
    QCOMPARE(c2.joint, (std::vector<std::vector<qint64>>{{1, 2}, {1, 2}}));
    QCOMPARE(c2.flagged, (std::vector<int>{2, 4, 1}));
    QCOMPARE(c2.likely[4], 0);
}

void TestLabeling::stratifiedFoldsSpreadEachClass()
{
    std::vector<int> labels;
    for (int i = 0; i < 53; ++i)
        labels.push_back(i < 40 ? 0 : i < 50 ? 1 : 2);
    const std::vector<int> folds = stratifiedFolds(labels, 5, 3);
    for (int c = 0; c < 3; ++c) {
        std::vector<int> perFold(5, 0);
        for (size_t i = 0; i < labels.size(); ++i)
            if (labels[i] == c)
                ++perFold[size_t(folds[i])];
        const auto [lo, hi] = std::minmax_element(perFold.begin(), perFold.end());
        QVERIFY2(*hi - *lo <= 1, qPrintable(QString("class %1").arg(c)));
    }
    QCOMPARE(stratifiedFolds(labels, 5, 3), folds); // seeded
    QVERIFY(stratifiedFolds(labels, 5, 4) != folds);
}

void TestLabeling::labelIssueFinderRecoversFlippedLabels()
{
    auto p = Project::create(m_dir.filePath("flips.ftproj"));
    const std::set<qint64> flipped = importToyWithFlips(*p, m_dir.filePath("flips.csv"), 300);
    LabelIssueOptions o;
    o.features = QStringLiteral("words");
    const LabelIssueReport r = findLabelIssues(*p, QStringLiteral("label"), o);
    QCOMPARE(r.rows, 300);
    QCOMPARE(r.features, QStringLiteral("words"));
    int hits = 0;
    for (const LabelIssue& issue : r.issues) {
        hits += flipped.count(issue.rowId) ? 1 : 0;
        QVERIFY(issue.given != issue.likely);
        QVERIFY(issue.givenProbability < issue.likelyProbability);
    }
    const double precision = double(hits) / std::max<qsizetype>(1, r.issues.size());
    const double recall = double(hits) / double(flipped.size());
    qInfo("label issues: %lld flagged, %d of %zu flips found: precision %.3f, recall %.3f, "
          "out-of-fold accuracy %.3f",
          qlonglong(r.issues.size()), hits, flipped.size(), precision, recall, r.outOfFoldAccuracy);
    QVERIFY2(recall >= 0.8, qPrintable(QString::number(recall)));
    QVERIFY2(precision >= 0.8, qPrintable(QString::number(precision)));
    // Most suspicious first.
    for (qsizetype i = 1; i < r.issues.size(); ++i)
        QVERIFY(r.issues[i - 1].givenProbability <= r.issues[i].givenProbability);
}

void TestLabeling::labelIssueFinderWithModelFeatures()
{
    // The BERT fixture with a word vocabulary: the path a project with a chosen model takes.
    QDir(m_dir.path()).mkpath("bert-words");
    const QString model = m_dir.filePath("bert-words");
    for (const char* f : {"config.json", "model.safetensors"})
        QVERIFY(QFile::copy(kBert + "/" + f, model + "/" + f));
    auto p = Project::create(m_dir.filePath("model-flips.ftproj"));
    importToyWithFlips(*p, m_dir.filePath("model-flips.csv"), 60);
    test::writeFile(model + "/vocab_words.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\napple\ncar\nthe\n");
    p->setMetaValue(QStringLiteral("model_dir"), model);
    LabelIssueOptions o; // auto: the project's model
    o.folds = 3;
    const LabelIssueReport r = findLabelIssues(*p, QStringLiteral("label"), o);
    QCOMPARE(r.features, model);
    QCOMPARE(r.rows, 60);
    QCOMPARE(r.folds, 3);
    QCOMPARE(qlonglong(r.learning.likely.size()), 60LL);
    // A broken model: "auto" falls back to words, "model" says what is wrong.
    QFile::remove(model + "/model.safetensors");
    QCOMPARE(findLabelIssues(*p, QStringLiteral("label"), o).features, QStringLiteral("words"));
    o.features = QStringLiteral("model");
    QVERIFY(!test::errorOf([&] { findLabelIssues(*p, QStringLiteral("label"), o); }).isEmpty());
}

void TestLabeling::labelIssueFinderRefusesTooFewLabels()
{
    auto p = project(QStringLiteral("few"), 12);
    setLabel(*p, 1, "s", "a", "ana");
    setLabel(*p, 2, "s", "b", "ana");
    const QString e = test::errorOf([&] { findLabelIssues(*p, QStringLiteral("s")); });
    QVERIFY2(e.contains("at least 10 labeled rows"), qPrintable(e));
    LabelIssueOptions o;
    o.folds = 1;
    QVERIFY(test::errorOf([&] { findLabelIssues(*p, QStringLiteral("s"), o); }).contains("2 to 20"));
}

void TestLabeling::diversityOrderPicksUnlikeTextsFirst()
{
    const QStringList labeled = {"the pizza was cold and late", "great pizza, fast delivery"};
    const QStringList candidates = {
        "the pizza was cold",         // close to a labeled text
        "my flight was cancelled",    // new topic
        "pizza was late and cold",    // close to a labeled text
        "the hotel room smelled bad", // new topic
        "my flight was delayed",      // close to candidate 1
    };
    const QList<int> order = orderByDiversity(candidates, labeled);
    QCOMPARE(order.size(), candidates.size());
    QCOMPARE(std::set<int>(order.begin(), order.end()).size(), size_t(candidates.size()));
    // Both new topics come before any pizza text; the second flight text after the first.
    const std::set<int> firstTwo = {order[0], order[1]};
    QVERIFY(firstTwo.count(3) == 1);
    QVERIFY(firstTwo.count(1) == 1 || firstTwo.count(4) == 1);
    QVERIFY(order.indexOf(2) >= 3 && order.indexOf(0) >= 3);
    // Limits: only the first pick is ordered, the rest keep their order.
    DiversityLimits one;
    one.picks = 1;
    const QList<int> limited = orderByDiversity(candidates, labeled, one);
    QCOMPARE(limited.size(), 5);
    QVERIFY(limited[0] == 3 || limited[0] == 1 || limited[0] == 4);
    QList<int> rest = limited.mid(1);
    QVERIFY(std::is_sorted(rest.begin(), rest.end()));
}

void TestLabeling::killedLabelerLosesNothing()
{
    for (int seed = 0; seed < 3; ++seed) {
        const QString path = m_dir.filePath(QString("kill%1.ftproj").arg(seed));
        project(QString("kill%1").arg(seed), 5000);
        QProcess writer;
        writer.start(QCoreApplication::applicationFilePath(), {fts::test::currentSuite(), "--label-writer", path});
        QVERIFY(writer.waitForStarted());
        QList<qint64> committed;
        QElapsedTimer clock;
        clock.start();
        const int killAfter = 20 + seed * 37; // different kill points
        while (committed.size() < killAfter && clock.elapsed() < 60000) {
            writer.waitForReadyRead(1000);
            while (writer.canReadLine())
                committed << writer.readLine().trimmed().mid(10).toLongLong(); // "committed N"
        }
        ::kill(pid_t(writer.processId()), SIGKILL);
        writer.waitForFinished();
        while (writer.canReadLine())
            committed << writer.readLine().trimmed().mid(10).toLongLong();
        QVERIFY(committed.size() >= killAfter);
        auto p = Project::open(path);
        for (qint64 id : committed)
            QVERIFY2(cardRow(*p, id, "sentiment", "writer").mine == QString("label%1").arg(id % 3),
                     qPrintable(QString("row %1 lost its label").arg(id)));
        qInfo("kill test %d: %lld labels reported before SIGKILL, all present", seed, qint64(committed.size()));
    }
}

// The same binary doubles as the labeling child process of killedLabelerLosesNothing.
int labelingMain(int argc, char** argv)
{
    if (argc == 3 && QByteArray(argv[1]) == "--label-writer") {
        auto p = Project::open(QString::fromLocal8Bit(argv[2]));
        for (qint64 id = 1; id <= 5000; ++id) {
            setLabel(*p, id, "sentiment", QString("label%1").arg(id % 3), "writer");
            std::printf("committed %lld\n", id); // only after setLabel returned
            std::fflush(stdout);
        }
        return 0;
    }
    TestLabeling t;
    return QTest::qExec(&t, argc, argv);
}
FTS_TEST_SUITE_MAIN(labelingMain)

#include "tst_labeling.moc"
