// Feedback stored in the project: judgements with history and undo, progress, agreement against
// hand-computed values, the JSONL forms in and out (a bad line changes nothing), candidate
// generation with a decoder, and a reward model trained on judgements made through the store.
#include "Suite.h"
#include "CharTokenizer.h"
#include "DecoderFixture.h"
#include "TestUtil.h"

#include "Error.h"
#include "align/RewardTrainer.h"
#include "feedback/CandidateJob.h"
#include "feedback/Feedback.h"
#include "jobs/Job.h"
#include "project/Project.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <random>

using namespace fts;

namespace {

const QString kGpt2 = QStringLiteral(FTS_FIXTURES_DIR "/models/decoders/gpt2/");

int countRows(Project& p, const char* table)
{
    SqlQuery q(p.db(), QStringLiteral("SELECT COUNT(*) FROM %1").arg(QLatin1String(table)));
    q.exec("count");
    return q.next() ? q.value(0).toInt() : -1;
}

using test::errorOf;

} // namespace

class TestFeedback : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void judgementsSupersedeAndUndo();
    void badJudgementsAreRefused();
    void progressAndAgreement();
    void recordsInTheThreeForms();
    void importIsAllOrNothing();
    void exportRoundTrips();
    void promptImportAndSplits();
    void snapshotForTraining();
    void generatesCandidatesWithADecoder();
    void rewardModelLearnsFromJudgements();
    void comparisonsSidesUndoAndRepeats();

private:
    std::unique_ptr<Project> fresh(const QString& name);
    QTemporaryDir m_dir;
};

void TestFeedback::initTestCase()
{
    QVERIFY(m_dir.isValid());
}

std::unique_ptr<Project> TestFeedback::fresh(const QString& name)
{
    return Project::create(m_dir.filePath(name + QStringLiteral(".ftproj")));
}

void TestFeedback::judgementsSupersedeAndUndo()
{
    auto p = fresh(QStringLiteral("undo"));
    const qint64 prompt = addFeedbackPrompt(*p, QStringLiteral("  Greet a customer. "), QStringLiteral("typed"));
    QCOMPARE(addFeedbackPrompt(*p, QStringLiteral("Greet a customer."), QStringLiteral("typed")), prompt);
    const qint64 a = addFeedbackCandidate(*p, prompt, QStringLiteral("Hello!"), QStringLiteral("typed"));
    const qint64 b = addFeedbackCandidate(*p, prompt, QStringLiteral("What do you want?"), QStringLiteral("typed"));
    QCOMPARE(feedbackPrompts(*p).at(0).candidates, 2);
    QCOMPARE(feedbackPrompts(*p).at(0).text, QStringLiteral("Greet a customer."));

    const JudgementChange first = rateCandidate(*p, a, 3, QStringLiteral("ann"));
    QCOMPARE(first.replaced, 0);
    const JudgementChange second = rateCandidate(*p, a, 5, QStringLiteral("ann"));
    QCOMPARE(second.replaced, first.added);
    QCOMPARE(ratingsBy(*p, prompt, QStringLiteral("ann")).value(a), 5.0);
    QCOMPARE(countRows(*p, "feedback_judgements"), 2); // history kept
    undoJudgement(*p, second);
    QCOMPARE(ratingsBy(*p, prompt, QStringLiteral("ann")).value(a), 3.0);
    undoJudgement(*p, first);
    QVERIFY(ratingsBy(*p, prompt, QStringLiteral("ann")).isEmpty());

    rankCandidates(*p, prompt, {b, a}, QStringLiteral("ann"));
    QCOMPARE(rankingBy(*p, prompt, QStringLiteral("ann")), (QList<qint64>{b, a}));
    choosePair(*p, b, a, PairChoice::Second, QStringLiteral("ann"));
    QCOMPARE(choiceBy(*p, b, a, QStringLiteral("ann")), QStringLiteral("second"));
    QCOMPARE(choiceBy(*p, a, b, QStringLiteral("ann")), QStringLiteral("first")); // same pair, other order
    choosePair(*p, a, b, PairChoice::Tie, QStringLiteral("ann"));
    QCOMPARE(choiceBy(*p, a, b, QStringLiteral("ann")), QStringLiteral("tie"));
    QVERIFY(choiceBy(*p, a, b, QStringLiteral("other")).isEmpty());

    // Committed at once: a second connection sees every judgement.
    auto reader = Project::open(p->path(), Project::Access::ReadOnly);
    QCOMPARE(rankingBy(*reader, prompt, QStringLiteral("ann")), (QList<qint64>{b, a}));
}

