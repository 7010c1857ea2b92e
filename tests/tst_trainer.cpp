// Classification trainer: every method learns a separable task, frozen weights stay bit-identical,
// resume equals an uninterrupted run, the NaN guard, run records, tokenizer and batching.
#include "Suite.h"
#include "Error.h"
#include "data/Importer.h"
#include "models/Safetensors.h"
#include "project/Project.h"
#include "runtime/Device.h"
#include "train/RunStore.h"
#include "train/MultiTaskTrainer.h"
#include "train/Sweep.h"
#include "train/TextTokenizer.h"
#include "train/TrainData.h"
#include "train/TrainJob.h"
#include "train/Trainer.h"

#include "TestUtil.h"

#include <QDir>
#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QtTest>

#include <numeric>
#include <random>
#include <set>
#include <thread>

using namespace fts;

namespace {

const QString kBert = QStringLiteral(FTS_FIXTURES_DIR "/models/encoders/bert");

// Fruit words make a text "food", vehicle words make it "travel"; fillers carry no signal.
QByteArray toyCsv(int train, int val, int test)
{
    const QStringList food = {"apple", "banana", "cherry", "grape", "lemon", "mango"};
    const QStringList travel = {"car", "truck", "bus", "train", "plane", "boat"};
    const QStringList filler = {"the", "a", "is", "very", "and", "my", "today", "!"};
    std::mt19937 rng(7);
    QByteArray csv = "text,label,split\n";
    const auto pick = [&](const QStringList& l) { return l[int(rng() % uint32_t(l.size()))]; };
    for (int i = 0; i < train + val + test; ++i) {
        const bool isFood = i % 2 == 0;
        QStringList words;
        for (int w = 0; w < 2 + int(rng() % 2); ++w)
            words << pick(isFood ? food : travel);
        for (int w = 0; w < 1 + int(rng() % 4); ++w)
            words.insert(int(rng() % uint32_t(words.size() + 1)), pick(filler));
        const char* split = i < train ? "train" : i < train + val ? "val" : "test";
        csv += words.join(' ').toUtf8() + (isFood ? ",food," : ",travel,") + split + "\n";
    }
    return csv;
}

Hyperparameters quick(const QString& method)
{
    Hyperparameters hp;
    hp.method = method;
    hp.lr = 1e-3;
    hp.epochs = 12;
    hp.lr = 2e-3;
    hp.batchSize = 8;
    hp.warmupRatio = 0.1;
    hp.weightDecay = 0.01;
    hp.seed = 5;
    if (method == QLatin1String("frozen")) {
        hp.headLr = 1e-2;
        hp.epochs = 10;
    } else if (method == QLatin1String("lora")) {
        hp.lr = 5e-3;
        hp.loraRank = 4;
        hp.loraAlpha = 8;
        hp.loraDropout = 0;
        hp.epochs = 12;
    } else if (method == QLatin1String("freeze")) {
        hp.freezeLayers = 1;
        hp.lr = 1e-3;
        hp.epochs = 6;
    }
    return hp;
}

QList<double> metricValues(Project& p, qint64 run, const QString& split, const QString& name,
                           qint64 fromStep = 0)
{
    QList<double> out;
    for (const MetricPoint& m : runMetrics(p, run))
        if (m.split == split && m.name == name && m.step >= fromStep)
            out << m.value;
    return out;
}

// Two tasks on the same rows: the topic (fruit or vehicle words) and the tone (love/great words or
// hate/awful words); every fifth row has no tone label.
QByteArray twoTaskCsv(int train, int val)
{
    const QStringList food = {"apple", "banana", "cherry", "grape", "lemon", "mango"};
    const QStringList travel = {"car", "truck", "bus", "train", "plane", "boat"};
    const QStringList happy = {"love", "great", "nice", "wonderful"};
    const QStringList sad = {"hate", "awful", "bad", "terrible"};
    std::mt19937 rng(11);
    const auto pick = [&](const QStringList& l) { return l[int(rng() % uint32_t(l.size()))]; };
    QByteArray csv = "text,topic,tone,split\n";
    for (int i = 0; i < train + val; ++i) {
        const bool isFood = i % 2 == 0, isHappy = (i / 2) % 2 == 0;
        const QString text = QStringList{"my", pick(isFood ? food : travel), "is",
                                         pick(isHappy ? happy : sad), pick(isFood ? food : travel)}
                                 .join(' ');
        const QByteArray tone = i % 5 == 4 ? "" : isHappy ? "happy" : "sad";
        csv += text.toUtf8() + (isFood ? ",food," : ",travel,") + tone + "," +
               (i < train ? "train" : "val") + "\n";
    }
    return csv;
}

// The word vocabulary of twoTaskCsv(120, 40)'s texts.
std::shared_ptr<WordVocabulary> twoTaskVocabulary()
{
    QStringList texts;
    for (const QByteArray& line : twoTaskCsv(120, 40).split('\n').mid(1))
        texts << QString::fromUtf8(line.left(line.indexOf(',')));
    return std::make_shared<WordVocabulary>(WordVocabulary::build(texts));
}

std::unique_ptr<Project> twoTaskProject(const QString& path, const QString& csvPath)
{
    if (QFile::exists(path))
        return Project::open(path);
    auto p = Project::create(path);
    test::writeFile(csvPath, twoTaskCsv(120, 40));
    ImportOptions o;
    o.file = csvPath;
    o.labelColumns = {"topic", "tone"};
    importTable(*p, o);
    return p;
}

} // namespace

class TestTrainer : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void wordVocabulary();
    void batchesCoverEveryRowOnce();
    void methodsLearn_data();
    void methodsLearn();
    void resumeEqualsUninterrupted();
    void sameSeedSameMetrics();
    void nanStopsAndKeepsCheckpoint_data();
    void nanStopsAndKeepsCheckpoint();
    void labelCoverageIsChecked();
    void validationBeforeTraining();
    void evaluateRunOnTest();
    void jobCancelsAndResumes();
    void earlyStopping();
    void sweepRecordsEveryRunAndPicksTheBest();
    void sweepDrawsRandomSettings();
    void sweepPruneRule();
    void sweepPrunesAPoorRun();
    void bf16AutocastTrains();
    void pauseWaitsInMemory();
    void multiTaskLearnsEveryTask();
    void multiTaskWeightsAndResume();
    void multiTaskRefusals();
    void multiTaskFrozenCachesFeatures();

