// Few-shot prompting: shot selection (balanced, similar, random; the query never a shot; the same
// shots for a seed in every process), options, the prompt, parsing messy answers, reports with
// unanswered rows, and an end-to-end evaluation with the tiny decoder kept as a "few_shot" run.
#include "Suite.h"
#include "Error.h"
#include "data/Importer.h"
#include "deploy/DeployModel.h"
#include "deploy/Export.h"
#include "deploy/FewShot.h"
#include "deploy/FewShotJob.h"
#include "deploy/TextGenerator.h"
#include "project/Project.h"
#include "train/Metrics.h"
#include "train/TrainData.h"
#include "train/RunStore.h"
#include "train/TrainTypes.h"

#include "DeployFixtures.h"
#include "FewShotFixture.h"

#include <QTemporaryDir>
#include <QtTest>

#include <map>
#include <set>

using namespace fts;

namespace {

// Label l's texts are "w<l> ...": distinct, so a shot's origin in the pool is known by its text.
std::vector<Shot> labeledPool(const std::vector<int>& perLabel)
{
    std::vector<Shot> pool;
    for (size_t l = 0; l < perLabel.size(); ++l)
        for (int i = 0; i < perLabel[l]; ++i)
            pool.push_back({QStringLiteral("w%1 example number %2").arg(l).arg(i), int(l)});
    return pool;
}

std::map<int, int> labelCounts(const std::vector<Shot>& shots)
{
    std::map<int, int> counts;
    for (const Shot& s : shots)
        ++counts[s.label];
    return counts;
}

bool inPool(const Shot& s, const std::vector<Shot>& pool)
{
    return std::any_of(pool.begin(), pool.end(),
                       [&](const Shot& p) { return p.text == s.text && p.label == s.label; });
}

QStringList shotTexts(const std::vector<Shot>& shots)
{
    QStringList out;
    for (const Shot& s : shots)
        out << s.text;
    return out;
}

const QStringList kSentiment = {QStringLiteral("negative"), QStringLiteral("neutral"),
                                QStringLiteral("positive")};

} // namespace

class TestFewShot : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void optionsValidation();
    void selectionNames();
    void balancedSelection();
    void balancedWithScarceLabel();
    void similarSelection();
    void queryNeverAShot();
    void deterministicPerSeedAndQuery();
    void longShotsAreCut();
    void promptFormat();
    void parsing_data();
    void parsing();
    void reportCountsUnansweredAsWrong();
    void endToEndKeptAsRun();
    void scoresFollowParsedAnswers();
    void notKeptRecordsNothing();
    void cancelKeepsNothing();
    void jobReportsAndSummarises();
    void promptsShortenedToFitTheContext();
    void tooShortContextIsRefused();
    void bothOrNeitherModelRefused();

private:
    QString newToyProject(const QString& name, const QMap<QString, QString>& labelMapping = {});
    void checkScoresMatchAnswers(Project& project, const FewShotEvaluation& r, int rows, int* correct,
                                 int* unparsed);
    QTemporaryDir m_dir;
    QString m_model;
    QString m_project;
};

void TestFewShot::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_model = test::longContextGpt2Folder(m_dir.filePath(QStringLiteral("gpt2-256")));
    QVERIFY(!m_model.isEmpty());
    m_project = newToyProject(QStringLiteral("toy"));
}

QString TestFewShot::newToyProject(const QString& name, const QMap<QString, QString>& labelMapping)
{
    const QString path = m_dir.filePath(name + QStringLiteral(".ftproj"));
    auto project = Project::create(path);
    const QString csv = m_dir.filePath(name + QStringLiteral(".csv"));
    test::writeFile(csv, test::toyCsv(24, 12, 6));
    ImportOptions o;
    o.file = csv;
    o.labelMapping = labelMapping;
    importTable(*project, o);
    return path;
}