void TestFeedback::badJudgementsAreRefused()
{
    auto p = fresh(QStringLiteral("bad"));
    const qint64 one = addFeedbackPrompt(*p, QStringLiteral("one"), QStringLiteral("typed"));
    const qint64 two = addFeedbackPrompt(*p, QStringLiteral("two"), QStringLiteral("typed"));
    const qint64 a = addFeedbackCandidate(*p, one, QStringLiteral("a"), QStringLiteral("typed"));
    const qint64 b = addFeedbackCandidate(*p, one, QStringLiteral("b"), QStringLiteral("typed"));
    const qint64 c = addFeedbackCandidate(*p, two, QStringLiteral("c"), QStringLiteral("typed"));
    QVERIFY(errorOf([&] { rateCandidate(*p, a, 6, QStringLiteral("x")); }).contains(QStringLiteral("from 1 (worst) to 5 (best)")));
    QVERIFY(errorOf([&] { rateCandidate(*p, a, 4, QStringLiteral(" ")); }).contains(QStringLiteral("Annotator")));
    QVERIFY(errorOf([&] { rateCandidate(*p, 999, 4, QStringLiteral("x")); }).contains(QStringLiteral("no candidate answer 999")));
    QVERIFY(errorOf([&] { rankCandidates(*p, one, {a}, QStringLiteral("x")); }).contains(QStringLiteral("exactly once")));
    QVERIFY(errorOf([&] { rankCandidates(*p, one, {a, a}, QStringLiteral("x")); }).contains(QStringLiteral("exactly once")));
    QVERIFY(errorOf([&] { rankCandidates(*p, two, {c}, QStringLiteral("x")); }).contains(QStringLiteral("fewer than two")));
    QVERIFY(errorOf([&] { choosePair(*p, a, c, PairChoice::First, QStringLiteral("x")); }).contains(QStringLiteral("same prompt")));
    QVERIFY(errorOf([&] { choosePair(*p, a, a, PairChoice::First, QStringLiteral("x")); }).contains(QStringLiteral("same prompt")));
    QVERIFY(errorOf([&] { addFeedbackPrompt(*p, QStringLiteral("  "), QStringLiteral("typed")); }).contains(QStringLiteral("empty")));
    QVERIFY(errorOf([&] { addFeedbackPrompt(*p, QStringLiteral("x"), QStringLiteral("typed"), QStringLiteral("dev")); }).contains(QStringLiteral("train, val or test")));
    QCOMPARE(countRows(*p, "feedback_judgements"), 0);
    Q_UNUSED(b);
}