private:
    std::unique_ptr<Project> project(const QString& name);
    TrainerOptions options(const Hyperparameters& hp) const;
    QString adaptedBackbone();
    QTemporaryDir m_dir;
    std::shared_ptr<WordVocabulary> m_vocab;
};

std::unique_ptr<Project> TestTrainer::project(const QString& name)
{
    const QString path = m_dir.filePath(name + ".ftproj");
    if (QFile::exists(path))
        return Project::open(path);
    auto p = Project::create(path);
    test::writeFile(m_dir.filePath(name + ".csv"), toyCsv(96, 24, 12));
    ImportOptions o;
    o.file = m_dir.filePath(name + ".csv");
    importTable(*p, o);
    return p;
}

TrainerOptions TestTrainer::options(const Hyperparameters& hp) const
{
    TrainerOptions o;
    o.modelDir = kBert;
    o.hp = hp;
    o.tokenizer = m_vocab;
    return o;
}

// A randomly initialised encoder gives features that hardly depend on the words, so a frozen
// backbone can only be tested on one that already knows them: a stand-in for a pre-trained model,
// made by fully fine-tuning the fixture on the task and saving it without its head.
QString TestTrainer::adaptedBackbone()
{
    const QString dir = m_dir.filePath(QStringLiteral("adapted"));
    if (QFile::exists(dir + "/model.safetensors"))
        return dir;
    auto p = project(QStringLiteral("backbone"));
    const TrainResult r = Trainer(*p, options(quick(QStringLiteral("full")))).run();
    const QString checkpoint = p->artifactPath(loadRun(*p, r.runId).lastCheckpoint);
    TensorMap weights = loadSafetensors(checkpoint + "/model.safetensors");
    std::erase_if(weights,
                  [](const auto& item) { return item.first.rfind("classifier.", 0) == 0; });
    QDir().mkpath(dir);
    QFile::copy(kBert + "/config.json", dir + "/config.json");
    saveSafetensors(dir + "/model.safetensors", weights);
    return dir;
}

void TestTrainer::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QStringList texts;
    for (const QByteArray& line : toyCsv(96, 24, 12).split('\n').mid(1))
        texts << QString::fromUtf8(line.left(line.indexOf(',')));
    m_vocab = std::make_shared<WordVocabulary>(WordVocabulary::build(texts));
}

void TestTrainer::wordVocabulary()
{
    QCOMPARE(WordVocabulary::split(QStringLiteral("Hello, World! It's 42.")),
             QStringList({"hello", ",", "world", "!", "it's", "42", "."}));
    const WordVocabulary v = WordVocabulary::build({QStringLiteral("b a"), QStringLiteral("a c")});
    QCOMPARE(v.words(), QStringList({"[PAD]", "[UNK]", "[CLS]", "[SEP]", "b", "a", "c"}));
    QCOMPARE(v.encode(QStringLiteral("A zebra c")), std::vector<int64_t>({5, 1, 6}));
    QCOMPARE(v.encodeForClassifier(QStringLiteral("a b c a"), 4),
             std::vector<int64_t>({2, 5, 4, 3}));
    QVERIFY_THROWS_EXCEPTION(Error, WordVocabulary::fromWords({QStringLiteral("x")}));
}

void TestTrainer::batchesCoverEveryRowOnce()
{
    std::vector<Example> examples(21);
    for (size_t i = 0; i < examples.size(); ++i)
        examples[i].ids.assign(1 + i % 11, 9);
    const auto batches = epochBatches(examples, 4, 3, 0);
    std::multiset<int> seen;
    for (const auto& b : batches) {
        QVERIFY(b.size() <= 4);
        seen.insert(b.begin(), b.end());
        const Batch batch = makeBatch(examples, b, 0);
        QCOMPARE(batch.ids.size(1) % 8, 0);
    }
    QCOMPARE(int(seen.size()), 21);
    QCOMPARE(int(std::set<int>(seen.begin(), seen.end()).size()), 21);
    QVERIFY(epochBatches(examples, 4, 3, 0) == batches);
    QVERIFY(epochBatches(examples, 4, 3, 1) != batches);
    const Batch b = makeBatch(examples, {0, 10}, 0); // lengths 1 and 11 -> padded to 16
    QCOMPARE(b.ids.size(1), int64_t(16));
    QCOMPARE(b.mask.sum().item<int64_t>(), int64_t(12));
    QCOMPARE(b.tokens, int64_t(12));
}

void TestTrainer::methodsLearn_data()
{
    QTest::addColumn<QString>("method");
    for (const char* m : {"frozen", "full", "freeze", "lora"})
        QTest::newRow(m) << QString::fromLatin1(m);
}

void TestTrainer::methodsLearn()
{
    QFETCH(QString, method);
    auto p = project(QStringLiteral("learn"));
    TrainerOptions o = options(quick(method));
    if (method == "frozen" || method == "freeze")
        o.modelDir = adaptedBackbone();
    const TrainResult r = Trainer(*p, o).run();
    QCOMPARE(r.status, QStringLiteral("finished"));
    QVERIFY2(r.lastEval.accuracy > 0.95, qPrintable(QString::number(r.lastEval.accuracy)));

    const RunRecord rec = loadRun(*p, r.runId);
    QCOMPARE(rec.status, QStringLiteral("finished"));
    QCOMPARE(rec.snapshot.value("train").toArray().size(), 96);
    QCOMPARE(rec.snapshot.value("val").toArray().size(), 24);
    QVERIFY(!rec.software.value("libtorch").toString().isEmpty());
    QVERIFY(!rec.lastCheckpoint.isEmpty() && !rec.bestCheckpoint.isEmpty());
    QCOMPARE(metricValues(*p, r.runId, "train", "loss").size(), int(r.steps));
    QVERIFY(!metricValues(*p, r.runId, "val", "macro_f1").isEmpty());

    // Which weights may change: the checkpoint against the base model, tensor by tensor.
    const TensorMap base = loadSafetensors(o.modelDir + "/model.safetensors");
    const TensorMap after =
        loadSafetensors(p->artifactPath(rec.lastCheckpoint) + "/model.safetensors");
    int changed = 0, same = 0;
    for (const auto& [name, tensor] : after) {
        const bool head = name.rfind("classifier.", 0) == 0;
        const bool adapter = name.find("lora_") != std::string::npos;
        if (head || adapter || !base.count(name))
            continue;
        const bool frozen =
            method == "frozen" || method == "lora" ||
            (method == "freeze" && (name.find("embeddings.") != std::string::npos ||
                                    name.find("encoder.layer.0.") != std::string::npos));
        const bool equal = at::equal(base.at(name), tensor);
        if (frozen)
            QVERIFY2(equal, name.c_str());
        (equal ? same : changed)++;
    }
    if (method == "full" || method == "freeze")
        QVERIFY(changed > 10);
    if (method == "lora")
        QVERIFY(after.count("bert.encoder.layer.0.attention.self.query.lora_A.weight"));
}

