// PPO on a toy preference with the tiny GPT-2 fixture: a rule rewards vowels in the answer; the
// tuned policy's vowel rate (its mean reward) must rise clearly above the reference's while the
// KL to the reference stays bounded; the reward-model path and exact resume are checked too.
#include "Suite.h"
#include "CharTokenizer.h"
#include "TestUtil.h"

#include "align/PpoTrainer.h"
#include "align/RewardTrainer.h"
#include "models/Safetensors.h"
#include "project/Project.h"
#include "train/RunStore.h"

#include <QTemporaryDir>
#include <QTest>

using namespace fts;

namespace {

const QString kGpt2 = QStringLiteral(FTS_FIXTURES_DIR "/models/decoders/gpt2");

double vowelShare(const QString&, const QString& response)
{
    if (response.isEmpty())
        return 0;
    int vowels = 0;
    for (QChar c : response)
        vowels += QStringLiteral("aeiou").contains(c) ? 1 : 0;
    return double(vowels) / double(response.size());
}

} // namespace

class TestPpo : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void readsPrompts();
    void refusesBadSettings();
    void raisesTheRewardWithBoundedKl();
    void klPenaltyHoldsThePolicyNearTheReference();
    void resumeEqualsUninterrupted();
    void nanStopsTheRun_data();
    void nanStopsTheRun();

private:
    AlignOptions options(int steps) const;
    QTemporaryDir m_dir;
    QString m_prompts;
    std::shared_ptr<test::CharTokenizer> m_tokenizer = std::make_shared<test::CharTokenizer>();
};

void TestPpo::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_prompts = m_dir.filePath(QStringLiteral("prompts.jsonl"));
    QByteArray data;
    for (int i = 0; i < 24; ++i)
        data += QStringLiteral("{\"prompt\": \"say %1\", \"split\": \"%2\"}\n")
                    .arg(i)
                    .arg(i % 3 == 2 ? "val" : "train")
                    .toUtf8();
    test::writeFile(m_prompts, data);
}

AlignOptions TestPpo::options(int steps) const
{
    AlignOptions o;
    o.modelDir = kGpt2;
    o.dataFile = m_prompts;
    o.tokenizer = m_tokenizer;
    o.rewardFunction = vowelShare;
    o.hp.method = QStringLiteral("full");
    o.hp.lr = 3e-3;
    o.hp.maxSteps = steps;
    o.hp.warmupRatio = 0;
    o.hp.schedule = QStringLiteral("constant");
    o.hp.batchSize = 8;
    o.ppo.rolloutPrompts = 8;
    o.ppo.miniBatch = 4;
    o.ppo.ppoEpochs = 4;
    o.ppo.maxNewTokens = 12;
    o.ppo.klCoef = 0.02;
    return o;
}

void TestPpo::readsPrompts()
{
    const PromptSet p = readPromptJsonl(m_prompts);
    QCOMPARE(p.train.size(), 16);
    QCOMPARE(p.val.size(), 8);
    QCOMPARE(p.train[0], QStringLiteral("say 0"));
}

void TestPpo::refusesBadSettings()
{
    auto project = Project::create(m_dir.filePath(QStringLiteral("bad.ftproj")));
    AlignOptions o = options(2);
    o.ppo.miniBatch = 16;
    QVERIFY(test::errorOf([&] {
                PpoTrainer(*project, o).run();
            }).contains(QStringLiteral("mini_batch")));
    o = options(2);
    o.ppo.clipEpsilon = 0;
    QVERIFY(test::errorOf([&] {
                PpoTrainer(*project, o).run();
            }).contains(QStringLiteral("clip_epsilon")));
    o = options(2);
    o.rewardFunction = nullptr;
    QVERIFY(
        test::errorOf([&] { PpoTrainer(*project, o).run(); }).contains(QStringLiteral("reward")));
    QVERIFY(listRuns(*project).isEmpty()); // refused before anything was recorded
}

void TestPpo::raisesTheRewardWithBoundedKl()
{
    auto project = Project::create(m_dir.filePath(QStringLiteral("ppo.ftproj")));
    const AlignResult r = PpoTrainer(*project, options(25)).run();
    QCOMPARE(r.status, QStringLiteral("finished"));
    const double before = r.before.value(QStringLiteral("reward_mean"));
    const double after = r.after.value(QStringLiteral("reward_mean"));
    double maxKl = 0, clip = 0;
    for (const MetricPoint& p : runMetrics(*project, r.runId)) {
        if (p.split == QLatin1String("train") && p.name == QLatin1String("kl"))
            maxKl = std::max(maxKl, p.value);
        if (p.split == QLatin1String("train") && p.name == QLatin1String("clip_fraction"))
            clip = std::max(clip, p.value);
    }
    qInfo("PPO: held-out vowel share %.3f -> %.3f, win rate vs reference %.2f, max KL per "
          "response %.3f, max clip fraction %.3f",
          before, after, r.after.value(QStringLiteral("win_rate")), maxKl, clip);
    QVERIFY2(after > 2 * before && after > before + 0.1,
             qPrintable(QStringLiteral("%1 -> %2").arg(before).arg(after)));
    QVERIFY(r.after.value(QStringLiteral("win_rate")) > 0.7);
    QVERIFY(maxKl < 40); // nats per 12-token response; see the next case for the penalty's effect
    QCOMPARE(loadRun(*project, r.runId).method, QStringLiteral("ppo"));
}