void TestFeedback::progressAndAgreement()
{
    auto p = fresh(QStringLiteral("agree"));
    // Three prompts with two answers each: three pairs. A and B agree on two of them.
    QList<QPair<qint64, qint64>> pairs;
    for (int i = 0; i < 3; ++i) {
        const qint64 prompt = addFeedbackPrompt(*p, QStringLiteral("prompt %1").arg(i), QStringLiteral("typed"));
        pairs.push_back({addFeedbackCandidate(*p, prompt, QStringLiteral("x"), QStringLiteral("typed")),
                         addFeedbackCandidate(*p, prompt, QStringLiteral("y"), QStringLiteral("typed"))});
    }
    choosePair(*p, pairs[0].first, pairs[0].second, PairChoice::First, QStringLiteral("A"));
    choosePair(*p, pairs[0].first, pairs[0].second, PairChoice::First, QStringLiteral("B"));
    choosePair(*p, pairs[1].first, pairs[1].second, PairChoice::Second, QStringLiteral("A"));
    choosePair(*p, pairs[1].first, pairs[1].second, PairChoice::Second, QStringLiteral("B"));
    choosePair(*p, pairs[2].first, pairs[2].second, PairChoice::First, QStringLiteral("A"));
    choosePair(*p, pairs[2].first, pairs[2].second, PairChoice::Second, QStringLiteral("B"));

    const FeedbackProgress progress = feedbackProgress(*p, FeedbackKind::Choice, QStringLiteral("A"));
    QCOMPARE(progress.items, 3);
    QCOMPARE(progress.judged, 3);
    QCOMPARE(feedbackProgress(*p, FeedbackKind::Rating, QStringLiteral("A")).items, 6);
    QCOMPARE(feedbackProgress(*p, FeedbackKind::Rating, QStringLiteral("A")).judged, 0);
    QCOMPARE(feedbackProgress(*p, FeedbackKind::Ranking, QStringLiteral("A")).items, 3);

    // By hand: units (x,x), (y,y), (x,y): coincidences o_xx = o_yy = 2, o_xy = o_yx = 1, n = 6;
    // D_o = 2/6, D_e = 2*3*3/(6*5) = 0.6, alpha = 1 - (1/3)/0.6 = 4/9.
    const FeedbackAgreement a = feedbackAgreement(*p, FeedbackKind::Choice);
    QCOMPARE(a.items, 3);
    QCOMPARE(a.annotators, 2);
    QVERIFY(qAbs(a.percent - 200.0 / 3.0) < 1e-9);
    QVERIFY2(qAbs(a.alpha - 4.0 / 9.0) < 1e-9, qPrintable(QString::number(a.alpha)));

    // Rankings count as the pairs they imply: two rankers who agree fully give 100%.
    const qint64 prompt = addFeedbackPrompt(*p, QStringLiteral("rank me"), QStringLiteral("typed"));
    const qint64 r1 = addFeedbackCandidate(*p, prompt, QStringLiteral("r1"), QStringLiteral("typed"));
    const qint64 r2 = addFeedbackCandidate(*p, prompt, QStringLiteral("r2"), QStringLiteral("typed"));
    const qint64 r3 = addFeedbackCandidate(*p, prompt, QStringLiteral("r3"), QStringLiteral("typed"));
    rankCandidates(*p, prompt, {r2, r1, r3}, QStringLiteral("A"));
    rankCandidates(*p, prompt, {r2, r1, r3}, QStringLiteral("B"));
    const FeedbackAgreement ranked = feedbackAgreement(*p, FeedbackKind::Ranking);
    QCOMPARE(ranked.items, 3);
    QCOMPARE(ranked.percent, 100.0);
}

