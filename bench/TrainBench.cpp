// ftbench train: fine-tuning throughput of the studio's Trainer against the loop a practitioner
// writes in PyTorch (bench/python_train_loop.py on Debian's python3-torch, the same libtorch),
// on the same model weights, data, batch size, optimizer and precision, in the same run. Also the
// padding waste of each batching, and the model FLOPs utilisation against a matmul peak measured
// here.
#include "Benchmarks.h"

#include "Error.h"
#include "data/Importer.h"
#include "models/SequenceClassifier.h"
#include "models/StateDict.h"
#include "pretrain/MaskedLm.h"
#include "project/Project.h"
#include "runtime/Device.h"
#include "tokenize/TokenizerFiles.h"
#include "train/TextTokenizer.h"
#include "train/TrainData.h"
#include "train/Trainer.h"

#include <ATen/ATen.h>

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>

#include <optional>

namespace fts::bench {
namespace {

constexpr int kBatch = 16;
constexpr int kMaxLength = 64;

struct Throughput
{
    double samplesPerSecond = 0;
    double realTokensPerSecond = 0;
    double computedTokensPerSecond = 0;
    double peakRssMb = 0; // the PyTorch loop's whole process
};

struct Case
{
    QString name;
    QString modelDir;
    int steps = 0;     // optimizer steps run
    int timedFrom = 0; // steps before the timed window (start-up and the first allocations)
};

// Non-embedding parameters, for the 6·N·tokens estimate of training FLOPs (Kaplan et al. 2020).
double nonEmbeddingParameters(const ModelConfig& c)
{
    const double h = double(c.hiddenSize), f = double(c.intermediateSize);
    return double(c.numLayers) * (4 * h * h + 4 * h + 2 * h * f + f + h + 4 * h);
}

// Dense matmul FLOP/s on this machine with the threads the benchmark uses: the peak MFU is
// measured against.
double matmulPeak(at::ScalarType type)
{
    const int64_t n = 1024;
    const at::Tensor a = at::randn({n, n}).to(type), b = at::randn({n, n}).to(type);
    at::mm(a, b); // warm-up: oneDNN picks its kernel
    QElapsedTimer t;
    t.start();
    int reps = 0;
    while (t.elapsed() < 1500 || reps < 3) {
        at::mm(a, b);
        ++reps;
    }
    return 2.0 * double(n * n * n) * reps / (double(t.nsecsElapsed()) / 1e9);
}

// A BERT-base-shaped model (12 layers, hidden 768) on the starter's tokenizer, HF-initialised.
QString baseShapedModel(const QString& starter, const QString& dir)
{
    QDir().mkpath(dir);
    copyTokenizerFiles(starter, dir);
    ModelConfig config = ModelConfig::load(starter);
    QJsonObject json = config.raw;
    json.insert(QStringLiteral("hidden_size"), 768);
    json.insert(QStringLiteral("num_hidden_layers"), 12);
    json.insert(QStringLiteral("num_attention_heads"), 12);
    json.insert(QStringLiteral("intermediate_size"), 3072);
    config = ModelConfig::fromJson(json);
    config.save(dir);
    at::manual_seed(5);
    BertForMaskedLm model(config);
    model->initWeights();
    saveSafetensors(QDir(dir).filePath(QStringLiteral("model.safetensors")), stateDict(*model));
    return dir;
}

// Seconds between the end of optimizer step `from` (0: the start of run()) and the end of step
// `to` of a Trainer run with `hp` on `modelDir`.
double secondsBetweenSteps(Project& project, const QString& modelDir, const Hyperparameters& hp,
                           qint64 from, qint64 to)
{
    QElapsedTimer clock;
    std::optional<qint64> start, end;
    TrainerOptions o;
    o.modelDir = modelDir;
    o.hp = hp;
    o.onStep = [&](const TrainProgress& p) {
        if (p.step == from)
            start = clock.nsecsElapsed();
        if (p.step == to)
            end = clock.nsecsElapsed();
    };
    clock.start();
    if (from == 0)
        start = 0;
    Trainer(project, o).run();
    return double(end.value() - start.value()) / 1e9;
}

Hyperparameters benchHyperparameters(int steps)
{
    Hyperparameters hp;
    hp.method = QStringLiteral("full");
    hp.maxSteps = steps;
    hp.batchSize = kBatch;
    hp.maxLength = kMaxLength;
    hp.warmupRatio = 0.1;
    hp.lr = 5e-4;
    hp.seed = 11;
    return hp;
}

// The studio: Trainer::run on the project, timed between two step callbacks; the tokens of the
// timed steps are those of the engine's own length-bucketed batches.
Throughput studio(Project& project, const TaskData& data, const Case& c,
                  const QString& precision = QStringLiteral("fp32"))
{
    Hyperparameters hp = benchHyperparameters(c.steps);
    hp.precision = precision;
    const std::vector<Example>& train = data.splits.value(QStringLiteral("train"));
    const auto batches = epochBatches(train, hp.batchSize, hp.seed, 0);
    if (size_t(c.steps) > batches.size())
        throw Error(QStringLiteral("the train benchmark keeps to one epoch (%1 steps)")
                        .arg(batches.size()));
    double samples = 0, real = 0, computed = 0;
    for (int i = c.timedFrom; i < c.steps; ++i) {
        const Batch b = makeBatch(train, batches[size_t(i)], 0);
        samples += double(batches[size_t(i)].size());
        real += double(b.tokens);
        computed += double(b.ids.numel());
    }
    const double seconds = secondsBetweenSteps(project, c.modelDir, hp, c.timedFrom, c.steps);
    return {samples / seconds, real / seconds, computed / seconds};
}

// The PyTorch loop on the same token ids, padded as `padding` says.
std::optional<Throughput> python(const TaskData& data, const Case& c, const QString& padding,
                                 int64_t padId, const QString& workDir, QString* why)
{
    QJsonArray examples;
    for (const Example& e : data.splits.value(QStringLiteral("train"))) {
        QJsonArray ids;
        for (int64_t id : e.ids)
            ids.append(qint64(id));
        examples.append(QJsonObject{{"ids", ids}, {"label", e.label}});
    }
    const Hyperparameters hp = benchHyperparameters(c.steps);
    const QJsonObject job{{"model_dir", c.modelDir},
                          {"examples", examples},
                          {"labels", QJsonArray::fromStringList(data.labels)},
                          {"batch_size", hp.batchSize},
                          {"max_length", hp.maxLength},
                          {"pad_id", qint64(padId)},
                          {"steps", c.steps},
                          {"timed_from", c.timedFrom},
                          {"lr", hp.lr},
                          {"threads", at::get_num_threads()},
                          {"padding", padding},
                          {"seed", hp.seed}};
    const auto r = runPythonJob(QStringLiteral("python_train_loop.py"), job, workDir, why);
    if (!r)
        return std::nullopt;
    return Throughput{r->value(QLatin1String("samples_per_s")).toDouble(),
                      r->value(QLatin1String("real_tokens_per_s")).toDouble(),
                      r->value(QLatin1String("computed_tokens_per_s")).toDouble(),
                      r->value(QLatin1String("peak_rss_mb")).toDouble()};
}

// 9. Memory: the peak resident set of `ftstudio-cli train` — a whole fine-tune as a user runs it:
// project, tokenization, training, evaluation, checkpoint — read from /proc while it runs (the
// high-water mark only grows, so the last reading is the peak up to ~50 ms before exit).
double studioPeakRssMb(const Case& c, const QString& workDir, QString* why)
{
    const QString cli = QCoreApplication::applicationDirPath() + QStringLiteral("/ftstudio-cli");
    const QString project = workDir + QStringLiteral("/memory.ftproj");
    const auto run = [&](const QStringList& args) {
        QProcess p;
        p.start(cli, args);
        p.waitForFinished(-1);
        return p.exitCode() == 0;
    };
    if (!run({QStringLiteral("new"), project}) ||
        !run({QStringLiteral("import"), project, QStringLiteral(FTS_SOURCE_DIR "/datasets/sentiment/sentiment.csv")})) {
        *why = QStringLiteral("ftstudio-cli could not make the project");
        return -1;
    }
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("FTS_THREADS"), QString::number(at::get_num_threads())); // as the loops compared
    p.setProcessEnvironment(env);
    p.start(cli, {QStringLiteral("train"), project, QStringLiteral("--model"), c.modelDir, QStringLiteral("--method"),
                  QStringLiteral("full"), QStringLiteral("--set"), QStringLiteral("max_steps=%1").arg(c.steps),
                  QStringLiteral("--set"), QStringLiteral("batch_size=%1").arg(kBatch), QStringLiteral("--set"),
                  QStringLiteral("max_length=%1").arg(kMaxLength)});
    if (!p.waitForStarted(10000)) {
        *why = QStringLiteral("ftstudio-cli did not start");
        return -1;
    }
    double peakKb = 0;
    const QString status = QStringLiteral("/proc/%1/status").arg(p.processId());
    while (!p.waitForFinished(50)) {
        QFile f(status);
        if (!f.open(QIODevice::ReadOnly))
            continue;
        for (const QByteArray& line : f.readAll().split('\n'))
            if (line.startsWith("VmHWM:"))
                peakKb = std::max(peakKb, line.mid(6).trimmed().split(' ').value(0).toDouble());
    }
    if (p.exitCode() != 0) {
        *why = QStringLiteral("ftstudio-cli train failed: %1").arg(QString::fromUtf8(p.readAllStandardError()).trimmed().left(160));
        return -1;
    }
    return peakKb / 1024;
}

// 4. Feature extraction: an epoch of the head on cached frozen features (epochs 2 and 3 of a
// `frozen` run) against one forward pass of the frozen backbone over the same batches, which is
// what every epoch would cost without the cache. Returns {cached, uncached} seconds per epoch.
std::pair<double, double> featureExtraction(Project& project, const TaskData& data, const Case& c)
{
    Hyperparameters hp = benchHyperparameters(0);
    hp.method = QStringLiteral("frozen");
    hp.lr = 1e-3;
    hp.epochs = 3;
    hp.evalEvery = 1000000; // evaluate (and checkpoint) once, after the timed epochs
    const std::vector<Example>& train = data.splits.value(QStringLiteral("train"));
    const qint64 perEpoch = qint64(epochBatches(train, hp.batchSize, hp.seed, 0).size());
    const double cached = secondsBetweenSteps(project, c.modelDir, hp, perEpoch, 3 * perEpoch) / 2;

    SequenceClassifier model = loadSequenceClassifier(c.modelDir, data.labels);
    model->eval();
    torch::NoGradGuard noGrad;
    QElapsedTimer t;
    t.start();
    for (const auto& b : epochBatches(train, hp.batchSize, hp.seed, 0)) {
        const Batch batch = makeBatch(train, b, 0);
        model->forward(batch.ids, batch.mask);
    }
    return {cached, double(t.nsecsElapsed()) / 1e9};
}

QString rate(const Throughput& t)
{
    return QStringLiteral("%1 samples/s, %2 tokens/s")
        .arg(t.samplesPerSecond, 0, 'f', 1)
        .arg(t.realTokensPerSecond, 0, 'f', 0);
}

} // namespace