// Rows are the split's first `rows` in row id order with their gold labels; each prediction is the
// independently re-parsed answer; accuracy, unparsed count and confusion agree with them.
void TestFewShot::checkScoresMatchAnswers(Project& project, const FewShotEvaluation& r, int rows,
                                          int* correct, int* unparsed)
{
    const Evaluation& e = r.evaluation;
    QCOMPARE(e.rows.size(), rows);
    QCOMPARE(r.answers.size(), rows);
    const LabeledRows gold = loadLabeledRows(project, {}, false);
    std::vector<LabeledRow> split;
    for (const LabeledRow& g : gold.rows)
        if (g.split == e.split)
            split.push_back(g);
    *correct = 0;
    *unparsed = 0;
    for (int i = 0; i < rows; ++i) {
        QCOMPARE(e.rows[i].rowId, split[size_t(i)].rowId);
        QCOMPARE(e.rows[i].truth, split[size_t(i)].label);
        QVERIFY(e.rows[i].probabilities.empty()); // a parsed label is no probability
        const int parsed = parseFewShotAnswer(r.answers[i], gold.labels);
        QCOMPARE(e.rows[i].predicted, parsed);
        *correct += parsed == e.rows[i].truth;
        *unparsed += parsed < 0;
    }
    QCOMPARE(e.report.accuracy, *correct / double(rows));
    QCOMPARE(r.unparsed, *unparsed);
    QCOMPARE(e.report.unanswered, qint64(*unparsed));
    QCOMPARE(e.report.loss, -1.0);
    qint64 inMatrix = 0, diagonal = 0;
    for (qsizetype t = 0; t < e.report.confusion.size(); ++t)
        for (qsizetype p = 0; p < e.report.confusion[t].size(); ++p) {
            inMatrix += e.report.confusion[t][p];
            diagonal += t == p ? e.report.confusion[t][p] : 0;
        }
    QCOMPARE(inMatrix + e.report.unanswered, qint64(rows));
    QCOMPARE(diagonal, qint64(*correct));
}

void TestFewShot::optionsValidation()
{
    FewShotOptions o;
    o.validate(); // the defaults are valid
    o.k = 40;
    QCOMPARE(test::errorOf([&] { o.validate(); }), QStringLiteral("k must be between 0 and 32 (got 40)"));
    o.k = -1;
    QCOMPARE(test::errorOf([&] { o.validate(); }), QStringLiteral("k must be between 0 and 32 (got -1)"));
    o.k = 0;
    o.validate();
    o.maxNewTokens = 0;
    QCOMPARE(test::errorOf([&] { o.validate(); }),
             QStringLiteral("max_new_tokens must be between 1 and 64 (got 0)"));
    o.maxNewTokens = 65;
    QVERIFY(test::errorOf([&] { o.validate(); }).contains(QStringLiteral("(got 65)")));
    o.maxNewTokens = 64;
    o.maxShotChars = 19;
    QCOMPARE(test::errorOf([&] { o.validate(); }),
             QStringLiteral("max_shot_chars must be between 20 and 4000 (got 19)"));
    o.maxShotChars = 4001;
    QVERIFY(!test::errorOf([&] { o.validate(); }).isEmpty());

    FewShotOptions d;
    d.selection = ShotSelection::Similar;
    const QJsonObject json = d.toJson();
    QStringList keys = json.keys();
    keys.sort();
    QCOMPARE(keys, QStringList({"k", "max_new_tokens", "max_shot_chars", "seed", "selection"}));
    QCOMPARE(json.value(QLatin1String("k")).toInt(), 4);
    QCOMPARE(json.value(QLatin1String("selection")).toString(), QStringLiteral("similar"));
    QCOMPARE(json.value(QLatin1String("seed")).toInteger(), 1);
    QCOMPARE(json.value(QLatin1String("max_new_tokens")).toInt(), 8);
    QCOMPARE(json.value(QLatin1String("max_shot_chars")).toInt(), 400);
    d.seed = 18446744073709551615ULL; // beyond what a JSON number holds exactly
    QCOMPARE(d.toJson().value(QLatin1String("seed")).toString(), QStringLiteral("18446744073709551615"));
}

void TestFewShot::selectionNames()
{
    for (ShotSelection s : {ShotSelection::Random, ShotSelection::Balanced, ShotSelection::Similar})
        QCOMPARE(shotSelectionFromName(shotSelectionName(s)), s);
    QCOMPARE(shotSelectionFromName(QStringLiteral(" Balanced ")), ShotSelection::Balanced);
    const QString message = test::errorOf([] { shotSelectionFromName(QStringLiteral("nearest")); });
    QVERIFY2(message.contains(QStringLiteral("random, balanced or similar")) &&
                 message.contains(QStringLiteral("nearest")),
             qPrintable(message));
}