void TestFeedback::recordsInTheThreeForms()
{
    auto p = fresh(QStringLiteral("records"));
    const qint64 prompt = addFeedbackPrompt(*p, QStringLiteral("q"), QStringLiteral("typed"), QStringLiteral("val"));
    const qint64 a = addFeedbackCandidate(*p, prompt, QStringLiteral("a"), QStringLiteral("typed"));
    const qint64 b = addFeedbackCandidate(*p, prompt, QStringLiteral("b"), QStringLiteral("typed"));
    const qint64 c = addFeedbackCandidate(*p, prompt, QStringLiteral("c"), QStringLiteral("typed"));
    rankCandidates(*p, prompt, {c, a, b}, QStringLiteral("A"));        // 3 pairs: c>a, c>b, a>b
    choosePair(*p, a, b, PairChoice::Second, QStringLiteral("A"));      // 1 pair: b>a
    choosePair(*p, a, c, PairChoice::Tie, QStringLiteral("A"));         // no pair
    rateCandidate(*p, a, 5, QStringLiteral("B"));
    rateCandidate(*p, b, 3, QStringLiteral("B"));
    rateCandidate(*p, c, 3, QStringLiteral("B"));                        // 2 pairs: a>b, a>c
    rateCandidate(*p, c, 1, QStringLiteral("C"));                        // alone: no pair

    const std::vector<PreferenceRecord> pairs = feedbackRecords(*p, PreferenceKind::Pairs);
    QStringList seen;
    for (const PreferenceRecord& r : pairs) {
        QCOMPARE(r.prompt, QStringLiteral("q"));
        QCOMPARE(r.split, QStringLiteral("val"));
        seen << r.responses.join(QStringLiteral(">"));
    }
    seen.sort();
    QCOMPARE(seen, (QStringList{"a>b", "a>b", "a>c", "b>a", "c>a", "c>b"}));
    QCOMPARE(feedbackRecords(*p, PreferenceKind::Ratings).size(), size_t(4));
    const std::vector<PreferenceRecord> ranks = feedbackRecords(*p, PreferenceKind::Rankings);
    QCOMPARE(ranks.size(), size_t(1));
    QCOMPARE(ranks[0].responses, (QStringList{"c", "a", "b"}));
}

void TestFeedback::importIsAllOrNothing()
{
    auto p = fresh(QStringLiteral("import"));
    const QString bad = m_dir.filePath(QStringLiteral("bad.jsonl"));
    test::writeFile(bad, "{\"prompt\":\"p1\",\"chosen\":\"yes\",\"rejected\":\"no\"}\n"
                         "{\"prompt\":\"p2\",\"chosen\":\"yes\",\"rejected\":\"no\"}\n"
                         "{\"prompt\":\"p3\",\"chosen\":\"yes\"}\n");
    const QString message = errorOf([&] { importFeedbackFile(*p, bad, QStringLiteral("pairs")); });
    QVERIFY2(message.contains(QStringLiteral("line 3")) && message.contains(QStringLiteral("rejected")),
             qPrintable(message));
    QCOMPARE(countRows(*p, "feedback_prompts"), 0);
    QCOMPARE(countRows(*p, "feedback_candidates"), 0);

    const QString same = m_dir.filePath(QStringLiteral("same.jsonl"));
    test::writeFile(same, "{\"prompt\":\"p1\",\"chosen\":\"yes\",\"rejected\":\"yes\"}\n");
    QVERIFY(errorOf([&] { importFeedbackFile(*p, same, QStringLiteral("pairs")); }).contains(QStringLiteral("line 1")));
    const QString split = m_dir.filePath(QStringLiteral("split.jsonl"));
    test::writeFile(split, "{\"prompt\":\"p1\",\"chosen\":\"a\",\"rejected\":\"b\",\"split\":\"dev\"}\n");
    QVERIFY(errorOf([&] { importFeedbackFile(*p, split, QStringLiteral("pairs")); }).contains(QStringLiteral("train, val or test")));
    QCOMPARE(countRows(*p, "feedback_prompts"), 0);

    const QString good = m_dir.filePath(QStringLiteral("rank.jsonl"));
    test::writeFile(good, "{\"prompt\":\"p1\",\"responses\":[\"a\",\"b\",\"c\"],\"split\":\"test\"}\n"
                          "{\"prompt\":\"p2\",\"responses\":[\"d\",\"e\"]}\n");
    const FeedbackImport r = importFeedbackFile(*p, good, QStringLiteral("rankings"));
    QCOMPARE(r.prompts, 2);
    QCOMPARE(r.candidates, 5);
    QCOMPARE(r.judgements, 2);
    QCOMPARE(feedbackPrompts(*p).at(0).split, QStringLiteral("test"));
    QCOMPARE(feedbackPrompts(*p).at(1).split, promptSplitFor(QStringLiteral("p2")));
    QCOMPARE(feedbackPrompts(*p).at(0).source, QStringLiteral("import:rank.jsonl"));
    QCOMPARE(rankingBy(*p, feedbackPrompts(*p).at(0).id, QStringLiteral("import:rank.jsonl")).size(), 3);
}