void TestTrainer::resumeEqualsUninterrupted()
{
    auto p = project(QStringLiteral("resume"));
    Hyperparameters hp = quick(QStringLiteral("full"));
    hp.maxSteps = 14; // crosses an epoch boundary (6 steps per epoch with accumulation 2)
    hp.gradAccumulation = 2;
    hp.evalEvery = 4;
    hp.schedule = QStringLiteral("cosine");
    const TrainResult whole = Trainer(*p, options(hp)).run();

    std::atomic<bool> cancel{false};
    TrainerOptions o = options(hp);
    o.cancel = &cancel;
    o.onStep = [&](const TrainProgress& progress) {
        if (progress.step == 5)
            cancel = true;
    };
    const TrainResult first = Trainer(*p, o).run();
    QCOMPARE(first.status, QStringLiteral("cancelled"));
    QCOMPARE(first.steps, qint64(5));
    QCOMPARE(loadRun(*p, first.runId).status, QStringLiteral("cancelled"));

    const TrainResult resumed = Trainer(*p, options(hp)).resume(first.runId);
    QCOMPARE(resumed.status, QStringLiteral("finished"));
    QCOMPARE(resumed.steps, qint64(14));
    for (const char* name : {"loss", "lr"}) {
        const QList<double> a = metricValues(*p, whole.runId, "train", name);
        const QList<double> b = metricValues(*p, first.runId, "train", name);
        QCOMPARE(a.size(), 14);
        QCOMPARE(b.size(), 14);
        for (int i = 0; i < 14; ++i)
            QVERIFY2(a[i] == b[i], qPrintable(QString("%1 at step %2: %3 vs %4")
                                                  .arg(name)
                                                  .arg(i + 1)
                                                  .arg(a[i], 0, 'g', 17)
                                                  .arg(b[i], 0, 'g', 17)));
    }
    QCOMPARE(metricValues(*p, first.runId, "val", "loss"),
             metricValues(*p, whole.runId, "val", "loss"));
}

void TestTrainer::sameSeedSameMetrics()
{
    auto p = project(QStringLiteral("seed"));
    Hyperparameters hp = quick(QStringLiteral("lora"));
    hp.maxSteps = 6;
    hp.evalEvery = 3;
    hp.loraDropout = 0.1;
    const TrainResult a = Trainer(*p, options(hp)).run();
    const TrainResult b = Trainer(*p, options(hp)).run();
    QCOMPARE(metricValues(*p, a.runId, "train", "loss"),
             metricValues(*p, b.runId, "train", "loss"));
    QCOMPARE(metricValues(*p, a.runId, "val", "macro_f1"),
             metricValues(*p, b.runId, "val", "macro_f1"));
    hp.seed = 6;
    const TrainResult c = Trainer(*p, options(hp)).run();
    QVERIFY(metricValues(*p, a.runId, "train", "loss") !=
            metricValues(*p, c.runId, "train", "loss"));
}

void TestTrainer::nanStopsAndKeepsCheckpoint_data()
{
    QTest::addColumn<bool>("inGradients");
    QTest::addColumn<QString>("message");
    QTest::newRow("loss") << false << "loss became NaN";
    QTest::newRow("gradients, finite loss") << true << "gradient norm became NaN";
}

void TestTrainer::nanStopsAndKeepsCheckpoint()
{
    QFETCH(bool, inGradients);
    QFETCH(QString, message);
    auto p = project(QStringLiteral("nan-%1").arg(inGradients));
    Hyperparameters hp = quick(QStringLiteral("full"));
    hp.maxSteps = 8;
    hp.checkpointEvery = 2;
    TrainerOptions o = options(hp);
    (inGradients ? o.injectNanGradientAtStep : o.injectNanAtStep) = 4;
    const QString error = test::errorOf([&] { Trainer(*p, o).run(); });
    QVERIFY2(error.contains("step 4") && error.contains(message) && error.contains("learning rate"),
             qPrintable(error));
    const RunRecord rec = listRuns(*p).last();
    QCOMPARE(rec.status, QStringLiteral("failed"));
    QCOMPARE(rec.error, error);
    QVERIFY(rec.lastCheckpoint.endsWith("step2"));
    // The poisoned step never reached the weights: the checkpoint kept is finite.
    for (const auto& [name, t] :
         loadSafetensors(p->artifactPath(rec.lastCheckpoint) + "/model.safetensors"))
        QVERIFY2(t.isfinite().all().item<bool>(), name.c_str());
    QCOMPARE(metricValues(*p, rec.id, "train", "loss").size(), 3);
}

