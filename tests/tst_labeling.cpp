// Labeling: durable labels with history and undo, several annotators and the gold label, notes,
// queue and progress, agreement metrics against published worked examples, uncertainty ordering,
// and a SIGKILL test: every label a killed process reported as committed is there on reopen.
#include "Error.h"
#include "TestUtil.h"
#include "data/Importer.h"
#include "label/ActiveLearning.h"
#include "label/Agreement.h"
#include "label/LabelSchema.h"
#include "label/Labeling.h"
#include "project/Project.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <csignal>
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

void TestLabeling::killedLabelerLosesNothing()
{
    for (int seed = 0; seed < 3; ++seed) {
        const QString path = m_dir.filePath(QString("kill%1.ftproj").arg(seed));
        project(QString("kill%1").arg(seed), 5000);
        QProcess writer;
        writer.start(QCoreApplication::applicationFilePath(), {"--label-writer", path});
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
int main(int argc, char** argv)
{
    if (argc == 3 && QByteArray(argv[1]) == "--label-writer") {
        QCoreApplication app(argc, argv);
        auto p = Project::open(QString::fromLocal8Bit(argv[2]));
        for (qint64 id = 1; id <= 5000; ++id) {
            setLabel(*p, id, "sentiment", QString("label%1").arg(id % 3), "writer");
            std::printf("committed %lld\n", id); // only after setLabel returned
            std::fflush(stdout);
        }
        return 0;
    }
    QCoreApplication app(argc, argv);
    TestLabeling t;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&t, argc, argv);
}

#include "tst_labeling.moc"