void TestFeedback::exportRoundTrips()
{
    auto p = fresh(QStringLiteral("export"));
    const QString file = m_dir.filePath(QStringLiteral("pairs.jsonl"));
    test::writeFile(file, "{\"prompt\":\"p1\",\"chosen\":\"good answer\",\"rejected\":\"bad\",\"split\":\"train\"}\n"
                          "{\"prompt\":\"p2\",\"chosen\":\"fine\",\"rejected\":\"poor\",\"split\":\"val\"}\n");
    importFeedbackFile(*p, file, QStringLiteral("pairs"));
    const QString out = m_dir.filePath(QStringLiteral("out.jsonl"));
    QCOMPARE(exportFeedbackJsonl(*p, out, PreferenceKind::Pairs), 2);
    const std::vector<PreferenceRecord> back = readPreferenceJsonl(out, PreferenceKind::Pairs);
    QCOMPARE(back.size(), size_t(2));
    QCOMPARE(back[0].responses, (QStringList{"good answer", "bad"}));
    QCOMPARE(back[1].split, QStringLiteral("val"));
    // Nothing rated: a clear error, and no file written.
    const QString none = m_dir.filePath(QStringLiteral("none.jsonl"));
    QVERIFY(errorOf([&] { exportFeedbackJsonl(*p, none, PreferenceKind::Ratings); }).contains(QStringLiteral("no ratings")));
    QVERIFY(!QFile::exists(none));
    // Into a second project: the same records.
    auto q = fresh(QStringLiteral("export2"));
    importFeedbackFile(*q, out, QStringLiteral("pairs"));
    QCOMPARE(feedbackRecords(*q, PreferenceKind::Pairs).size(), size_t(2));
    QCOMPARE(feedbackRecords(*q, PreferenceKind::Pairs)[1].prompt, QStringLiteral("p2"));
}

void TestFeedback::promptImportAndSplits()
{
    auto p = fresh(QStringLiteral("prompts"));
    const QString file = m_dir.filePath(QStringLiteral("prompts.txt"));
    test::writeFile(file, "How do I reset my password?\n\n{\"prompt\":\"Summarise the refund policy.\",\"split\":\"val\"}\n"
                          "How do I reset my password?\n");
    const FeedbackImport r = importFeedbackFile(*p, file, QStringLiteral("prompts"));
    QCOMPARE(r.prompts, 2); // the repeated line is the same prompt
    QCOMPARE(feedbackPrompts(*p).at(1).split, QStringLiteral("val"));
    const QString bad = m_dir.filePath(QStringLiteral("prompts-bad.jsonl"));
    test::writeFile(bad, "one\n{\"text\":\"no prompt field\"}\n");
    QVERIFY(errorOf([&] { importFeedbackFile(*p, bad, QStringLiteral("prompts")); }).contains(QStringLiteral("line 2")));
    QCOMPARE(feedbackPrompts(*p).size(), 2);
    QVERIFY(errorOf([&] { importFeedbackFile(*p, file, QStringLiteral("votes")); }).contains(QStringLiteral("pairs, ratings or rankings")));

    // Splits from the text's hash: stable and about 80/10/10.
    QMap<QString, int> counts;
    for (int i = 0; i < 2000; ++i)
        ++counts[promptSplitFor(QStringLiteral("prompt number %1").arg(i))];
    QCOMPARE(promptSplitFor(QStringLiteral("prompt number 7")), promptSplitFor(QStringLiteral("prompt number 7")));
    QVERIFY2(counts.value("train") > 1500 && counts.value("train") < 1700, qPrintable(QString::number(counts.value("train"))));
    QVERIFY(counts.value("val") > 120 && counts.value("test") > 120);
}