// A train split of one label is refused before a run exists; a label only val or test has is
// trained past with a warning that says what will happen to its rows.
void TestTrainer::labelCoverageIsChecked()
{
    const auto projectFrom = [&](const QString& name, const QByteArray& csv) {
        auto p = Project::create(m_dir.filePath(name + ".ftproj"));
        test::writeFile(m_dir.filePath(name + ".csv"), csv);
        ImportOptions o;
        o.file = m_dir.filePath(name + ".csv");
        importTable(*p, o);
        return p;
    };
    QByteArray oneLabel = "text,label,split\n";
    for (int i = 0; i < 12; ++i)
        oneLabel += "apple banana " + QByteArray::number(i) + ",food,train\n";
    oneLabel += "car bus,travel,val\n";
    auto p = projectFrom(QStringLiteral("one-label"), oneLabel);
    Hyperparameters hp = quick(QStringLiteral("full"));
    hp.batchSize = 4;
    const QString refused = test::errorOf([&] { Trainer(*p, options(hp)).run(); });
    QVERIFY2(refused.contains("Every row of the train split") && refused.contains("'food' (12 rows)"),
             qPrintable(refused));
    QVERIFY(listRuns(*p).isEmpty());

    QByteArray unseen = toyCsv(24, 0, 0);
    unseen += "guitar drum,music,val\npiano,music,val\nviolin,music,test\n";
    auto q = projectFrom(QStringLiteral("unseen-label"), unseen);
    hp.maxSteps = 1;
    TrainerOptions o = options(hp);
    QStringList log;
    o.onLog = [&](const QString& line) { log << line; };
    const TrainResult r = Trainer(*q, o).run();
    QCOMPARE(r.status, QStringLiteral("finished"));
    QVERIFY2(log.filter("Label 'music' has 2 rows in the val split but none in train").size() == 1,
             qPrintable(log.join('\n')));
    QCOMPARE(log.filter("Label 'music' has 1 row in the test split").size(), 1);
}

void TestTrainer::validationBeforeTraining()
{
    auto p = project(QStringLiteral("invalid"));
    Hyperparameters hp = quick(QStringLiteral("full"));
    hp.batchSize = 100;
    const int before = listRuns(*p).size();
    try {
        Trainer(*p, options(hp)).run();
        QFAIL("a batch larger than the data must be refused");
    } catch (const Error& e) {
        QVERIFY2(e.message().contains("batch_size"), qPrintable(e.message()));
    }
    QCOMPARE(listRuns(*p).size(), before);
    TrainerOptions o = options(quick(QStringLiteral("full")));
    o.tokenizer.reset();
    QVERIFY_THROWS_EXCEPTION(Error, Trainer(*p, o).run()); // no tokenizer.model in the folder
}

void TestTrainer::evaluateRunOnTest()
{
    auto p = project(QStringLiteral("learn"));
    const QList<RunRecord> runs = listRuns(*p);
    QVERIFY(!runs.isEmpty());
    // The best checkpoint re-evaluated on val reproduces the metric recorded during training.
    const ClassificationReport v = evaluateRun(*p, runs.last().id, QStringLiteral("val"));
    QCOMPARE(v.macroF1, runs.last().bestMetric);
    const ClassificationReport r = evaluateRun(*p, runs.last().id, QStringLiteral("test"));
    QCOMPARE(r.total, qint64(12));
    QCOMPARE(r.labels, QStringList({"food", "travel"}));
    QVERIFY2(r.accuracy > 0.75, qPrintable(QString::number(r.accuracy))); // 12 unseen rows
    QCOMPARE(r.confusion[0][0] + r.confusion[1][1], qint64(std::lround(r.accuracy * 12)));
    QVERIFY_THROWS_EXCEPTION(Error, evaluateRun(*p, 999, QStringLiteral("test")));
}

void TestTrainer::jobCancelsAndResumes()
{
    auto p = project(QStringLiteral("job"));
    Hyperparameters hp = quick(QStringLiteral("full"));
    hp.maxSteps = 6;
    std::atomic<bool> cancel{false};
    QList<JobProgress> progress;
    QStringList log;
    JobContext ctx(
        &cancel, [&](const JobProgress& pr) { progress << pr; },
        [&](const QString& line) { log << line; });
    TrainerOptions o = options(hp);
    o.onStep = [&](const TrainProgress& pr) { cancel = pr.step >= 2; };
    TrainJob job(p->path(), o);
    QVERIFY_THROWS_EXCEPTION(Cancelled, job.run(ctx));
    QCOMPARE(job.result().steps, qint64(2));
    QVERIFY(!progress.isEmpty() && progress.last().total == 6);
    QVERIFY2(log.first().startsWith("step 1/6") && log.first().contains("tokens/s"),
             qPrintable(log.first()));
    const qint64 run = job.result().runId;
    QCOMPARE(loadRun(*p, run).status, QStringLiteral("cancelled"));

    cancel = false;
    JobContext again(&cancel, {}, {});
    TrainJob resumed(p->path(), options(hp), run);
    resumed.run(again);
    QCOMPARE(resumed.result().steps, qint64(6));
    QCOMPARE(loadRun(*p, run).status, QStringLiteral("finished"));
    QVERIFY(resumed.summary().startsWith(QString("Run %1 finished after 6 steps").arg(run)));
}

void TestTrainer::earlyStopping()
{
    // With a learning rate this small macro F1 cannot move between two evaluations, so patience 1
    // must stop the run at its second evaluation and keep the first as the best.
    auto p = project(QStringLiteral("early"));
    Hyperparameters hp = quick(QStringLiteral("full"));
    hp.lr = 1e-7;
    hp.maxSteps = 10;
    hp.evalEvery = 1;
    hp.patience = 1;
    QStringList log;
    TrainerOptions o = options(hp);
    o.onLog = [&](const QString& line) { log << line; };
    const TrainResult r = Trainer(*p, o).run();
    QVERIFY(r.earlyStopped);
    QCOMPARE(r.steps, qint64(2));
    QCOMPARE(r.bestStep, qint64(1));
    QVERIFY(!log.isEmpty() && log.last().startsWith("Stopped early at step 2"));
    const RunRecord rec = loadRun(*p, r.runId);
    QCOMPARE(rec.status, QStringLiteral("finished"));
    QVERIFY(rec.bestCheckpoint.endsWith("best-step1"));
    QVERIFY(rec.lastCheckpoint.endsWith("last-step2"));
}