void TestFewShot::balancedSelection()
{
    const std::vector<Shot> pool = labeledPool({12, 9, 15});
    FewShotOptions o;
    o.selection = ShotSelection::Balanced;
    for (int k : {1, 2, 3, 4, 5, 7, 9}) {
        o.k = k;
        for (quint64 seed : {1ULL, 2ULL, 99ULL})
            for (const QString& query : {QStringLiteral("first query"), QStringLiteral("second")}) {
                o.seed = seed;
                const std::vector<Shot> shots = chooseShots(pool, 3, query, o);
                QCOMPARE(int(shots.size()), k);
                const std::map<int, int> counts = labelCounts(shots);
                QCOMPARE(int(counts.size()), std::min(k, 3)); // every label when k allows
                int low = k, high = 0;
                for (const auto& [label, n] : counts) {
                    low = std::min(low, n);
                    high = std::max(high, n);
                }
                QVERIFY2(high - low <= 1, qPrintable(QStringLiteral("k=%1 seed=%2").arg(k).arg(seed)));
                const QStringList texts = shotTexts(shots);
                QCOMPARE(int(std::set<QString>(texts.begin(), texts.end()).size()), k);
                for (const Shot& s : shots)
                    QVERIFY(inPool(s, pool));
            }
    }
    // With k below the label count, which labels come differs between queries: none always left out.
    o.k = 1;
    o.seed = 1;
    std::set<int> seen;
    for (int q = 0; q < 30; ++q)
        seen.insert(chooseShots(pool, 3, QStringLiteral("query %1").arg(q), o).front().label);
    QCOMPARE(int(seen.size()), 3);
}

void TestFewShot::balancedWithScarceLabel()
{
    // Label 2 has one example: it gets it, and the others share the rest evenly.
    const std::vector<Shot> pool = labeledPool({10, 10, 1});
    FewShotOptions o;
    o.selection = ShotSelection::Balanced;
    o.k = 7;
    const std::map<int, int> counts = labelCounts(chooseShots(pool, 3, QStringLiteral("q"), o));
    QCOMPARE(counts.at(2), 1);
    QCOMPARE(counts.at(0) + counts.at(1), 6);
    QCOMPARE(counts.at(0), 3);
    // A pool smaller than k gives every eligible row once.
    o.k = 32;
    QCOMPARE(int(chooseShots(pool, 3, QStringLiteral("q"), o).size()), 21);
}

void TestFewShot::similarSelection()
{
    const std::vector<Shot> pool = {
        {QStringLiteral("The train to Paris was late again"), 1},
        {QStringLiteral("A lovely mango and banana smoothie"), 0},
        {QStringLiteral("my bus and my train were both late"), 1},
        {QStringLiteral("Grape juice with lemon"), 0},
        {QStringLiteral("the the the the"), 1},
    };
    FewShotOptions o;
    o.selection = ShotSelection::Similar;
    o.k = 1;
    QCOMPARE(chooseShots(pool, 2, QStringLiteral("banana smoothie, please"), o).front().text, pool[1].text);
    QCOMPARE(chooseShots(pool, 2, QStringLiteral("LEMON grape?"), o).front().text, pool[3].text);
    // Nearest last (next to the query in the prompt): the bus-and-train text shares more words.
    o.k = 2;
    const std::vector<Shot> two = chooseShots(pool, 2, QStringLiteral("bus train late"), o);
    QCOMPARE(shotTexts(two), QStringList({pool[0].text, pool[2].text}));
    // No word in common: every score is 0 and the pool order decides.
    o.k = 2;
    QCOMPARE(shotTexts(chooseShots(pool, 2, QStringLiteral("zebra"), o)),
             QStringList({pool[1].text, pool[0].text}));
    // Rare words weigh more: by word counts alone the two texts tie and pool order would pick the
    // first; with IDF "paris" (in one text) outweighs "the" (in three).
    const std::vector<Shot> cars = {{QStringLiteral("the red car"), 0}, {QStringLiteral("the blue car"), 0},
                                    {QStringLiteral("the green car"), 1}, {QStringLiteral("paris red car"), 1}};
    o.k = 1;
    QCOMPARE(chooseShots(cars, 2, QStringLiteral("the paris"), o).front().text, cars[3].text);
}

void TestFewShot::queryNeverAShot()
{
    std::vector<Shot> pool = labeledPool({3, 3});
    const QString query = pool[2].text;
    pool.push_back({QStringLiteral("  ") + query + QStringLiteral(" "), 1}); // the same text, spaced
    for (ShotSelection s : {ShotSelection::Random, ShotSelection::Balanced, ShotSelection::Similar}) {
        FewShotOptions o;
        o.selection = s;
        o.k = 32;
        const std::vector<Shot> shots = chooseShots(pool, 2, query, o);
        QCOMPARE(int(shots.size()), 5);
        for (const Shot& shot : shots)
            QVERIFY2(shot.text.trimmed() != query, qPrintable(shotSelectionName(s)));
    }
}