void TestFeedback::snapshotForTraining()
{
    auto p = fresh(QStringLiteral("snapshot"));
    QVERIFY(errorOf([&] { writeFeedbackSnapshot(*p, PreferenceKind::Pairs); }).contains(QStringLiteral("no preference pairs")));
    const qint64 val = addFeedbackPrompt(*p, QStringLiteral("v"), QStringLiteral("typed"), QStringLiteral("val"));
    const qint64 a = addFeedbackCandidate(*p, val, QStringLiteral("a"), QStringLiteral("typed"));
    const qint64 b = addFeedbackCandidate(*p, val, QStringLiteral("b"), QStringLiteral("typed"));
    choosePair(*p, a, b, PairChoice::First, QStringLiteral("A"));
    QVERIFY(errorOf([&] { writeFeedbackSnapshot(*p, PreferenceKind::Pairs); }).contains(QStringLiteral("training prompts")));
    const qint64 train = addFeedbackPrompt(*p, QStringLiteral("t"), QStringLiteral("typed"), QStringLiteral("train"));
    const qint64 c = addFeedbackCandidate(*p, train, QStringLiteral("c"), QStringLiteral("typed"));
    const qint64 d = addFeedbackCandidate(*p, train, QStringLiteral("d"), QStringLiteral("typed"));
    choosePair(*p, c, d, PairChoice::Second, QStringLiteral("A"));
    const QString path = writeFeedbackSnapshot(*p, PreferenceKind::Pairs);
    QVERIFY2(path.startsWith(p->artifactsDir() + "/feedback/pairs-"), qPrintable(path));
    const std::vector<PreferenceRecord> back = readPreferenceJsonl(path, PreferenceKind::Pairs);
    QCOMPARE(back.size(), size_t(2));
    QCOMPARE(back[1].responses, (QStringList{"d", "c"}));
    const QString prompts = writeFeedbackPromptSnapshot(*p);
    QFile promptFile(prompts);
    QVERIFY(promptFile.open(QIODevice::ReadOnly));
    QCOMPARE(promptFile.readAll().count('\n'), 2);
}

void TestFeedback::generatesCandidatesWithADecoder()
{
    const QString model = test::gpt2FixtureFolder(m_dir.filePath(QStringLiteral("gpt2")));
    QVERIFY(!model.isEmpty());

    const QString path = m_dir.filePath(QStringLiteral("generate.ftproj"));
    {
        auto p = Project::create(path);
        addFeedbackPrompt(*p, QStringLiteral("say hello"), QStringLiteral("typed"));
        const qint64 second = addFeedbackPrompt(*p, QStringLiteral("say goodbye"), QStringLiteral("typed"));
        addFeedbackCandidate(*p, second, QStringLiteral("bye"), QStringLiteral("typed"));
    }
    CandidateSettings s;
    s.modelDir = model;
    s.perPrompt = 3;
    s.maxNewTokens = 8;
    s.temperature = 1.0;
    GenerateCandidatesJob job(path, s);
    std::atomic<bool> cancel{false};
    JobContext ctx(&cancel, [](const JobProgress&) {});
    job.run(ctx);
    QCOMPARE(job.generated(), 5); // 3 for the first prompt, 2 more for the second
    auto p = Project::open(path);
    const QList<FeedbackPrompt> prompts = feedbackPrompts(*p);
    QCOMPARE(prompts.at(0).candidates, 3);
    QCOMPARE(prompts.at(1).candidates, 3);
    const QList<FeedbackCandidate> made = feedbackCandidates(*p, prompts.at(0).id);
    QCOMPARE(made.at(0).origin, QStringLiteral("generated"));
    QCOMPARE(made.at(0).settings.value("temperature").toDouble(), 1.0);
    QCOMPARE(made.at(0).settings.value("max_new_tokens").toInt(), 8);
    QVERIFY(!made.at(0).settings.value("seed").toString().isEmpty());
    QVERIFY(made.at(0).settings.value("seed") != made.at(1).settings.value("seed"));
    // Run again: nothing is missing, nothing is added.
    GenerateCandidatesJob again(path, s);
    again.run(ctx);
    QCOMPARE(again.generated(), 0);
    // One more per prompt: new draws, not the stored ones again.
    s.perPrompt = 4;
    GenerateCandidatesJob topUp(path, s);
    topUp.run(ctx);
    QCOMPARE(topUp.generated(), 2);
    QCOMPARE(feedbackCandidates(*p, prompts.at(0).id).size(), 4);

    CandidateSettings wrong = s;
    wrong.temperature = 0;
    QVERIFY(errorOf([&] { validateCandidateSettings(wrong); }).contains(QStringLiteral("Temperature")));
    wrong = s;
    wrong.perPrompt = 1;
    QVERIFY(errorOf([&] { validateCandidateSettings(wrong); }).contains(QStringLiteral("from 2 to 16")));
}