void TestTrainer::sweepRecordsEveryRunAndPicksTheBest()
{
    auto p = project(QStringLiteral("sweep"));
    const qint64 before = listRuns(*p).size();
    SweepOptions o;
    o.modelDir = kBert;
    o.tokenizer = m_vocab;
    o.base = quick(QStringLiteral("full"));
    o.base.epochs = 2;
    o.grid = {{"lr", {"0.00001", "0.003"}}, {"batch_size", {"8", "16"}}};
    QCOMPARE(sweepSettings(o).size(), 4);
    QCOMPARE(sweepSettings(o)[1].hp.batchSize, 16); // the last axis varies fastest
    QCOMPARE(sweepSettings(o)[2].hp.lr, 0.003);
    QCOMPARE(sweepSettings(o)[2].values.value("lr").toString(), QString("0.003"));

    SweepJob job(p->path(), o);
    JobContext ctx(nullptr, {});
    job.run(ctx);
    const SweepResult& r = job.result();
    QCOMPARE(r.trials.size(), 4);
    const QList<RunRecord> runs = listRuns(*p);
    QCOMPARE(runs.size(), before + 4);
    // The best is the run whose recorded best validation macro F1 is highest, read back from the
    // project rather than from the job.
    qint64 bestRun = 0;
    double bestScore = -1;
    for (const RunRecord& run : runs)
        if (run.bestStep >= 0 && run.bestMetric > bestScore &&
            std::any_of(r.trials.begin(), r.trials.end(), [&](const SweepTrial& t) { return t.runId == run.id; })) {
            bestScore = run.bestMetric;
            bestRun = run.id;
        }
    QVERIFY(r.best >= 0);
    QCOMPARE(r.trials[r.best].runId, bestRun);
    QCOMPARE(r.trials[r.best].values.value("lr").toString(), QString("0.003")); // 1e-5 barely moves in 2 epochs
    QVERIFY(job.summary().contains(QString("best is run %1").arg(bestRun)));

    o.grid = {{"lr", {"7"}}};
    QVERIFY(test::errorOf([&] { sweepSettings(o); }).contains("Sweep value lr=7"));
}

// Random search draws from lists and ranges (log-uniform for a learning rate), rounds integer
// knobs, repeats itself for a seed, and refuses what cannot be drawn before anything trains.
void TestTrainer::sweepDrawsRandomSettings()
{
    SweepOptions o;
    o.base = quick(QStringLiteral("full"));
    o.search = SweepSearch::Random;
    o.grid = {SweepAxis::parse("lr=1e-5..1e-2:log"), SweepAxis::parse("batch_size=8,16"),
              SweepAxis::parse("epochs=2..4")};
    QCOMPARE(o.grid[0].toString(), QString("lr=1e-05..0.01:log"));
    QVERIFY(o.grid[0].isRange && o.grid[0].logScale && !o.grid[2].logScale);
    QVERIFY(test::errorOf([&] { sweepSettings(o); }).contains("needs a budget"));
    o.maxRuns = 40;
    o.seed = 3;
    const QList<SweepPoint> a = sweepSettings(o);
    QCOMPARE(a.size(), 40);
    int belowOneE3 = 0; // log-uniform over 1e-5..1e-2: two thirds of the draws fall below 1e-3
    QSet<int> epochs;
    for (const SweepPoint& p : a) {
        QVERIFY2(p.hp.lr >= 1e-5 && p.hp.lr <= 1e-2, qPrintable(QString::number(p.hp.lr)));
        QCOMPARE(p.hp.lr, p.values.value("lr").toString().toDouble());
        QVERIFY(p.hp.batchSize == 8 || p.hp.batchSize == 16);
        QVERIFY(p.hp.epochs >= 2 && p.hp.epochs <= 4);
        QCOMPARE(p.values.value("epochs").toString(), QString::number(p.hp.epochs));
        epochs.insert(p.hp.epochs);
        belowOneE3 += p.hp.lr < 1e-3;
    }
    QCOMPARE(epochs.size(), 3);
    QVERIFY2(belowOneE3 >= 18 && belowOneE3 <= 35, qPrintable(QString::number(belowOneE3)));
    QCOMPARE(sweepSettings(o)[7].values, a[7].values); // the same seed draws the same
    o.seed = 4;
    QVERIFY(sweepSettings(o)[0].values != a[0].values);

    // Only lists: no setting is drawn twice, so the budget shrinks to the space.
    o.grid = {SweepAxis::parse("lr=1e-4,1e-3"), SweepAxis::parse("batch_size=8,16")};
    const QList<SweepPoint> small = sweepSettings(o);
    QCOMPARE(small.size(), 4);
    QSet<QString> distinct;
    for (const SweepPoint& p : small)
        distinct.insert(p.values.value("lr").toString() + p.values.value("batch_size").toString());
    QCOMPARE(distinct.size(), 4);

    const auto refusal = [&](const QString& axis, SweepSearch search = SweepSearch::Random) {
        SweepOptions bad = o;
        bad.search = search;
        return test::errorOf([&] {
            bad.grid = {SweepAxis::parse(axis)};
            sweepSettings(bad);
        });
    };
    QVERIFY(refusal("lr=1e-5..1e-3", SweepSearch::Grid).contains("only random search"));
    QVERIFY(refusal("weight_decay=0..0.1:log").contains("above 0"));
    QVERIFY(refusal("lr=1e-3..1e-5").contains("low end below its high end"));
    QVERIFY(refusal("lr=1e-5..5").contains("allowed range"));
    QVERIFY(refusal("schedule=1..2").contains("constant, linear, cosine"));
    QVERIFY(refusal("lr=1e-5..abc").contains("'abc' is not a number"));
    QVERIFY(refusal("nonsense=1..2").contains("is not a hyperparameter"));
    QVERIFY(refusal("lr").contains("KEY=V1,V2"));
    QVERIFY(refusal("batch_size=8,0").contains("batch_size"));
}