void TestFewShot::deterministicPerSeedAndQuery()
{
    const std::vector<Shot> pool = labeledPool({20, 20, 20});
    for (ShotSelection s : {ShotSelection::Random, ShotSelection::Balanced}) {
        FewShotOptions o;
        o.selection = s;
        o.k = 4;
        const QStringList first = shotTexts(chooseShots(pool, 3, QStringLiteral("a query"), o));
        QCOMPARE(shotTexts(chooseShots(pool, 3, QStringLiteral("a query"), o)), first);
        bool differs = false;
        for (quint64 seed = 2; seed < 6 && !differs; ++seed) {
            o.seed = seed;
            differs = shotTexts(chooseShots(pool, 3, QStringLiteral("a query"), o)) != first;
        }
        QVERIFY2(differs, "another seed draws other shots");
        o.seed = 1;
        differs = false;
        for (int q = 0; q < 4 && !differs; ++q)
            differs = shotTexts(chooseShots(pool, 3, QStringLiteral("query %1").arg(q), o)) != first;
        QVERIFY2(differs, "another query draws other shots");
    }
    // The same in every process and on every machine: qHash is salted per process, this is not.
    // Expected values from a separate Python model of std::mt19937_64 seeded 7 ^ FNV-1a("fixed").
    FewShotOptions o;
    o.selection = ShotSelection::Random;
    o.k = 3;
    o.seed = 7;
    QCOMPARE(shotTexts(chooseShots(pool, 3, QStringLiteral("fixed"), o)),
             QStringList({"w0 example number 1", "w0 example number 15", "w0 example number 12"}));
}

void TestFewShot::longShotsAreCut()
{
    const std::vector<Shot> pool = {{QString(100, QLatin1Char('x')), 0}, {QStringLiteral("short one"), 1}};
    FewShotOptions o;
    o.k = 2;
    o.maxShotChars = 20;
    const std::vector<Shot> shots = chooseShots(pool, 2, QStringLiteral("q"), o);
    const auto longOne = std::find_if(shots.begin(), shots.end(), [](const Shot& s) { return s.label == 0; });
    QVERIFY(longOne != shots.end());
    QCOMPARE(longOne->text, QString(19, QLatin1Char('x')) + QChar(0x2026));
    QVERIFY(std::any_of(shots.begin(), shots.end(), [](const Shot& s) { return s.text == QLatin1String("short one"); }));
}

void TestFewShot::promptFormat()
{
    const std::vector<Shot> shots = {{QStringLiteral("Great film,\nloved it"), 2}, {QStringLiteral("Dull."), 0}};
    QCOMPARE(fewShotPrompt(kSentiment, shots, QStringLiteral("  It was fine\r\n ok ")),
             QStringLiteral("Classify each text as one of these labels: negative, neutral, positive.\n\n"
                            "Text: Great film, loved it\nLabel: positive\n\n"
                            "Text: Dull.\nLabel: negative\n\n"
                            "Text: It was fine ok\nLabel:"));
    QCOMPARE(fewShotPrompt({QStringLiteral("spam"), QStringLiteral("ham")}, {}, QStringLiteral("Win now")),
             QStringLiteral("Classify each text as one of these labels: spam, ham.\n\nText: Win now\nLabel:"));
}

void TestFewShot::parsing_data()
{
    QTest::addColumn<QString>("answer");
    QTest::addColumn<QStringList>("labels");
    QTest::addColumn<int>("expected");
    const QStringList s = kSentiment;
    QTest::newRow("exact") << "positive" << s << 2;
    QTest::newRow("leading space, full stop") << " Positive." << s << 2;
    QTest::newRow("rest of a next example") << " positive!\n\nText: awful stuff\nLabel: negative" << s << 2;
    QTest::newRow("quoted prefix") << "'neg'" << s << 0;
    QTest::newRow("label: prefix") << "Label: neutral" << s << 1;
    QTest::newRow("sentence") << "I think it is negative" << s << 0;
    QTest::newRow("upper case") << "POSITIVE" << s << 2;
    QTest::newRow("empty") << "" << s << -1;
    QTest::newRow("only spaces and breaks") << "  \n \n" << s << -1;
    QTest::newRow("unknown word") << "banana" << s << -1;
    QTest::newRow("blank first line") << "\n\n  Negative  \n" << s << 0;
    QTest::newRow("earliest of two") << "neutral, maybe positive" << s << 1;
    QTest::newRow("whole word beats earlier prefix") << "pos... no: negative" << s << 0;
    QTest::newRow("too short a prefix") << "ne" << s << -1;
    QTest::newRow("unique prefix") << "neu" << s << 1;
    QTest::newRow("ambiguous prefix, then a unique one")
        << "nega negativ" << QStringList({"negation", "negative"}) << 1;
    QTest::newRow("ambiguous only") << "nega" << QStringList({"negative", "negation"}) << -1;
    QTest::newRow("only the first line counts") << "unsure\npositive" << s << -1;
    QTest::newRow("quotes and brackets") << "\"(Neutral)\"" << s << 1;
    QTest::newRow("multi-word label, other spelling") << "Not-spam" << QStringList({"spam", "not_spam"}) << 1;
    QTest::newRow("longer label at the same place") << "very positive" << QStringList({"very", "very positive"}) << 1;
    QTest::newRow("label inside a word is no match") << "unpositiveness" << s << -1;
    QTest::newRow("digit labels") << "4 stars" << QStringList({"1", "2", "3", "4", "5"}) << 3;
    QTest::newRow("symbol label") << " + " << QStringList({"+", "-"}) << 0;
    QTest::newRow("accented") << "Négatif" << QStringList({"positif", "négatif"}) << 1;
}