void TestFeedback::rewardModelLearnsFromJudgements()
{
    // Two people rate answers; both prefer answers with the word "good". The reward model trains
    // on the pairs the ratings imply, through the snapshot a GUI or CLI run uses.
    auto p = fresh(QStringLiteral("reward"));
    const QStringList words = {"red", "blue", "tan", "gray", "pink", "teal"};
    std::mt19937 rng(3);
    const auto some = [&](int n) {
        QStringList out;
        for (int i = 0; i < n; ++i)
            out << words[int(rng() % uint32_t(words.size()))];
        return out;
    };
    for (int i = 0; i < 320; ++i) {
        const qint64 prompt = addFeedbackPrompt(*p, QStringLiteral("color %1").arg(i), QStringLiteral("typed"),
                                                i < 256 ? QStringLiteral("train") : QStringLiteral("val"));
        QStringList good = some(3);
        good.insert(int(rng() % 4), QStringLiteral("good"));
        const qint64 g = addFeedbackCandidate(*p, prompt, good.join(' '), QStringLiteral("typed"));
        const qint64 b = addFeedbackCandidate(*p, prompt, some(4).join(' '), QStringLiteral("typed"));
        const QString who = i % 2 ? QStringLiteral("ann") : QStringLiteral("bob");
        rateCandidate(*p, g, 4 + int(rng() % 2), who);
        rateCandidate(*p, b, 1 + int(rng() % 3), who);
    }
    AlignOptions o;
    o.modelDir = kGpt2;
    o.dataFile = writeFeedbackSnapshot(*p, PreferenceKind::Pairs);
    o.task = QStringLiteral("pairs");
    o.tokenizer = std::make_shared<test::CharTokenizer>();
    o.hp.method = QStringLiteral("full");
    o.hp.lr = 3e-3;
    o.hp.batchSize = 8;
    o.hp.maxSteps = 240;
    o.hp.warmupRatio = 0.1;
    o.hp.maxLength = 64;
    o.hp.evalEvery = 40;
    o.hp.dropout = 0;
    const AlignResult r = RewardTrainer(*p, o).run();
    const double before = r.before.value(QStringLiteral("pairwise_accuracy"));
    const double after = r.after.value(QStringLiteral("pairwise_accuracy"));
    qInfo("reward model from stored ratings: held-out pairwise accuracy %.3f -> %.3f", before, after);
    QVERIFY2(after > 0.9, qPrintable(QString::number(after)));
}