void TestPpo::klPenaltyHoldsThePolicyNearTheReference()
{
    // The same run without and with a strong KL penalty: the penalty must keep the policy closer.
    const auto lateKl = [&](double coef) {
        auto project =
            Project::create(m_dir.filePath(QStringLiteral("kl%1.ftproj").arg(int(coef * 100))));
        AlignOptions o = options(15);
        o.ppo.klCoef = coef;
        const AlignResult r = PpoTrainer(*project, o).run();
        double sum = 0;
        int n = 0;
        for (const MetricPoint& p : runMetrics(*project, r.runId))
            if (p.split == QLatin1String("train") && p.name == QLatin1String("kl") && p.step > 10) {
                sum += p.value;
                ++n;
            }
        return sum / std::max(1, n);
    };
    const double free = lateKl(0), held = lateKl(0.5);
    qInfo("PPO: mean KL per response over steps 11-15, kl_coef 0: %.3f, kl_coef 0.5: %.3f", free,
          held);
    QVERIFY2(held < free, qPrintable(QStringLiteral("%1 vs %2").arg(held).arg(free)));
}

void TestPpo::resumeEqualsUninterrupted()
{
    auto project = Project::create(m_dir.filePath(QStringLiteral("resume.ftproj")));
    AlignOptions o = options(5);
    o.ppo.klTarget = 1; // adaptive: the coefficient itself must survive the resume
    o.ppo.klHorizon = 100;
    const AlignResult full = PpoTrainer(*project, o).run();
    std::atomic<bool> cancel{false};
    AlignOptions c = o;
    c.callbacks.cancel = &cancel;
    c.callbacks.onStep = [&](const TrainProgress& p) { cancel = p.step >= 2; };
    const AlignResult first = PpoTrainer(*project, c).run();
    QCOMPARE(first.status, QStringLiteral("cancelled"));
    AlignOptions again;
    again.tokenizer = m_tokenizer;
    again.rewardFunction = vowelShare;
    const AlignResult resumed = PpoTrainer(*project, again).resume(first.runId);
    QCOMPARE(resumed.steps, qint64(5));
    const auto series = [&](qint64 run, const QString& name) {
        QMap<qint64, double> out;
        for (const MetricPoint& p : runMetrics(*project, run))
            if (p.split == QLatin1String("train") && p.name == name)
                out.insert(p.step, p.value);
        return out;
    };
    for (const QString& name : {QStringLiteral("policy_loss"), QStringLiteral("kl_coef"),
                                QStringLiteral("reward_mean")}) {
        const auto a = series(full.runId, name), b = series(first.runId, name);
        QCOMPARE(b.keys(), a.keys());
        for (qint64 step : a.keys())
            QVERIFY2(std::abs(a[step] - b[step]) <= 1e-5 * (1 + std::abs(a[step])),
                     qPrintable(QStringLiteral("%1 step %2: %3 vs %4")
                                    .arg(name)
                                    .arg(step)
                                    .arg(a[step])
                                    .arg(b[step])));
    }
}

void TestPpo::nanStopsTheRun_data()
{
    QTest::addColumn<bool>("inGradients");
    QTest::addColumn<QString>("message");
    QTest::newRow("loss") << false << "the loss became not a number";
    QTest::newRow("gradients, finite loss") << true << "the gradient norm became NaN";
}

// A NaN loss or gradient stops PPO before the optimizer step, and the checkpoint before it stays.
void TestPpo::nanStopsTheRun()
{
    QFETCH(bool, inGradients);
    QFETCH(QString, message);
    auto project = Project::create(m_dir.filePath(QStringLiteral("nan-%1.ftproj").arg(inGradients)));
    AlignOptions o = options(4);
    o.hp.checkpointEvery = 1;
    (inGradients ? o.callbacks.injectNanGradientAtStep : o.callbacks.injectNanAtStep) = 3;
    const QString error = test::errorOf([&] { PpoTrainer(*project, o).run(); });
    QVERIFY2(error.contains("step 3") && error.contains(message), qPrintable(error));
    const RunRecord run = listRuns(*project).last();
    QCOMPARE(run.status, QStringLiteral("failed"));
    QVERIFY(!run.lastCheckpoint.isEmpty());
    for (const auto& [name, t] :
         loadSafetensors(project->artifactPath(run.lastCheckpoint) + "/model.safetensors"))
        QVERIFY2(t.isfinite().all().item<bool>(), name.c_str());
}

FTS_TEST_SUITE(TestPpo)
#include "tst_ppo.moc"