void TestFewShot::parsing()
{
    QFETCH(QString, answer);
    QFETCH(QStringList, labels);
    QFETCH(int, expected);
    QCOMPARE(parseFewShotAnswer(answer, labels), expected);
}

void TestFewShot::reportCountsUnansweredAsWrong()
{
    const QStringList labels = {QStringLiteral("a"), QStringLiteral("b")};
    const ClassificationReport r = classificationReport(labels, {0, 0, 0, 1, 1}, {0, -1, 1, 1, -1});
    QCOMPARE(r.total, qint64(5));
    QCOMPARE(r.unanswered, qint64(2));
    QCOMPARE(r.accuracy, 2.0 / 5.0);
    QCOMPARE(r.confusion, QList<QList<qint64>>({{1, 1}, {0, 1}})); // unanswered in no column
    QCOMPARE(r.perClass[0].support, qint64(3));
    QCOMPARE(r.perClass[1].support, qint64(2));
    QCOMPARE(r.perClass[0].recall, 1.0 / 3.0);
    QCOMPARE(r.perClass[0].precision, 1.0);
    QCOMPARE(r.perClass[1].recall, 0.5);
    QCOMPARE(r.perClass[1].precision, 0.5);
    QCOMPARE(r.loss, -1.0); // no probabilities, no loss
    QCOMPARE(r.ece, -1.0);
    QVERIFY_THROWS_EXCEPTION(Error, classificationReport(labels, {0}, {-2}));
    QVERIFY_THROWS_EXCEPTION(Error, classificationReport(labels, {-1}, {0}));

    const QJsonObject json = r.toJson();
    QCOMPARE(json.value(QLatin1String("unanswered")).toInteger(), 2);
    QVERIFY(!classificationReport(labels, {0, 1}, {0, 1}).toJson().contains(QLatin1String("unanswered")));
    const ClassificationReport back = ClassificationReport::fromJson(json);
    QCOMPARE(back.toJson(), json);
    QCOMPARE(back.unanswered, r.unanswered);
    QCOMPARE(back.confusion, r.confusion);
}

