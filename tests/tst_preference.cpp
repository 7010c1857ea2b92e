// Learning from preferences on toy tasks with the tiny fixture decoders: preference JSONL, a
// reward model that learns "answers containing 'good' are better" (held-out pairwise accuracy),
// pairwise vs listwise rankings, and DPO raising the preferred behaviour's probability.
#include "Suite.h"
#include "CharTokenizer.h"
#include "TestUtil.h"

#include "align/AlignLoop.h"
#include "align/DpoTrainer.h"
#include "align/PreferenceData.h"
#include "align/RewardTrainer.h"
#include "align/SftData.h"
#include "models/StateDict.h"
#include "project/Project.h"
#include "train/RunStore.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <random>

using namespace fts;

namespace {

const QString kDecoders = QStringLiteral(FTS_FIXTURES_DIR "/models/decoders/");
const QStringList kWords = {QStringLiteral("red"),  QStringLiteral("blue"), QStringLiteral("tan"),
                            QStringLiteral("gray"), QStringLiteral("pink"), QStringLiteral("teal")};

QString words(std::mt19937& rng, int n)
{
    QStringList out;
    for (int i = 0; i < n; ++i)
        out << kWords[int(rng() % uint32_t(kWords.size()))];
    return out.join(u' ');
}

QByteArray line(const QJsonObject& o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact) + '\n';
}

// Pairs where the chosen answer contains "good" somewhere and the rejected one does not.
QByteArray goodWordPairs(int train, int val, unsigned seed)
{
    std::mt19937 rng(seed);
    QByteArray out;
    for (int i = 0; i < train + val; ++i) {
        QStringList chosen = words(rng, 3).split(u' ');
        chosen.insert(int(rng() % 4), QStringLiteral("good"));
        out += line({{"prompt", QStringLiteral("color %1").arg(i % 7)},
                     {"chosen", chosen.join(u' ')},
                     {"rejected", words(rng, 4)},
                     {"split", i < train ? "train" : "val"}});
    }
    return out;
}

// Pairs where the chosen answer starts with "Yes" and the rejected one with "No".
QByteArray yesNoPairs(int train, int val, unsigned seed)
{
    std::mt19937 rng(seed);
    QByteArray out;
    for (int i = 0; i < train + val; ++i) {
        const QString rest = words(rng, 2);
        out += line({{"prompt", QStringLiteral("ask %1").arg(words(rng, 1))},
                     {"chosen", QStringLiteral("Yes ") + rest},
                     {"rejected", QStringLiteral("No ") + rest},
                     {"split", i < train ? "train" : "val"}});
    }
    return out;
}

} // namespace

class TestPreference : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void readsTheThreeForms();
    void impliedPairsOfRankingsAndRatings();
    void rejectsBadLines();
    void rewardModelLearnsToyPreference();
    void rankingsListwiseAndPairwise_data();
    void rankingsListwiseAndPairwise();
    void dpoRaisesPreferredBehaviour();
    void dpoResumeEqualsUninterrupted();

private:
    AlignOptions options(const QString& file, const QString& task, int steps) const;
    QTemporaryDir m_dir;
    std::shared_ptr<test::CharTokenizer> m_tokenizer = std::make_shared<test::CharTokenizer>();
};

void TestPreference::initTestCase()
{
    QVERIFY(m_dir.isValid());
    test::writeFile(m_dir.filePath(QStringLiteral("good.jsonl")), goodWordPairs(256, 64, 1));
    test::writeFile(m_dir.filePath(QStringLiteral("yesno.jsonl")), yesNoPairs(32, 8, 2));
}

AlignOptions TestPreference::options(const QString& file, const QString& task, int steps) const
{
    AlignOptions o;
    o.modelDir = kDecoders + QStringLiteral("gpt2");
    o.dataFile = m_dir.filePath(file);
    o.task = task;
    o.tokenizer = m_tokenizer;
    o.hp.method = QStringLiteral("full");
    o.hp.lr = 3e-3;
    o.hp.batchSize = 8;
    o.hp.maxSteps = steps;
    o.hp.warmupRatio = 0.1;
    o.hp.maxLength = 64;
    o.hp.evalEvery = 20;
    o.hp.dropout = 0;
    return o;
}

void TestPreference::readsTheThreeForms()
{
    const QString path = m_dir.filePath(QStringLiteral("forms.jsonl"));
    test::writeFile(path, "{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": \"b\"}\n");
    auto pairs = readPreferenceJsonl(path, PreferenceKind::Pairs);
    QCOMPARE(pairs[0].responses, (QStringList{QStringLiteral("a"), QStringLiteral("b")}));
    QCOMPARE(pairs[0].split, QStringLiteral("train"));
    test::writeFile(path, "{\"prompt\": \"p\", \"response\": \"a\", \"rating\": 4, \"split\": "
                          "\"val\"}\n");
    auto ratings = readPreferenceJsonl(path, PreferenceKind::Ratings);
    QCOMPARE(ratings[0].rating, 4.0);
    QCOMPARE(ratings[0].split, QStringLiteral("val"));
    test::writeFile(path, "{\"prompt\": \"p\", \"responses\": [\"a\", \"b\", \"c\"]}\n");
    QCOMPARE(readPreferenceJsonl(path, PreferenceKind::Rankings)[0].responses.size(), 3);
}