// The median stopping rule against hand-worked cases.
void TestTrainer::sweepPruneRule()
{
    QList<SweepTrial> earlier(3);
    earlier[0].bestSoFar = {0.5, 0.6};
    earlier[1].bestSoFar = {0.7, 0.8};
    earlier[2].bestSoFar = {0.4}; // pruned after one evaluation: not in the median at the second
    // At evaluation 2 the median of 0.6 and 0.8 is 0.7.
    const QString why = sweepPruneReason(earlier, 2, 0.65, "macro_f1", 1);
    QVERIFY2(why.contains("0.6500") && why.contains("0.7000") && why.contains("2 earlier runs"),
             qPrintable(why));
    QVERIFY(sweepPruneReason(earlier, 2, 0.75, "macro_f1", 1).isEmpty());
    QVERIFY(sweepPruneReason(earlier, 2, 0.65, "loss", 1).isEmpty()); // lower loss is better
    QVERIFY(!sweepPruneReason(earlier, 2, 0.75, "loss", 1).isEmpty());
    QVERIFY(sweepPruneReason(earlier, 2, 0.1, "macro_f1", 2).isEmpty()); // still warming up
    // At evaluation 1 the median of 0.4, 0.5, 0.7 is 0.5.
    QVERIFY(!sweepPruneReason(earlier, 1, 0.45, "accuracy", 0).isEmpty());
    QVERIFY(sweepPruneReason(earlier, 1, 0.55, "accuracy", 0).isEmpty());
    QVERIFY(sweepPruneReason(earlier.mid(0, 1), 1, 0.0, "accuracy", 0).isEmpty()); // one to compare
}

// Two good runs, then one whose learning rate is far too small: pruned after its second
// evaluation, kept as a stopped run with the reason, resumable like any stopped run.
void TestTrainer::sweepPrunesAPoorRun()
{
    auto p = project(QStringLiteral("sweep-prune"));
    SweepOptions o;
    o.modelDir = kBert;
    o.tokenizer = m_vocab;
    o.base = quick(QStringLiteral("full"));
    o.base.epochs = 4;
    o.grid = {SweepAxis::parse("lr=0.003,0.002,0.000001")};
    o.prune = true;
    SweepJob job(p->path(), o);
    QList<int> started;
    job.onTrialStarted = [&](int i, const QJsonObject&) { started << i; };
    int finishedCalls = 0;
    job.onTrialFinished = [&](const SweepTrial&) { ++finishedCalls; };
    JobContext ctx(nullptr, {});
    job.run(ctx);
    const SweepResult& r = job.result();
    QCOMPARE(started, QList<int>({0, 1, 2}));
    QCOMPARE(finishedCalls, 3);
    QCOMPARE(r.trials[0].status, QString("finished"));
    QCOMPARE(r.trials[1].status, QString("finished"));
    QCOMPARE(r.trials[0].bestSoFar.size(), 4);
    QCOMPARE(r.trials[2].status, QString("pruned"));
    QCOMPARE(r.trials[2].bestSoFar.size(), 2);
    QVERIFY(r.best == 0 || r.best == 1);
    const RunRecord pruned = loadRun(*p, r.trials[2].runId);
    QCOMPARE(pruned.status, QString("cancelled"));
    QVERIFY2(pruned.error.contains("Pruned by the sweep after evaluation 2"), qPrintable(pruned.error));
    qint64 lastStep = 0; // 96 rows in batches of 8: stopped after two epochs of 12 steps
    for (const MetricPoint& m : runMetrics(*p, pruned.id))
        lastStep = std::max(lastStep, m.step);
    QCOMPARE(lastStep, 24);
    const TrainResult resumed = Trainer(*p, options(o.base)).resume(pruned.id);
    QCOMPARE(resumed.status, QString("finished"));
    QCOMPARE(resumed.steps, 48);
}

// precision=bf16 trains under autocast (matrix products in bf16, weights and optimizer fp32) where the
// processor computes bf16 natively, and is refused before a run exists where it would be emulated.
void TestTrainer::bf16AutocastTrains()
{
    auto p = project(QStringLiteral("bf16"));
    Hyperparameters hp = quick(QStringLiteral("full"));
    hp.precision = QStringLiteral("bf16");
    if (!cpuHasNativeBf16()) {
        const int before = listRuns(*p).size();
        try {
            Trainer(*p, options(hp)).run();
            QFAIL("bf16 accepted on a processor that would only emulate it");
        } catch (const Error& e) {
            QVERIFY2(e.message().contains("emulated"), qPrintable(e.message()));
        }
        QCOMPARE(listRuns(*p).size(), before);
        QSKIP("this processor has no native bf16 (AVX-512 BF16 or AMX): refusal checked only");
    }
    const TrainResult bf16 = Trainer(*p, options(hp)).run();
    QCOMPARE(bf16.status, QStringLiteral("finished"));
    QVERIFY2(bf16.lastEval.accuracy > 0.95, qPrintable(QString::number(bf16.lastEval.accuracy)));
    hp.precision = QStringLiteral("fp32");
    const TrainResult fp32 = Trainer(*p, options(hp)).run();

    // Same seed and data: the curves differ only by bf16 rounding, so autocast really was on.
    const QList<double> a = metricValues(*p, bf16.runId, "train", "loss");
    const QList<double> b = metricValues(*p, fp32.runId, "train", "loss");
    QCOMPARE(a.size(), b.size());
    QVERIFY2(a.first() != b.first(), "bf16 gave the fp32 loss bit for bit: autocast was off");
    QVERIFY2(std::abs(a.first() - b.first()) < 0.05,
             qPrintable(QString("first loss %1 vs %2").arg(a.first()).arg(b.first())));
    const TensorMap weights = loadSafetensors(
        p->artifactPath(loadRun(*p, bf16.runId).lastCheckpoint) + "/model.safetensors");
    for (const auto& [name, tensor] : weights)
        QVERIFY2(tensor.scalar_type() == at::kFloat, name.c_str()); // master weights stay fp32
    // A bf16 run evaluates (and predicts) in bf16 too, close to its own training-time report.
    const ClassificationReport test = evaluateRun(*p, bf16.runId, QStringLiteral("val"));
    QVERIFY(std::abs(test.accuracy - bf16.lastEval.accuracy) < 0.05);
}