void TestFewShot::endToEndKeptAsRun()
{
    auto project = Project::open(m_project);
    FewShotRequest request;
    request.modelDir = m_model;
    request.options.k = 2;
    request.options.selection = ShotSelection::Balanced;
    request.maxRows = 8;
    QList<std::pair<int, int>> reports;
    const FewShotEvaluation r = evaluateFewShot(*project, request, [&](int done, int total) {
        reports << std::pair{done, total};
    });
    const Evaluation& e = r.evaluation;
    QCOMPARE(e.split, QStringLiteral("val"));
    QCOMPARE(e.task, QStringLiteral("label"));
    QCOMPARE(reports.first(), std::pair(0, 8));
    QCOMPARE(reports.last(), std::pair(8, 8));
    QCOMPARE(reports.size(), 9);
    QCOMPARE(e.report.labels, QStringList({"food", "travel"}));
    int correct = 0, unparsed = 0;
    checkScoresMatchAnswers(*project, r, 8, &correct, &unparsed);
    if (QTest::currentTestFailed())
        return;
    qInfo("few-shot on the toy task: %d of 8 correct, %d unparsed; first answer '%s'", correct, unparsed,
          qPrintable(r.answers.first()));
    QCOMPARE(r.trimmedPrompts, 0);
    QCOMPARE(r.meanShots, 2.0);
    QVERIFY(r.examplePrompt.startsWith(
        QStringLiteral("Classify each text as one of these labels: food, travel.\n\nText: ")));
    QVERIFY(r.examplePrompt.endsWith(QStringLiteral("Text: %1\nLabel:").arg(e.rows[0].text.simplified())));
    QCOMPARE(r.examplePrompt.count(QStringLiteral("\nLabel: food\n")), 1); // balanced: one of each
    QCOMPARE(r.examplePrompt.count(QStringLiteral("\nLabel: travel\n")), 1);

    // Kept as a run with its settings, scores at step 0 and its evaluation.
    QVERIFY(r.runId > 0);
    const RunRecord run = loadRun(*project, r.runId);
    QCOMPARE(run.method, QStringLiteral("few_shot"));
    QVERIFY(isFewShotRunMethod(run.method));
    QCOMPARE(run.status, QStringLiteral("finished"));
    QCOMPARE(run.task, QStringLiteral("label"));
    QCOMPARE(run.modelDir, QDir(m_model).absolutePath());
    QCOMPARE(run.bestStep, qint64(0));
    QCOMPARE(run.bestMetric, e.report.macroF1);
    QVERIFY(run.bestCheckpoint.isEmpty() && run.lastCheckpoint.isEmpty());
    QCOMPARE(run.hyperparameters.value(QLatin1String("k")).toInt(), 2);
    QCOMPARE(run.hyperparameters.value(QLatin1String("selection")).toString(), QStringLiteral("balanced"));
    QCOMPARE(run.hyperparameters.value(QLatin1String("split")).toString(), QStringLiteral("val"));
    QCOMPARE(run.hyperparameters.value(QLatin1String("max_rows")).toInt(), 8);
    QVERIFY(!run.hyperparameters.contains(QLatin1String("decoder_run")));
    QCOMPARE(run.snapshot.value(QLatin1String("val")).toArray().size(), 12);
    QCOMPARE(run.snapshot.value(QLatin1String("train")).toArray().size(), 24);
    // The same data snapshot as a fine-tuned run on this project would record.
    QCOMPARE(run.snapshot.value(QLatin1String("hash")).toString().toLatin1(),
             loadTaskData(*project, {}).snapshotHash());
    QVERIFY(run.software.contains(QLatin1String("libtorch")));
    std::map<QString, double> metrics;
    for (const MetricPoint& m : runMetrics(*project, r.runId)) {
        QCOMPARE(m.step, qint64(0));
        QCOMPARE(m.split, QStringLiteral("val"));
        metrics[m.name] = m.value;
    }
    QCOMPARE(metrics.size(), size_t(4));
    QCOMPARE(metrics.at(QStringLiteral("accuracy")), e.report.accuracy);
    QCOMPARE(metrics.at(QStringLiteral("macro_f1")), e.report.macroF1);
    QCOMPARE(metrics.at(QStringLiteral("unparsed_share")), unparsed / 8.0);
    QCOMPARE(metrics.at(QStringLiteral("mean_shots")), 2.0);
    const QList<StoredEvaluation> kept = runEvaluations(*project, r.runId);
    QCOMPARE(kept.size(), 1);
    QCOMPARE(kept[0].split, QStringLiteral("val"));
    QCOMPARE(kept[0].report, e.report.toJson());
    const Evaluation forReport = keptFewShotEvaluation(*project, run);
    QCOMPARE(forReport.split, QStringLiteral("val"));
    QCOMPARE(forReport.report.toJson(), e.report.toJson());
    QVERIFY(forReport.rows.isEmpty());

    // It has no weights: every use of a trained model refuses it, saying so.
    const auto refuses = [&](const QString& message) {
        QVERIFY2(message.contains(QStringLiteral("Run %1 is a few-shot evaluation").arg(r.runId)) &&
                     message.contains(QStringLiteral("no trained weights")),
                 qPrintable(message));
    };
    ExportOptions exportOptions;
    exportOptions.outDir = m_dir.filePath(QStringLiteral("export-fewshot"));
    refuses(test::errorOf([&] { exportRun(*project, r.runId, exportOptions); }));
    refuses(test::errorOf([&] { loadDeployModel(m_project, r.runId); }));
    refuses(test::errorOf([&] { evaluateRunOnSplit(*project, r.runId, QStringLiteral("val"), {}); }));
    refuses(test::errorOf([&] { TextGenerator::loadRun(*project, r.runId); }));
    // And it is no decoder to prompt either.
    FewShotRequest onRun;
    onRun.decoderRunId = r.runId;
    onRun.keepAsRun = false;
    QVERIFY(test::errorOf([&] { evaluateFewShot(*project, onRun); }).contains(QStringLiteral("not a decoder run")));

    // Greedy answers: the same again.
    request.keepAsRun = false;
    QCOMPARE(evaluateFewShot(*project, request).answers, r.answers);
}