void TestPreference::impliedPairsOfRankingsAndRatings()
{
    std::vector<PreferenceRecord> ranking(1);
    ranking[0].responses = {QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c")};
    const auto pairs = impliedPairs(ranking, PreferenceKind::Rankings);
    QCOMPARE(pairs.size(), size_t(3)); // (a,b) (a,c) (b,c)
    QCOMPARE(pairs[2].betterResponse, 1);
    QCOMPARE(pairs[2].worseResponse, 2);
    std::vector<PreferenceRecord> rated(4);
    const double r[4] = {2, 5, 5, 1};
    for (int i = 0; i < 4; ++i) {
        rated[size_t(i)].prompt = i < 3 ? QStringLiteral("p") : QStringLiteral("q");
        rated[size_t(i)].rating = r[i];
    }
    const auto fromRatings = impliedPairs(rated, PreferenceKind::Ratings);
    QCOMPARE(fromRatings.size(), size_t(2)); // 1 > 0 and 2 > 0; the tie and other prompt skipped
    QCOMPARE(fromRatings[0].betterRecord, 1);
    QCOMPARE(fromRatings[0].worseRecord, 0);
}

void TestPreference::rejectsBadLines()
{
    const QString path = m_dir.filePath(QStringLiteral("bad.jsonl"));
    test::writeFile(path, "{\"prompt\": \"p\", \"chosen\": \"a\"}\n");
    QVERIFY(test::errorOf([&] {
                readPreferenceJsonl(path, PreferenceKind::Pairs);
            }).contains(QStringLiteral("\"rejected\"")));
    test::writeFile(path, "{\"prompt\": \"p\", \"responses\": [\"only\"]}\n");
    QVERIFY(test::errorOf([&] {
                readPreferenceJsonl(path, PreferenceKind::Rankings);
            }).contains(QStringLiteral("at least two")));
    test::writeFile(path, "{\"prompt\": \"p\", \"response\": \"a\", \"rating\": \"high\"}\n");
    QVERIFY(test::errorOf([&] {
                readPreferenceJsonl(path, PreferenceKind::Ratings);
            }).contains(QStringLiteral("number")));
}

void TestPreference::rewardModelLearnsToyPreference()
{
    auto project = Project::create(m_dir.filePath(QStringLiteral("reward.ftproj")));
    const AlignResult r =
        RewardTrainer(*project, options(QStringLiteral("good.jsonl"), QStringLiteral("pairs"), 120))
            .run();
    const double before = r.before.value(QStringLiteral("pairwise_accuracy"));
    const double after = r.after.value(QStringLiteral("pairwise_accuracy"));
    qInfo("reward model, held-out pairwise accuracy %.3f -> %.3f", before, after);
    QVERIFY2(after > 0.9, qPrintable(QString::number(after)));
    QCOMPARE(loadRun(*project, r.runId).method, QStringLiteral("reward-pairs"));
    // The trained model scores new answers through its checkpoint.
    RewardScorer scorer(*project, r.runId, m_tokenizer);
    const std::vector<double> s =
        scorer.score({QStringLiteral("color 1"), QStringLiteral("color 1")},
                     {QStringLiteral("red good tan blue"), QStringLiteral("red pink tan blue")});
    QVERIFY(s[0] > s[1]);
}

void TestPreference::rankingsListwiseAndPairwise_data()
{
    QTest::addColumn<QString>("task");
    QTest::newRow("listwise") << QStringLiteral("rankings");
    QTest::newRow("all pairs") << QStringLiteral("rankings-pairs");
}

void TestPreference::rankingsListwiseAndPairwise()
{
    QFETCH(QString, task);
    // Rankings by how many times "good" occurs: two, one, none.
    std::mt19937 rng(5);
    QByteArray data;
    for (int i = 0; i < 72; ++i) {
        QJsonArray responses;
        responses.append(QStringLiteral("good ") + words(rng, 1) + QStringLiteral(" good"));
        responses.append(words(rng, 1) + QStringLiteral(" good ") + words(rng, 1));
        responses.append(words(rng, 3));
        data += line({{"prompt", QStringLiteral("rank")},
                      {"responses", responses},
                      {"split", i < 48 ? "train" : "val"}});
    }
    test::writeFile(m_dir.filePath(QStringLiteral("ranked.jsonl")), data);
    auto project = Project::create(m_dir.filePath(task + QStringLiteral(".ftproj")));
    AlignOptions o = options(QStringLiteral("ranked.jsonl"), task, 60);
    const AlignResult r = RewardTrainer(*project, o).run();
    const double after = r.after.value(QStringLiteral("pairwise_accuracy"));
    qInfo("%s: held-out pairwise accuracy %.3f -> %.3f", qPrintable(task),
          r.before.value(QStringLiteral("pairwise_accuracy")), after);
    // Counting ("two goods beat one") is harder than spotting the word, hence the lower bar.
    QVERIFY2(after > 0.75, qPrintable(QString::number(after)));
}

void TestPreference::dpoRaisesPreferredBehaviour()
{
    auto project = Project::create(m_dir.filePath(QStringLiteral("dpo.ftproj")));
    AlignOptions o = options(QStringLiteral("yesno.jsonl"), QStringLiteral("pairs"), 30);
    o.beta = 0.1;
    o.hp.lr = 2e-3;
    const AlignResult r = DpoTrainer(*project, o).run();
    QCOMPARE(r.status, QStringLiteral("finished"));
    qInfo("DPO held-out: loss %.4f -> %.4f, margin %.3f -> %.3f, accuracy %.2f -> %.2f",
          r.before.value(QStringLiteral("loss")), r.after.value(QStringLiteral("loss")),
          r.before.value(QStringLiteral("reward_margin")),
          r.after.value(QStringLiteral("reward_margin")),
          r.before.value(QStringLiteral("reward_accuracy")),
          r.after.value(QStringLiteral("reward_accuracy")));
    // At step 0 the policy is the reference: loss log 2, margin 0.
    QVERIFY(std::abs(r.before.value(QStringLiteral("loss")) - std::log(2.0)) < 1e-5);
    QVERIFY(r.after.value(QStringLiteral("reward_accuracy")) > 0.9);
    QVERIFY(r.after.value(QStringLiteral("reward_margin")) > 0);

    // The behaviour itself: how likely the first answer token is 'Y' rather than 'N' after
    // held-out prompts, under the reference and under the tuned policy.
    const RunRecord run = loadRun(*project, r.runId);
    const Hyperparameters hp = Hyperparameters::fromJson(run.hyperparameters);
    const auto reference = loadDecoderForMethod(o.modelDir, hp);
    const auto policy = loadDecoderForMethod(o.modelDir, hp);
    loadStateDict(*policy, loadSafetensors(project->artifactPath(run.lastCheckpoint) +
                                           QStringLiteral("/model.safetensors")));
    const auto yesRate = [&](DecoderModel& model) {
        torch::NoGradGuard noGrad;
        model.eval();
        double sum = 0;
        const auto records = readPreferenceJsonl(o.dataFile, PreferenceKind::Pairs);
        int n = 0;
        for (const PreferenceRecord& rec : records) {
            if (rec.split != QLatin1String("val"))
                continue;
            const RenderedChat chat =
                renderChat({{QStringLiteral("user"), rec.prompt}}, ChatFormat{}, true);
            EncodeOptions eo;
            eo.addSpecialTokens = false;
            const auto ids = m_tokenizer->encode(chat.text, {}, eo).ids;
            const at::Tensor logits =
                model.forward(at::tensor(ids, at::kLong).view({1, -1}))[0][int64_t(ids.size()) - 1];
            sum += at::softmax(logits, -1)[test::CharTokenizer::charId(u'Y')].item<double>();
            ++n;
        }
        return sum / n;
    };
    const double before = yesRate(*reference), after = yesRate(*policy);
    qInfo("DPO: probability of answering 'Y...' on held-out prompts %.4f -> %.4f", before, after);
    QVERIFY(after > 3 * before);
}

void TestPreference::dpoResumeEqualsUninterrupted()
{
    auto project = Project::create(m_dir.filePath(QStringLiteral("dpo-resume.ftproj")));
    AlignOptions o = options(QStringLiteral("yesno.jsonl"), QStringLiteral("pairs"), 8);
    o.beta = 0.2;
    const AlignResult full = DpoTrainer(*project, o).run();
    std::atomic<bool> cancel{false};
    AlignOptions c = o;
    c.callbacks.cancel = &cancel;
    c.callbacks.onStep = [&](const TrainProgress& p) { cancel = p.step >= 3; };
    const AlignResult first = DpoTrainer(*project, c).run();
    QCOMPARE(first.status, QStringLiteral("cancelled"));
    AlignOptions again;
    again.tokenizer = m_tokenizer;
    const AlignResult resumed = DpoTrainer(*project, again).resume(first.runId);
    QCOMPARE(resumed.steps, qint64(8));
    QVERIFY(std::abs(full.after.value(QStringLiteral("loss")) -
                     resumed.after.value(QStringLiteral("loss"))) < 1e-6);
    QCOMPARE(loadRun(*project, first.runId).snapshot.value(QStringLiteral("beta")).toDouble(), 0.2);
}

FTS_TEST_SUITE(TestPreference)
#include "tst_preference.moc"