void TestFeedback::comparisonsSidesUndoAndRepeats()
{
    auto p = fresh(QStringLiteral("compare"));
    const qint64 prompt = addFeedbackPrompt(*p, QStringLiteral("q"), QStringLiteral("typed"), QStringLiteral("val"));
    const qint64 reference = addFeedbackCandidate(*p, prompt, QStringLiteral("base answer"), QStringLiteral("reference-of-run:1"));
    const qint64 tuned1 = addFeedbackCandidate(*p, prompt, QStringLiteral("run 1 answer"), QStringLiteral("run:1"));
    const qint64 tuned2 = addFeedbackCandidate(*p, prompt, QStringLiteral("run 2 answer"), QStringLiteral("run:2"));
    // Run 2 started from the same model: its reference answer is the one already stored for run 1.
    recordComparison(*p, 1, prompt, tuned1, reference);
    recordComparison(*p, 2, prompt, tuned2, reference);
    QCOMPARE(comparedRuns(*p), (QList<qint64>{1, 2}));
    choosePair(*p, reference, tuned2, PairChoice::Second, QStringLiteral("ann"));
    choosePair(*p, tuned2, reference, PairChoice::Tie, QStringLiteral("bob"));
    const HumanVerdicts two = humanVerdicts(*p, 2);
    QCOMPARE(two.pairs, 1);
    QCOMPARE(two.wins, 1);
    QCOMPARE(two.ties, 1);
    QCOMPARE(two.winRate(), 0.75);
    const HumanVerdicts one = humanVerdicts(*p, 1);
    QCOMPARE(one.pairs, 1);
    QCOMPARE(one.total(), 0);

    // Sides: stable for a pair and person whichever way it is asked, and both occur.
    int swapped = 0;
    for (qint64 a = 1; a <= 400; a += 2) {
        QCOMPARE(showSwapped(a, a + 1, QStringLiteral("ann")), !showSwapped(a + 1, a, QStringLiteral("ann")));
        swapped += showSwapped(a, a + 1, QStringLiteral("ann"));
    }
    QVERIFY2(swapped > 60 && swapped < 140, qPrintable(QString::number(swapped)));

    // Counted per prompt in one query.
    rateCandidate(*p, tuned1, 4, QStringLiteral("ann"));
    rateCandidate(*p, tuned2, 2, QStringLiteral("ann"));
    QCOMPARE(judgedPerPrompt(*p, FeedbackKind::Rating, QStringLiteral("ann")).value(prompt), 2);
    QCOMPARE(judgedPerPrompt(*p, FeedbackKind::Choice, QStringLiteral("ann")).value(prompt), 1);

    // Undo leaves alone what someone else wrote since.
    const JudgementChange mine = rateCandidate(*p, reference, 3, QStringLiteral("ann"));
    {
        auto other = Project::open(p->path()); // the CLI, say
        rateCandidate(*other, reference, 5, QStringLiteral("ann"));
    }
    QVERIFY(errorOf([&] { undoJudgement(*p, mine); }).contains(QStringLiteral("changed since")));
    QCOMPARE(ratingsBy(*p, prompt, QStringLiteral("ann")).value(reference), 5.0);

    // A file that judges one pair twice: the last line counts, and the import says so.
    const QString twice = m_dir.filePath(QStringLiteral("twice.jsonl"));
    test::writeFile(twice, "{\"prompt\":\"p\",\"chosen\":\"a\",\"rejected\":\"b\"}\n"
                           "{\"prompt\":\"p\",\"chosen\":\"b\",\"rejected\":\"a\"}\n");
    const FeedbackImport r = importFeedbackFile(*p, twice, QStringLiteral("pairs"));
    QCOMPARE(r.judgements, 2);
    QCOMPARE(r.repeated, 1);
    QStringList fromFile;
    for (const PreferenceRecord& rec : feedbackRecords(*p, PreferenceKind::Pairs))
        if (rec.prompt == QLatin1String("p"))
            fromFile << rec.responses.join(QLatin1Char('>'));
    QCOMPARE(fromFile, QStringList{QStringLiteral("b>a")});
}

FTS_TEST_SUITE(TestFeedback)
#include "tst_feedback.moc"