void TestFewShot::scoresFollowParsedAnswers()
{
    // The tiny model writes letters, not "food": with one-letter labels some answers parse, right
    // and wrong, so the scores are checked on more than unparsed rows.
    const QString path = newToyProject(QStringLiteral("letters"),
                                       {{QStringLiteral("food"), QStringLiteral("t")},
                                        {QStringLiteral("travel"), QStringLiteral("a")}});
    auto project = Project::open(path);
    FewShotRequest request;
    request.modelDir = m_model;
    request.options.k = 2;
    request.options.selection = ShotSelection::Random;
    request.split = QStringLiteral("val");
    int correct = 0, unparsed = 0;
    const FewShotEvaluation r = evaluateFewShot(*project, request);
    checkScoresMatchAnswers(*project, r, 12, &correct, &unparsed);
    if (QTest::currentTestFailed())
        return;
    qInfo("one-letter labels: %d of 12 correct, %d unparsed", correct, unparsed);
    QVERIFY2(unparsed < 12, "some answers name a label");
    const ClassificationReport& report = r.evaluation.report;
    for (int c = 0; c < 2; ++c) {
        const ClassMetrics& m = report.perClass[c];
        const qint64 tp = report.confusion[c][c];
        QCOMPARE(m.recall, m.support > 0 ? double(tp) / double(m.support) : 0.0);
        QCOMPARE(m.predicted, report.confusion[0][c] + report.confusion[1][c]);
    }
    QCOMPARE(loadRun(*project, r.runId).bestMetric, report.macroF1);
}

void TestFewShot::notKeptRecordsNothing()
{
    auto project = Project::open(m_project);
    const qsizetype runs = listRuns(*project).size();
    FewShotRequest request;
    request.modelDir = m_model;
    request.options.k = 0; // zero-shot
    request.split = QStringLiteral("test");
    request.keepAsRun = false;
    const FewShotEvaluation r = evaluateFewShot(*project, request);
    QCOMPARE(r.runId, qint64(0));
    QCOMPARE(r.evaluation.rows.size(), 6);
    QCOMPARE(r.meanShots, 0.0);
    QVERIFY(!r.examplePrompt.contains(QStringLiteral("\nLabel: ")));
    QCOMPARE(listRuns(*project).size(), runs);
    // Read-only projects can be scored without keeping, and refuse keeping before any prompting.
    project.reset();
    auto readOnly = Project::open(m_project, Project::Access::ReadOnly);
    QCOMPARE(evaluateFewShot(*readOnly, request).answers, r.answers);
    request.keepAsRun = true;
    bool prompted = false;
    const QString message = test::errorOf([&] {
        evaluateFewShot(*readOnly, request, [&](int, int) { prompted = true; });
    });
    QVERIFY2(message.contains(QStringLiteral("read-only")), qPrintable(message));
    QVERIFY(!prompted);
}

void TestFewShot::cancelKeepsNothing()
{
    auto project = Project::open(m_project);
    const qsizetype runs = listRuns(*project).size();
    std::atomic<bool> cancel{false};
    FewShotRequest request;
    request.modelDir = m_model;
    int answered = 0;
    bool cancelled = false;
    try {
        evaluateFewShot(*project, request, [&](int done, int) {
            answered = done;
            if (done == 2)
                cancel = true;
        }, &cancel);
    } catch (const Cancelled&) {
        cancelled = true;
    }
    QVERIFY(cancelled);
    QCOMPARE(answered, 2);
    QCOMPARE(listRuns(*project).size(), runs);
}