// Topic and tone share one encoder, one head each: both are learned, each task's validation
// metrics are recorded beside their means, and the run says which tasks it trained.
void TestTrainer::multiTaskLearnsEveryTask()
{
    auto p = twoTaskProject(m_dir.filePath("multitask.ftproj"), m_dir.filePath("multitask.csv"));
    TrainerOptions o = options(quick(QStringLiteral("full")));
    o.tokenizer = twoTaskVocabulary();
    o.tasks = {QStringLiteral("topic"), QStringLiteral("tone")};
    // The fixture with mean pooling: through its randomly initialised 32-wide [CLS] pooler one
    // task wins the shared features and the other stays at chance (measured: 0.50-0.59 accuracy,
    // either task depending on the weights), while each alone learns to 1.0; mean pooling learns
    // both to 1.0.
    o.modelDir = m_dir.filePath("mean-pooled");
    if (!QFile::exists(o.modelDir + "/config.json")) {
        QDir().mkpath(o.modelDir);
        QVERIFY(QFile::copy(kBert + "/model.safetensors", o.modelDir + "/model.safetensors"));
        QFile config(kBert + "/config.json");
        QVERIFY(config.open(QIODevice::ReadOnly));
        QByteArray json = config.readAll();
        json.replace("\"hidden_act\"", "\"classifier_pooling\": \"mean\", \"hidden_act\"");
        test::writeFile(o.modelDir + "/config.json", json);
    }
    const TrainResult r = Trainer(*p, o).run();
    QCOMPARE(r.status, QStringLiteral("finished"));
    QCOMPARE(r.taskEvals.keys(), (QList<QString>{"tone", "topic"}));
    QVERIFY2(r.taskEvals["topic"].accuracy > 0.95, qPrintable(QString::number(r.taskEvals["topic"].accuracy)));
    QVERIFY2(r.taskEvals["tone"].accuracy > 0.95, qPrintable(QString::number(r.taskEvals["tone"].accuracy)));
    QCOMPARE(r.taskEvals["topic"].total, qint64(40));
    QCOMPARE(r.taskEvals["tone"].total, qint64(32)); // every fifth val row has no tone
    const RunRecord rec = loadRun(*p, r.runId);
    QVERIFY(isMultiTaskRun(rec));
    QCOMPARE(rec.task, QStringLiteral("topic,tone"));
    QCOMPARE(multiTaskRunTasks(rec), (QStringList{"topic", "tone"}));
    QCOMPARE(rec.snapshot.value("train").toArray().size(), 120);
    QCOMPARE(metricValues(*p, r.runId, "train", "loss").size(), int(r.steps));
    const QList<double> toneF1 = metricValues(*p, r.runId, "val", "tone/macro_f1");
    const QList<double> topicF1 = metricValues(*p, r.runId, "val", "topic/macro_f1");
    const QList<double> meanF1 = metricValues(*p, r.runId, "val", "macro_f1");
    QVERIFY(!meanF1.isEmpty() && meanF1.size() == toneF1.size() && meanF1.size() == topicF1.size());
    QCOMPARE(meanF1.last(), (toneF1.last() + topicF1.last()) / 2);
    // One encoder in the checkpoint, one head per task.
    const TensorMap weights = loadSafetensors(p->artifactPath(rec.lastCheckpoint) + "/model.safetensors");
    QVERIFY(weights.count("bert.embeddings.word_embeddings.weight"));
    QCOMPARE(weights.at("tasks.0.classifier.weight").size(0), 2);
    QCOMPARE(weights.at("tasks.1.classifier.weight").size(0), 2);
    // Evaluated per task from its best checkpoint: each head on its own task's rows, the first
    // task by default; a task it did not train is refused, naming the ones it did.
    const ClassificationReport tone = evaluateRun(*p, r.runId, QStringLiteral("val"), QStringLiteral("tone"));
    QCOMPARE(tone.total, qint64(32));
    QCOMPARE(tone.labels, r.taskEvals["tone"].labels);
    QVERIFY(tone.accuracy > 0.95);
    QCOMPARE(evaluateRun(*p, r.runId, QStringLiteral("val")).total, qint64(40)); // topic
    try {
        evaluateRun(*p, r.runId, QStringLiteral("val"), QStringLiteral("colour"));
        QFAIL("evaluated a task the run never trained");
    } catch (const Error& e) {
        QVERIFY2(e.message().contains("no task 'colour'") && e.message().contains("topic, tone"), qPrintable(e.message()));
    }
}

// Feature extraction with several heads: the frozen encoder's features are computed once (the
// trainer says so), the encoder stays bit-identical, the heads learn from the cached features
// (the training loss falls), and both tasks are scored on their val rows.
void TestTrainer::multiTaskFrozenCachesFeatures()
{
    auto p = twoTaskProject(m_dir.filePath("multitask-frozen.ftproj"), m_dir.filePath("multitask-frozen.csv"));
    TrainerOptions o = options(quick(QStringLiteral("frozen")));
    o.tokenizer = twoTaskVocabulary();
    o.tasks = {QStringLiteral("topic"), QStringLiteral("tone")};
    QStringList log;
    o.onLog = [&log](const QString& line) { log << line; };
    const TrainResult r = Trainer(*p, o).run();
    QCOMPARE(r.status, QStringLiteral("finished"));
    QVERIFY2(log.join('\n').contains("features of 120 training and 40 validation rows are computed once"),
             qPrintable(log.join('\n')));
    QCOMPARE(r.taskEvals["topic"].total, qint64(40));
    QCOMPARE(r.taskEvals["tone"].total, qint64(32));
    const QList<double> loss = metricValues(*p, r.runId, "train", "loss");
    QVERIFY(loss.size() > 20);
    const auto mean = [](const QList<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0) / v.size(); };
    QVERIFY2(mean(loss.mid(loss.size() - 10)) < mean(loss.mid(0, 10)) - 0.05,
             qPrintable(QStringLiteral("%1 -> %2").arg(mean(loss.mid(0, 10))).arg(mean(loss.mid(loss.size() - 10)))));
    const TensorMap base = loadSafetensors(o.modelDir + "/model.safetensors");
    const TensorMap after = loadSafetensors(p->artifactPath(loadRun(*p, r.runId).lastCheckpoint) + "/model.safetensors");
    int encoderTensors = 0;
    for (const auto& [name, tensor] : after) {
        if (name.rfind("tasks.", 0) == 0)
            continue; // the heads, which learned (the falling loss above)
        QVERIFY2(base.count(name) && at::equal(base.at(name), tensor), name.c_str());
        ++encoderTensors;
    }
    QVERIFY(encoderTensors > 10);
}