void trainBench(bool smoke)
{
    const QString starter = QStringLiteral(FTS_SOURCE_DIR "/resources/models/starter-encoder");
    QTemporaryDir dir;
    auto project = Project::create(dir.filePath(QStringLiteral("bench.ftproj")));
    ImportOptions io;
    io.file = QStringLiteral(FTS_SOURCE_DIR "/datasets/sentiment/sentiment.csv");
    importTable(*project, io);
    TaskData data = loadTaskData(*project, {});
    const auto tokenizer = loadModelTokenizer(starter);
    tokenize(data, *tokenizer, kMaxLength);
    const int threads = at::get_num_threads();

    // 3. Padding waste over one epoch of the training split: real tokens / computed tokens.
    const std::vector<Example>& train = data.splits.value(QStringLiteral("train"));
    double real = 0, bucketed = 0;
    for (const auto& b : epochBatches(train, kBatch, 11, 0)) {
        const Batch batch = makeBatch(train, b, tokenizer->padId());
        real += double(batch.tokens);
        bucketed += double(batch.ids.numel());
    }
    const double fixed = double(train.size()) * kMaxLength;
    row(QStringLiteral("padding: real tokens / computed, sentiment train split, batch %1").arg(kBatch),
        QStringLiteral("%1% with length-bucketed batches").arg(100 * real / bucketed, 0, 'f', 1),
        QStringLiteral("%1% padded to max_length %2 (%3x more tokens computed)")
            .arg(100 * real / fixed, 0, 'f', 1)
            .arg(kMaxLength)
            .arg(fixed / bucketed, 0, 'f', 2));

    const double peak32 = matmulPeak(at::kFloat), peak16 = matmulPeak(at::kBFloat16);
    row(QStringLiteral("matmul peak, 1024x1024, %1 threads").arg(threads),
        QStringLiteral("fp32 %1 GFLOP/s").arg(peak32 / 1e9, 0, 'f', 1),
        QStringLiteral("bf16 %1 GFLOP/s (the references for fp32 and bf16-autocast MFU below)")
            .arg(peak16 / 1e9, 0, 'f', 1));

    std::vector<Case> cases{{QStringLiteral("starter-encoder (1.9M)"), starter, smoke ? 3 : 30,
                             smoke ? 1 : 5}};
    if (!smoke)
        cases.push_back({QStringLiteral("BERT-base-shaped (12x768, random init)"),
                         baseShapedModel(starter, dir.filePath(QStringLiteral("base"))), 8, 2});
    {
        const Case& c = cases.back();
        const auto [cached, uncached] = featureExtraction(*project, data, c);
        row(QStringLiteral("feature extraction, %1, one epoch of %2 rows").arg(c.name).arg(train.size()),
            QStringLiteral("%1 s with the frozen features cached (epochs 2-3 of a frozen run)")
                .arg(cached, 0, 'f', 3),
            QStringLiteral("%1 s for the backbone's forward pass alone, what each epoch costs "
                           "without the cache (%2x)")
                .arg(uncached, 0, 'f', 2)
                .arg(uncached / cached, 0, 'f', 0));
    }
    for (const Case& c : cases) {
        const Throughput engine = studio(*project, data, c);
        const double flops = 6.0 * nonEmbeddingParameters(ModelConfig::load(c.modelDir));
        row(QStringLiteral("fine-tuning %1, studio, %2 threads").arg(c.name).arg(threads),
            rate(engine),
            QStringLiteral("steps %1-%2 of full fine-tuning, batch %3, fp32; MFU %4% of fp32 peak "
                           "(6·N·tokens, real tokens)")
                .arg(c.timedFrom + 1)
                .arg(c.steps)
                .arg(kBatch)
                .arg(100 * flops * engine.realTokensPerSecond / peak32, 0, 'f', 1));
        if (cpuHasNativeBf16()) {
            const Throughput bf16 = studio(*project, data, c, QStringLiteral("bf16"));
            row(QStringLiteral("fine-tuning %1, studio, precision bf16 (autocast)").arg(c.name),
                rate(bf16),
                QStringLiteral("bf16 / fp32: %1x samples/s; MFU %2% of bf16 peak")
                    .arg(bf16.samplesPerSecond / engine.samplesPerSecond, 0, 'f', 2)
                    .arg(100 * flops * bf16.realTokensPerSecond / peak16, 0, 'f', 1));
        } else {
            row(QStringLiteral("fine-tuning %1, studio, precision bf16 (autocast)").arg(c.name),
                QStringLiteral("not measured"),
                QStringLiteral("this processor has no native bf16 (AVX-512 BF16 or AMX)"));
        }
        double pythonPeakMb = 0;
        for (const QString& padding : {QStringLiteral("max_length"), QStringLiteral("longest")}) {
            QString why;
            const auto py = python(data, c, padding, tokenizer->padId(), dir.path(), &why);
            if (py && padding == QLatin1String("longest"))
                pythonPeakMb = py->peakRssMb;
            const QString label =
                padding == QLatin1String("max_length")
                    ? QStringLiteral("PyTorch loop padding to max_length %1").arg(kMaxLength)
                    : QStringLiteral("PyTorch loop padding each batch to its longest row");
            if (!py) {
                row(QStringLiteral("fine-tuning %1, %2").arg(c.name, label),
                    QStringLiteral("not measured"), why);
                continue;
            }
            row(QStringLiteral("fine-tuning %1, %2").arg(c.name, label), rate(*py),
                QStringLiteral("studio / PyTorch: %1x samples/s (same weights, data, batch, "
                               "optimizer, threads; MFU %2%)")
                    .arg(engine.samplesPerSecond / py->samplesPerSecond, 0, 'f', 2)
                    .arg(100 * flops * py->realTokensPerSecond / peak32, 0, 'f', 1));
        }
        if (smoke || &c != &cases.back())
            continue; // memory: the larger model only
        QString why;
        const double ours = studioPeakRssMb(c, dir.path(), &why);
        const QString label = QStringLiteral("peak memory (RSS), fine-tuning %1, %2 steps, batch %3").arg(c.name).arg(c.steps).arg(kBatch);
        if (ours < 0)
            row(label, QStringLiteral("not measured"), why);
        else if (pythonPeakMb <= 0)
            row(label, QStringLiteral("%1 MB, ftstudio-cli train (project, tokenizer, training, evaluation, checkpoint)").arg(ours, 0, 'f', 0),
                QStringLiteral("PyTorch loop not measured (python3-torch missing)"));
        else
            row(label, QStringLiteral("%1 MB, ftstudio-cli train (project, tokenizer, training, evaluation, checkpoint)").arg(ours, 0, 'f', 0),
                QStringLiteral("PyTorch loop padding each batch to its longest row %1 MB (training only, ids given); studio / PyTorch %2x")
                    .arg(pythonPeakMb, 0, 'f', 0)
                    .arg(ours / pythonPeakMb, 0, 'f', 2));
    }
}

} // namespace fts::bench