void TestFewShot::jobReportsAndSummarises()
{
    FewShotRequest request;
    request.modelDir = m_model;
    request.options.k = 3;
    request.options.selection = ShotSelection::Similar;
    request.maxRows = 3;
    FewShotJob job(m_project, request);
    QVERIFY(job.title().contains(QStringLiteral("k=3, similar")));
    QList<JobProgress> seen;
    std::atomic<bool> cancel{false};
    JobContext ctx(&cancel, [&](const JobProgress& p) { seen << p; });
    job.run(ctx);
    const FewShotEvaluation& r = job.result();
    QVERIFY(r.runId > 0);
    QCOMPARE(r.evaluation.rows.size(), 3);
    QVERIFY(!seen.isEmpty());
    QCOMPARE(seen.last().done, qint64(3));
    QCOMPARE(seen.last().total, qint64(3));
    const QString summary = job.summary();
    QVERIFY2(summary.startsWith(QStringLiteral("Few-shot (k=3, similar): accuracy %1, macro F1 %2 on 3 val rows; ")
                                    .arg(r.evaluation.report.accuracy, 0, 'f', 3)
                                    .arg(r.evaluation.report.macroF1, 0, 'f', 3)),
             qPrintable(summary));
    QVERIFY2(summary.endsWith(QStringLiteral("kept as run %1").arg(r.runId)), qPrintable(summary));
    QVERIFY(summary.contains(QStringLiteral("unparsed")));

    // Cancelled from the start: Cancelled, as every job reports it.
    cancel = true;
    FewShotJob again(m_project, request);
    JobContext cancelled(&cancel, {});
    QVERIFY_THROWS_EXCEPTION(Cancelled, again.run(cancelled));
}

void TestFewShot::promptsShortenedToFitTheContext()
{
    // 256 positions hold the instruction, the query and a few examples, not 12.
    auto project = Project::open(m_project);
    FewShotRequest request;
    request.modelDir = m_model;
    request.options.k = 12;
    request.maxRows = 3;
    request.keepAsRun = false;
    const FewShotEvaluation r = evaluateFewShot(*project, request);
    QCOMPARE(r.trimmedPrompts, 3);
    QVERIFY2(r.meanShots > 0 && r.meanShots < 12, qPrintable(QString::number(r.meanShots)));
    const auto generator = TextGenerator::loadFolder(m_model);
    GenerateRequest g;
    g.prompt = r.examplePrompt;
    QVERIFY(int(generator->promptIds(g).size()) + request.options.maxNewTokens <= generator->contextLength());
    // A query too long for any context is cut at its end, not refused.
    FewShotRequest longQuery = request;
    longQuery.options.k = 0;
    const QString path = m_dir.filePath(QStringLiteral("long.ftproj"));
    {
        auto p = Project::create(path);
        QByteArray csv = "text,label,split\n";
        csv += "apple,food,train\nbus,travel,train\n";
        csv += QByteArray("mango ").repeated(100) + ",food,val\n";
        csv += "car,travel,val\n";
        test::writeFile(m_dir.filePath(QStringLiteral("long.csv")), csv);
        ImportOptions o;
        o.file = m_dir.filePath(QStringLiteral("long.csv"));
        importTable(*p, o);
    }
    auto longProject = Project::open(path);
    const FewShotEvaluation cut = evaluateFewShot(*longProject, longQuery);
    QCOMPARE(cut.evaluation.rows.size(), 2);
    QCOMPARE(cut.trimmedPrompts, 1);
    QVERIFY(cut.examplePrompt.endsWith(QStringLiteral("%1\nLabel:").arg(QChar(0x2026))));
}

void TestFewShot::tooShortContextIsRefused()
{
    // The fixture as shipped reads 64 tokens: not even the instruction fits.
    const QString shortModel = test::gpt2FixtureFolder(m_dir.filePath(QStringLiteral("gpt2-64")));
    QVERIFY(!shortModel.isEmpty());
    auto project = Project::open(m_project);
    FewShotRequest request;
    request.modelDir = shortModel;
    request.maxRows = 1;
    const QString message = test::errorOf([&] { evaluateFewShot(*project, request); });
    QVERIFY2(message.contains(QStringLiteral("reads at most 64 tokens")), qPrintable(message));
}

void TestFewShot::bothOrNeitherModelRefused()
{
    auto project = Project::open(m_project);
    FewShotRequest request;
    QVERIFY(test::errorOf([&] { evaluateFewShot(*project, request); }).contains(QStringLiteral("needs a decoder")));
    request.modelDir = m_model;
    request.decoderRunId = 1;
    QVERIFY(test::errorOf([&] { evaluateFewShot(*project, request); }).contains(QStringLiteral("not both")));
    request.decoderRunId = 0;
    request.split = QStringLiteral("holdout");
    QVERIFY(test::errorOf([&] { evaluateFewShot(*project, request); }).contains(QStringLiteral("holdout split")));
    request.split = QStringLiteral("val");
    request.options.k = 33;
    QCOMPARE(test::errorOf([&] { evaluateFewShot(*project, request); }),
             QStringLiteral("k must be between 0 and 32 (got 33)"));
}

FTS_TEST_SUITE(TestFewShot)
#include "tst_fewshot.moc"