// A task weighted 0 does not move its head (with no weight decay, AdamW leaves a zero gradient's
// weights alone), and a multi-task run resumed after a cancel repeats the uninterrupted one.
void TestTrainer::multiTaskWeightsAndResume()
{
    auto p = twoTaskProject(m_dir.filePath("multitask.ftproj"), m_dir.filePath("multitask.csv"));
    const auto vocab = twoTaskVocabulary();
    Hyperparameters hp = quick(QStringLiteral("full"));
    hp.maxSteps = 6;
    hp.weightDecay = 0;
    hp.set("task_weights", "tone=0");
    const auto checkpoint = [&](const TrainResult& r) {
        return loadSafetensors(p->artifactPath(loadRun(*p, r.runId).lastCheckpoint) + "/model.safetensors");
    };
    TrainerOptions o = options(hp);
    o.tokenizer = vocab;
    o.tasks = {QStringLiteral("topic"), QStringLiteral("tone")};
    const TensorMap a = checkpoint(Trainer(*p, o).run());
    o.hp.lr = 5e-3;
    const TensorMap b = checkpoint(Trainer(*p, o).run());
    QVERIFY(at::equal(a.at("tasks.1.classifier.weight"), b.at("tasks.1.classifier.weight")));
    QVERIFY(!at::equal(a.at("tasks.0.classifier.weight"), b.at("tasks.0.classifier.weight")));

    hp = quick(QStringLiteral("lora"));
    hp.maxSteps = 12;
    hp.evalEvery = 4;
    hp.set("task_weights", "topic=1,tone=0.5");
    o = options(hp);
    o.tokenizer = vocab;
    o.tasks = {QStringLiteral("topic"), QStringLiteral("tone")};
    const TrainResult whole = Trainer(*p, o).run();
    std::atomic<bool> cancel{false};
    o.cancel = &cancel;
    o.onStep = [&](const TrainProgress& progress) {
        if (progress.step == 5)
            cancel = true;
    };
    const TrainResult first = Trainer(*p, o).run();
    QCOMPARE(first.status, QStringLiteral("cancelled"));
    TrainerOptions again = options(Hyperparameters());
    again.tokenizer = vocab;
    const TrainResult resumed = Trainer(*p, again).resume(first.runId);
    QCOMPARE(resumed.status, QStringLiteral("finished"));
    QCOMPARE(metricValues(*p, first.runId, "train", "loss"), metricValues(*p, whole.runId, "train", "loss"));
    QCOMPARE(metricValues(*p, first.runId, "val", "tone/loss"), metricValues(*p, whole.runId, "val", "tone/loss"));
}

void TestTrainer::multiTaskRefusals()
{
    auto p = twoTaskProject(m_dir.filePath("multitask.ftproj"), m_dir.filePath("multitask.csv"));
    const int before = listRuns(*p).size();
    const auto refused = [&](const QStringList& tasks, const QString& weights, const QString& expected) {
        Hyperparameters hp = quick(QStringLiteral("full"));
        if (!weights.isEmpty())
            hp.set("task_weights", weights);
        TrainerOptions o = options(hp);
        o.tasks = tasks;
        try {
            Trainer(*p, o).run();
            QFAIL(qPrintable("accepted: " + tasks.join(',') + " " + weights));
        } catch (const Error& e) {
            QVERIFY2(e.message().contains(expected), qPrintable(e.message()));
        }
    };
    refused({"topic", "tone"}, "topic=0,tone=0", "Every task's weight is 0");
    refused({"topic", "tone"}, "mood=1", "task_weights names 'mood'");
    refused({"topic", "topic"}, {}, "named twice");
    refused({"topic", "colour"}, {}, "no task 'colour'");
    QCOMPARE(listRuns(*p).size(), before);
    Hyperparameters hp;
    QVERIFY_THROWS_EXCEPTION(Error, hp.set("task_weights", "tone=-1"));
    QVERIFY_THROWS_EXCEPTION(Error, hp.set("task_weights", "tone"));
    hp.set("task_weights", "tone=0.5, topic=2");
    QCOMPARE(hp.taskWeight("tone"), 0.5);
    QCOMPARE(hp.taskWeight("other"), 1.0);
    QCOMPARE(Hyperparameters::fromJson(hp.toJson()).taskWeightsText(), QStringLiteral("tone=0.5,topic=2"));
}

// Pause holds the run between two steps without writing anything: continued, it records exactly
// the uninterrupted losses; stopped while paused, it ends with a checkpoint at that step.
void TestTrainer::pauseWaitsInMemory()
{
    auto p = project(QStringLiteral("pause"));
    Hyperparameters hp = quick(QStringLiteral("full"));
    hp.maxSteps = 8;
    const TrainResult whole = Trainer(*p, options(hp)).run();

    std::atomic<bool> pause{false}, cancel{false};
    std::thread releaser;
    TrainerOptions o = options(hp);
    o.pause = &pause;
    o.cancel = &cancel;
    o.onStep = [&](const TrainProgress& progress) {
        if (progress.step != 3)
            return;
        pause = true;
        releaser = std::thread([&] {
            std::this_thread::sleep_for(std::chrono::milliseconds(400));
            pause = false;
        });
    };
    QElapsedTimer clock;
    clock.start();
    const TrainResult paused = Trainer(*p, o).run();
    releaser.join();
    QCOMPARE(paused.status, QStringLiteral("finished"));
    QVERIFY(clock.elapsed() >= 400);
    QCOMPARE(metricValues(*p, paused.runId, "train", "loss"), metricValues(*p, whole.runId, "train", "loss"));
    QVERIFY(loadRun(*p, paused.runId).trainSeconds < clock.elapsed() / 1000.0 - 0.3); // the wait is not training time

    o.onStep = [&](const TrainProgress& progress) {
        if (progress.step != 3)
            return;
        pause = true;
        releaser = std::thread([&] {
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            cancel = true;
        });
    };
    const TrainResult stopped = Trainer(*p, o).run();
    releaser.join();
    QCOMPARE(stopped.status, QStringLiteral("cancelled"));
    QCOMPARE(stopped.steps, qint64(3));
    QVERIFY(loadRun(*p, stopped.runId).lastCheckpoint.endsWith("step3"));
}

FTS_TEST_SUITE(TestTrainer)
#include "tst_trainer.moc"
