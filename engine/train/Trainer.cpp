// The classification training loop: data, optimizer groups, schedule, evaluation, checkpoints.
#include "train/Trainer.h"

#include "Error.h"
#include "deploy/FewShot.h"
#include "models/Lora.h"
#include "models/StateDict.h"
#include "project/Project.h"
#include "runtime/Autocast.h"
#include "train/Checkpoint.h"
#include "train/Divergence.h"
#include "train/MultiTaskTrainer.h"
#include "train/Optimizer.h"
#include "train/Pause.h"
#include "train/RunProgress.h"
#include "train/TextTokenizer.h"
#include "train/TrainData.h"

#include <ATen/ATen.h>
#include <torch/optim/adamw.h>
#include <torch/version.h>

#include <QtGlobal>

#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonArray>

#include <cmath>

namespace fts {
namespace {

QStringList defaultLoraTargets(ModelFamily family)
{
    if (family == ModelFamily::DistilBert)
        return {QStringLiteral("q_lin"), QStringLiteral("v_lin")};
    return {QStringLiteral("query"), QStringLiteral("value")};
}

bool isHeadParameter(const std::string& name, const QStringList& headModules)
{
    for (const QString& m : headModules)
        if (name.rfind(m.toStdString() + ".", 0) == 0)
            return true;
    return false;
}

// AdamW's decoupled decay is not applied to biases and normalisation weights (BERT's recipe).
at::Tensor cacheFeatures(SequenceClassifierImpl& model, const std::vector<Example>& examples,
                         int64_t padId, int batchSize)
{
    torch::NoGradGuard noGrad;
    model.eval();
    std::vector<at::Tensor> parts;
    for (size_t start = 0; start < examples.size(); start += size_t(batchSize)) {
        std::vector<int> idx;
        for (size_t i = start; i < std::min(examples.size(), start + size_t(batchSize)); ++i)
            idx.push_back(int(i));
        const Batch batch = makeBatch(examples, idx, padId);
        parts.push_back(model.headFeatures(model.encoder()->forward(batch.ids, batch.mask),
                                           batch.mask)
                            .to(at::kFloat)); // [B, H]
    }
    return at::cat(parts, 0); // [N, H]
}

double metricValue(const ClassificationReport& r, const QString& metric)
{
    if (metric == QLatin1String("accuracy"))
        return r.accuracy;
    if (metric == QLatin1String("loss"))
        return r.loss;
    return r.macroF1;
}

QJsonArray rowIds(const std::vector<Example>& examples)
{
    QJsonArray a;
    for (const Example& e : examples)
        a.append(e.rowId);
    return a;
}

} // namespace

SequenceClassifier buildClassifier(const QString& modelDir, const QStringList& labels,
                                   const Hyperparameters& hp)
{
    SequenceClassifier model = loadSequenceClassifier(modelDir, labels);
    const auto encoder = model->encoder();
    if (hp.method == QLatin1String("frozen")) {
        freezeModules({encoder});
    } else if (hp.method == QLatin1String("freeze")) {
        std::vector<std::shared_ptr<torch::nn::Module>> frozen = {encoder->embeddings()};
        const auto layers = encoder->layers();
        for (int i = 0; i < hp.freezeLayers && i < int(layers.size()); ++i)
            frozen.push_back(layers[size_t(i)]);
        freezeModules(frozen);
    } else if (hp.method == QLatin1String("lora")) {
        LoraConfig lora;
        lora.rank = hp.loraRank;
        lora.alpha = hp.loraAlpha;
        lora.dropout = hp.loraDropout;
        lora.targetModules = hp.loraTargets.isEmpty() ? defaultLoraTargets(encoder->config().family)
                                                      : hp.loraTargets;
        lora.modulesToSave = model->headModules();
        applyLora(*model, lora);
        freezeAllButAdapters(*model, model->headModules());
    } else if (hp.method != QLatin1String("full")) {
        throw Error(
            QStringLiteral("Unknown training method '%1': use frozen, full, freeze or lora.")
                .arg(hp.method));
    }
    return model;
}

std::vector<std::vector<double>> predictClassifier(SequenceClassifierImpl& model,
                                                   const std::vector<Example>& examples,
                                                   int64_t padId, int batchSize)
{
    torch::NoGradGuard noGrad;
    model.eval();
    std::vector<std::vector<double>> probabilities;
    probabilities.reserve(examples.size());
    for (size_t start = 0; start < examples.size(); start += size_t(batchSize)) {
        std::vector<int> idx;
        for (size_t i = start; i < std::min(examples.size(), start + size_t(batchSize)); ++i)
            idx.push_back(int(i));
        const Batch batch = makeBatch(examples, idx, padId);
        const at::Tensor probs = model.predict(model.forward(batch.ids, batch.mask))
                                     .to(at::kDouble)
                                     .contiguous(); // [B, labels]
        const auto p = probs.accessor<double, 2>();
        for (int64_t r = 0; r < probs.size(0); ++r)
            probabilities.emplace_back(p[r].data(), p[r].data() + probs.size(1));
    }
    return probabilities;
}

namespace {

int argmax(const std::vector<double>& row)
{
    return int(std::max_element(row.begin(), row.end()) - row.begin());
}

} // namespace

ClassificationReport evaluateClassifier(SequenceClassifierImpl& model, const QStringList& labels,
                                        const std::vector<Example>& examples, int64_t padId,
                                        int batchSize)
{
    std::vector<std::vector<double>> probabilities =
        predictClassifier(model, examples, padId, batchSize);
    std::vector<int> truth, predicted;
    for (size_t i = 0; i < examples.size(); ++i) {
        truth.push_back(examples[i].label);
        predicted.push_back(argmax(probabilities[i]));
    }
    return classificationReport(labels, truth, predicted, probabilities);
}

struct TrainerState : RunProgress, OptimizerSetup
{
    qint64 runId = 0;
    Hyperparameters hp;
    QString modelDir;
    TaskData data;
    std::shared_ptr<TextTokenizer> tokenizer;
    SequenceClassifier model{nullptr};
    at::Tensor trainFeatures, valFeatures; // frozen method: backbone output cached once
    ClassificationReport lastEval;

    bool frozen() const { return hp.method == QLatin1String("frozen"); }
    const std::vector<Example>& split(const QString& name) const
    {
        static const std::vector<Example> none;
        const auto it = data.splits.constFind(name);
        return it == data.splits.cend() ? none : it.value();
    }
    const std::vector<Example>& train() const { return split(QStringLiteral("train")); }
    const std::vector<Example>& val() const { return split(QStringLiteral("val")); }
};

Trainer::Trainer(Project& project, TrainerOptions options)
    : m_project(project), m_options(std::move(options)), m_state(std::make_unique<TrainerState>())
{
}

Trainer::~Trainer() = default;

namespace {

int effectiveMaxLength(const Hyperparameters& hp, const ModelConfig& config)
{
    // RoBERTa's positions start after the padding index; round down so padded batches still fit.
    const int64_t positions = config.maxPositions - (config.family == ModelFamily::Roberta ? 2 : 0);
    return int(std::min<int64_t>(hp.maxLength, std::max<int64_t>(8, positions / 8 * 8)));
}

} // namespace

void prepareTaskData(TaskData& data, const TextTokenizer& tokenizer, const Hyperparameters& hp,
                     const QString& modelDir)
{
    const ModelConfig config = ModelConfig::load(modelDir);
    if (tokenizer.vocabSize() > config.vocabSize)
        throw Error(QStringLiteral("The tokenizer has %1 entries but the model in %2 only knows %3 "
                                   "token ids; use the tokenizer that belongs to the model.")
                        .arg(tokenizer.vocabSize())
                        .arg(modelDir)
                        .arg(config.vocabSize));
    tokenize(data, tokenizer, effectiveMaxLength(hp, config));
}

TrainResult Trainer::run()
{
    if (m_options.tasks.size() >= 2)
        return trainMultiTask(m_project, m_options);
    if (m_options.tasks.size() == 1)
        m_options.task = m_options.tasks.front();
    TrainerState& s = *m_state;
    s.hp = m_options.hp;
    s.modelDir = m_options.modelDir;
    s.tokenizer = m_options.tokenizer ? m_options.tokenizer : loadModelTokenizer(s.modelDir);
    s.data = loadTaskData(m_project, m_options.task);
    const QStringList warnings = checkLabelCoverage(s.data);
    if (m_options.onLog)
        for (const QString& w : warnings)
            m_options.onLog(w);
    const ModelConfig config = ModelConfig::load(s.modelDir);
    TrainingContext context;
    context.trainRows = qint64(s.train().size());
    context.hiddenSize = int(config.hiddenSize);
    context.numLayers = int(config.numLayers);
    s.hp.validate(context);
    prepareTaskData(s.data, *s.tokenizer, s.hp, s.modelDir);

    at::manual_seed(uint64_t(s.hp.seed));
    s.model = buildClassifier(s.modelDir, s.data.labels, s.hp);

    RunRecord record;
    record.task = s.data.task;
    record.modelDir = QDir(s.modelDir).absolutePath();
    record.method = s.hp.method;
    record.hyperparameters = s.hp.toJson();
    record.seed = s.hp.seed;
    record.snapshot = {{"hash", QString::fromLatin1(s.data.snapshotHash())},
                       {"labels", QJsonArray::fromStringList(s.data.labels)}};
    for (auto it = s.data.splits.begin(); it != s.data.splits.end(); ++it)
        record.snapshot.insert(it.key(), rowIds(it.value()));
    record.software = {{"finetune_studio", QStringLiteral(FTS_VERSION)},
                       {"libtorch", QStringLiteral(TORCH_VERSION)},
                       {"qt", QString::fromLatin1(qVersion())}};
    s.runId = createRun(m_project, record);
    return train(false);
}

TrainResult Trainer::resume(qint64 runId)
{
    TrainerState& s = *m_state;
    const RunRecord record = loadRun(m_project, runId);
    requireTrainedWeights(record, QStringLiteral("resume"));
    if (isMultiTaskRun(record))
        return resumeMultiTask(m_project, m_options, runId);
    if (record.status == QLatin1String("finished"))
        throw Error(QStringLiteral("Run %1 already finished; start a new run to train further.")
                        .arg(runId));
    if (record.lastCheckpoint.isEmpty())
        throw Error(
            QStringLiteral("Run %1 stopped before its first checkpoint, so there is nothing "
                           "to resume; start a new run.")
                .arg(runId));
    const QString dir = m_project.artifactPath(record.lastCheckpoint);
    s.runId = runId;
    s.hp = Hyperparameters::fromJson(record.hyperparameters);
    s.modelDir = record.modelDir;
    if (m_options.tokenizer)
        s.tokenizer = m_options.tokenizer;
    else if (QFileInfo::exists(QDir(dir).filePath(QStringLiteral("vocab_words.txt"))))
        s.tokenizer = loadModelTokenizer(dir);
    else
        s.tokenizer = loadModelTokenizer(s.modelDir);
    s.data = loadTaskData(m_project, record.task);
    if (s.data.snapshotHash() != record.snapshot.value(QLatin1String("hash")).toString().toLatin1())
        throw Error(
            QStringLiteral("The data of task '%1' changed since run %2 started (rows, texts "
                           "or labels), so it cannot continue exactly; start a new run.")
                .arg(record.task)
                .arg(runId));
    prepareTaskData(s.data, *s.tokenizer, s.hp, s.modelDir);

    const QJsonObject state = loadTrainerState(dir);
    at::manual_seed(uint64_t(s.hp.seed));
    s.model = buildClassifier(s.modelDir, s.data.labels, s.hp);
    const LoadReport report = loadStateDict(
        *s.model, loadSafetensors(QDir(dir).filePath(QStringLiteral("model.safetensors"))));
    if (!report.missing.empty())
        throw Error(QStringLiteral("The checkpoint %1 lacks %2; it does not belong to this model.")
                        .arg(dir, QString::fromStdString(report.missing.front())));
    s.readProgressJson(state); // the RNG last: building the model above drew from it
    s.lastCheckpoint = record.lastCheckpoint;
    s.bestCheckpoint = record.bestCheckpoint;
    discardMetricsAfter(m_project, runId, s.step);
    setRunStatus(m_project, runId, QStringLiteral("running"));
    return train(true);
}

namespace {

void setupOptimizer(TrainerState& s)
{
    const QStringList head = s.model->headModules();
    static_cast<OptimizerSetup&>(s) =
        makeAdamW(*s.model, s.hp, [&](const std::string& name) { return isHeadParameter(name, head); });
}

ClassificationReport evaluate(TrainerState& s)
{
    const AutocastScope autocast(s.hp.precision);
    const std::vector<Example>& val = s.val();
    if (!s.frozen())
        return evaluateClassifier(*s.model, s.data.labels, val, s.tokenizer->padId(),
                                  s.hp.batchSize);
    torch::NoGradGuard noGrad;
    s.model->eval();
    const at::Tensor probs = at::softmax(s.model->headOnFeatures(s.valFeatures), -1)
                                 .to(at::kDouble)
                                 .contiguous(); // [N, labels]
    std::vector<int> truth, predicted;
    std::vector<std::vector<double>> probabilities;
    const auto p = probs.accessor<double, 2>();
    for (int64_t r = 0; r < probs.size(0); ++r) {
        std::vector<double> row(p[r].data(), p[r].data() + probs.size(1));
        predicted.push_back(int(std::max_element(row.begin(), row.end()) - row.begin()));
        truth.push_back(val[size_t(r)].label);
        probabilities.push_back(std::move(row));
    }
    return classificationReport(s.data.labels, truth, predicted, probabilities);
}

QJsonObject trainerState(const TrainerState& s)
{
    QJsonObject state = s.progressJson();
    state.insert(QStringLiteral("labels"), QJsonArray::fromStringList(s.data.labels));
    return state;
}

// Writes a checkpoint folder and returns its path relative to the artifacts folder.
QString writeCheckpoint(Project& project, const TrainerState& s, const QString& kind)
{
    const QString rel = QStringLiteral("runs/%1/%2-step%3").arg(s.runId).arg(kind).arg(s.step);
    const QString dir = project.artifactPath(rel);
    QDir(dir).removeRecursively(); // a leftover of an interrupted write
    saveCheckpoint(dir, stateDict(*s.model), *s.optimizer, s.groupNames, trainerState(s),
                   s.tokenizer.get());
    return rel;
}

void replaceCheckpoint(Project& project, const TrainerState& s, QString& current,
                       const QString& kind)
{
    const QString previous = current;
    current = writeCheckpoint(project, s, kind);
    setRunCheckpoints(project, s.runId, s.lastCheckpoint, s.bestCheckpoint, s.bestMetric,
                      s.bestStep, s.seconds);
    // Only once the record points at the new folder may the old one go.
    if (!previous.isEmpty() && previous != current)
        QDir(project.artifactPath(previous)).removeRecursively();
}

} // namespace

namespace {

void prepareTraining(Project& project, TrainerState& s, bool resuming)
{
    setupOptimizer(s);
    if (resuming)
        loadOptimizerState(project.artifactPath(s.lastCheckpoint), *s.optimizer, s.groupNames);
    const int64_t pad = s.tokenizer->padId();
    if (s.frozen()) {
        const AutocastScope autocast(s.hp.precision);
        s.trainFeatures = cacheFeatures(*s.model, s.train(), pad, s.hp.batchSize);
        if (!s.val().empty())
            s.valFeatures = cacheFeatures(*s.model, s.val(), pad, s.hp.batchSize);
    }
    const int64_t batchesPerEpoch =
        (int64_t(s.train().size()) + s.hp.batchSize - 1) / s.hp.batchSize;
    const int64_t stepsPerEpoch =
        (batchesPerEpoch + s.hp.gradAccumulation - 1) / s.hp.gradAccumulation;
    s.totalSteps = s.hp.maxSteps > 0 ? s.hp.maxSteps : s.hp.epochs * stepsPerEpoch;
    s.warmupSteps = qint64(std::ceil(s.hp.warmupRatio * double(s.totalSteps)));
    if (!resuming)
        s.batches = epochBatches(s.train(), s.hp.batchSize, s.hp.seed, s.epoch);
}

// The gradients of one optimizer step: up to grad_accumulation micro-batches of the epoch, each
// loss scaled so the step sees their mean. Returns that mean loss; a non-finite loss fails the run.
double accumulateGradients(Project& project, TrainerState& s, qint64 injectNanAtStep,
                           int64_t& tokens)
{
    s.model->train();
    s.optimizer->zero_grad();
    const size_t micro =
        std::min<size_t>(size_t(s.hp.gradAccumulation), s.batches.size() - s.batchInEpoch);
    double stepLoss = 0;
    for (size_t a = 0; a < micro; ++a) {
        const std::vector<int>& idx = s.batches[s.batchInEpoch + a];
        const Batch batch = makeBatch(s.train(), idx, s.tokenizer->padId());
        const AutocastScope autocast(s.hp.precision);
        at::Tensor logits;
        if (s.frozen()) {
            const at::Tensor rows = at::tensor(std::vector<int64_t>(idx.begin(), idx.end()));
            logits = s.model->headOnFeatures(s.trainFeatures.index_select(0, rows));
        } else {
            logits = s.model->forward(batch.ids, batch.mask); // [B, labels]
        }
        at::Tensor loss = at::cross_entropy_loss(logits.to(at::kFloat), batch.labels, {}, at::Reduction::Mean,
                                                 -100, s.hp.labelSmoothing);
        if (s.step + 1 == injectNanAtStep)
            loss = loss * std::numeric_limits<double>::quiet_NaN();
        const double value = loss.item<double>();
        if (!std::isfinite(value)) {
            const QString message =
                divergenceMessage(s.step, QStringLiteral("loss"), value, s.hp.lr, s.lastCheckpoint);
            setRunStatus(project, s.runId, QStringLiteral("failed"), message);
            throw Error(message);
        }
        (loss / double(micro)).backward();
        stepLoss += value / double(micro);
        tokens += batch.tokens;
    }
    s.batchInEpoch += micro;
    return stepLoss;
}

// Returns true when the epoch just ended (the next epoch's order is then drawn).
bool advanceEpoch(TrainerState& s)
{
    if (s.batchInEpoch < s.batches.size())
        return false;
    ++s.epoch;
    s.batchInEpoch = 0;
    s.batches = epochBatches(s.train(), s.hp.batchSize, s.hp.seed, s.epoch);
    return true;
}

} // namespace

TrainResult Trainer::train(bool resuming)
{
    TrainerState& s = *m_state;
    const auto metric = [&](const QString& split, const QString& name, double value) {
        const MetricPoint p{s.step, s.epochProgress(), split, name, value};
        addMetric(m_project, s.runId, p);
        if (m_options.onMetric)
            m_options.onMetric(p);
    };
    prepareTraining(m_project, s, resuming);
    TrainResult result;
    result.runId = s.runId;
    QElapsedTimer clock;
    clock.start();
    const double secondsBefore = s.seconds;
    qint64 pausedMs = 0;
    int evaluations = 0;
    QString prunedBecause;
    const auto tick = [&] { s.seconds = secondsBefore + (clock.elapsed() - pausedMs) / 1000.0; };

    while (s.step < s.totalSteps) {
        tick();
        if (m_options.cancel && m_options.cancel->load()) {
            replaceCheckpoint(m_project, s, s.lastCheckpoint, QStringLiteral("last"));
            setRunStatus(m_project, s.runId, QStringLiteral("cancelled"));
            result.status = QStringLiteral("cancelled");
            break;
        }
        if (const qint64 waited = waitWhilePaused(m_options.pause, m_options.cancel)) {
            pausedMs += waited;
            continue; // a stop during the pause is handled above
        }
        QElapsedTimer stepClock;
        stepClock.start();
        int64_t tokens = 0;
        const double stepLoss =
            accumulateGradients(m_project, s, m_options.injectNanAtStep, tokens);
        const double factor =
            learningRateFactor(s.hp.schedule, s.step, s.totalSteps, s.warmupSteps);
        scaleLearningRate(s, factor);
        if (s.step + 1 == m_options.injectNanGradientAtStep)
            poisonGradients(s.trainable);
        const double gradNorm = clipGradients(s.trainable, s.hp.maxGradNorm);
        if (!std::isfinite(gradNorm)) {
            const QString message = divergenceMessage(s.step, QStringLiteral("gradient norm"),
                                                      gradNorm, s.hp.lr, s.lastCheckpoint);
            setRunStatus(m_project, s.runId, QStringLiteral("failed"), message);
            throw Error(message);
        }
        s.optimizer->step();
        ++s.step;
        const bool epochEnded = advanceEpoch(s);
        metric(QStringLiteral("train"), QStringLiteral("loss"), stepLoss);
        metric(QStringLiteral("train"), QStringLiteral("lr"), s.baseLr.front() * factor);
        if (m_options.onStep)
            m_options.onStep({s.step, s.totalSteps, s.epochProgress(), stepLoss,
                              s.baseLr.front() * factor,
                              double(tokens) / std::max(1e-6, stepClock.nsecsElapsed() / 1e9)});

        const bool last = s.step == s.totalSteps;
        const bool evalNow =
            !s.val().empty() &&
            ((s.hp.evalEvery > 0 ? s.step % s.hp.evalEvery == 0 : epochEnded) || last);
        bool stop = false;
        if (evalNow) {
            tick();
            stop = evaluateAndTrack(s, metric);
            result.earlyStopped = stop;
            ++evaluations;
            if (!stop && !last && m_options.prune) {
                const QString why = m_options.prune(evaluations, s.bestMetric);
                if (!why.isEmpty()) {
                    if (m_options.onLog)
                        m_options.onLog(why);
                    prunedBecause = why;
                    stop = true;
                }
            }
        }
        if ((s.hp.checkpointEvery > 0 ? s.step % s.hp.checkpointEvery == 0 : evalNow) || last ||
            stop) {
            tick();
            replaceCheckpoint(m_project, s, s.lastCheckpoint, QStringLiteral("last"));
        }
        if (stop)
            break;
    }
    tick();
    if (result.status.isEmpty()) {
        setRunCheckpoints(m_project, s.runId, s.lastCheckpoint, s.bestCheckpoint, s.bestMetric,
                          s.bestStep, s.seconds);
        // A pruned run stopped before its end, so it is kept as stopped (resumable), with why.
        const bool pruned = !prunedBecause.isEmpty();
        setRunStatus(m_project, s.runId,
                     pruned ? QStringLiteral("cancelled") : QStringLiteral("finished"),
                     prunedBecause);
        result.status = pruned ? QStringLiteral("pruned") : QStringLiteral("finished");
    }
    result.steps = s.step;
    result.bestMetric = s.bestMetric;
    result.bestStep = s.bestStep;
    result.lastEval = s.lastEval;
    return result;
}

// Records the val metrics, keeps the best checkpoint, and says whether early stopping triggers.
bool Trainer::evaluateAndTrack(
    TrainerState& s, const std::function<void(const QString&, const QString&, double)>& metric)
{
    s.lastEval = evaluate(s);
    metric(QStringLiteral("val"), QStringLiteral("loss"), s.lastEval.loss);
    metric(QStringLiteral("val"), QStringLiteral("accuracy"), s.lastEval.accuracy);
    metric(QStringLiteral("val"), QStringLiteral("macro_f1"), s.lastEval.macroF1);
    const double value = metricValue(s.lastEval, s.hp.earlyStoppingMetric);
    const bool higher = higherIsBetter(s.hp.earlyStoppingMetric);
    if (s.bestStep < 0 || (higher ? value > s.bestMetric : value < s.bestMetric)) {
        s.bestMetric = value;
        s.bestStep = s.step;
        s.sinceBest = 0;
        replaceCheckpoint(m_project, s, s.bestCheckpoint, QStringLiteral("best"));
        return false;
    }
    if (s.hp.patience <= 0 || ++s.sinceBest < s.hp.patience)
        return false;
    if (m_options.onLog)
        m_options.onLog(QStringLiteral("Stopped early at step %1: %2 did not improve for %3 "
                                       "evaluations.")
                            .arg(s.step)
                            .arg(s.hp.earlyStoppingMetric)
                            .arg(s.hp.patience));
    return true;
}

namespace {

// A run's best checkpoint (its last when none was best) ready to predict.
struct LoadedRun
{
    RunRecord record;
    Hyperparameters hp;
    QStringList labels; // the run's own label order
    QString task;       // the task these labels belong to (a multi-task run's chosen one)
    std::unique_ptr<TextTokenizer> tokenizer;
    SequenceClassifier model{nullptr};
    int maxLength = 0;
};

LoadedRun loadRunClassifier(Project& project, qint64 runId, const QString& task)
{
    LoadedRun run;
    run.record = loadRun(project, runId);
    const RunRecord& record = run.record;
    requireTrainedWeights(record, QStringLiteral("evaluate or predict with"));
    const QString rel =
        record.bestCheckpoint.isEmpty() ? record.lastCheckpoint : record.bestCheckpoint;
    if (rel.isEmpty())
        throw Error(QStringLiteral("Run %1 has no checkpoint yet, so there is nothing to evaluate.")
                        .arg(runId));
    const QString dir = project.artifactPath(rel);
    run.hp = Hyperparameters::fromJson(record.hyperparameters);
    run.tokenizer = QFileInfo::exists(QDir(dir).filePath(QStringLiteral("vocab_words.txt")))
                        ? loadModelTokenizer(dir)
                        : loadModelTokenizer(record.modelDir);
    run.maxLength = effectiveMaxLength(run.hp, ModelConfig::load(record.modelDir));
    if (isMultiTaskRun(record)) {
        run.model = loadMultiTaskHead(record, dir, task, &run.labels);
        run.task = task.isEmpty() ? multiTaskRunTasks(record).front() : task;
        return run;
    }
    if (!task.isEmpty() && task != record.task)
        throw Error(QStringLiteral("Run %1 trained task '%2' only, not '%3'.")
                        .arg(runId)
                        .arg(record.task, task));
    run.task = record.task;
    const QJsonObject state = loadTrainerState(dir);
    for (const QJsonValue& v : state.value(QLatin1String("labels")).toArray())
        run.labels << v.toString();
    run.model = buildClassifier(record.modelDir, run.labels, run.hp);
    loadStateDict(*run.model,
                  loadSafetensors(QDir(dir).filePath(QStringLiteral("model.safetensors"))));
    return run;
}

} // namespace

std::vector<std::vector<double>> predictWithRun(Project& project, qint64 runId,
                                                const QStringList& texts, QStringList* labels,
                                                const std::function<void(qint64, qint64)>& progress)
{
    LoadedRun run = loadRunClassifier(project, runId, {});
    if (labels)
        *labels = run.labels;
    // Loaded once; predicted in chunks so a long list reports progress (and can be cancelled by
    // a callback that throws) without holding every row's token ids at once.
    constexpr qsizetype kChunk = 256;
    const AutocastScope autocast(run.hp.precision);
    std::vector<std::vector<double>> out;
    out.reserve(size_t(texts.size()));
    for (qsizetype start = 0; start < texts.size(); start += kChunk) {
        if (progress)
            progress(start, texts.size());
        std::vector<Example> examples;
        for (const QString& text : texts.mid(start, kChunk)) {
            Example e;
            e.text = text;
            e.ids = run.tokenizer->encodeForClassifier(text, run.maxLength);
            examples.push_back(std::move(e));
        }
        for (std::vector<double>& p :
             predictClassifier(*run.model, examples, run.tokenizer->padId(), run.hp.batchSize))
            out.push_back(std::move(p));
    }
    return out;
}

Evaluation evaluateRunOnSplit(Project& project, qint64 runId, const QString& split,
                              const QString& task)
{
    LoadedRun run = loadRunClassifier(project, runId, task);
    const RunRecord& record = run.record;
    const QStringList& labels = run.labels;
    TaskData data = loadTaskData(project, run.task);
    prepareTaskData(data, *run.tokenizer, run.hp, record.modelDir);
    std::vector<Example> examples = data.splits.value(split);
    if (examples.empty())
        throw Error(QStringLiteral("The %1 split of task '%2' has no labeled rows to evaluate on; "
                                   "assign splits or choose another split.")
                        .arg(split, run.task));
    for (Example& e : examples) {
        const QString name = data.labels[e.label];
        e.label = int(labels.indexOf(name));
        if (e.label < 0)
            throw Error(
                QStringLiteral("Row %1 has the label '%2', which run %3 never saw (it knows "
                               "%4); train a new run to include it.")
                    .arg(e.rowId)
                    .arg(name)
                    .arg(runId)
                    .arg(labels.join(QStringLiteral(", "))));
    }
    const AutocastScope autocast(run.hp.precision);
    const std::vector<std::vector<double>> probabilities =
        predictClassifier(*run.model, examples, run.tokenizer->padId(), run.hp.batchSize);

    Evaluation out;
    out.task = run.task;
    out.split = split;
    out.predictor = isMultiTaskRun(record)
                        ? QStringLiteral("run %1 (%2, task %3)").arg(runId).arg(record.method, run.task)
                        : QStringLiteral("run %1 (%2)").arg(runId).arg(record.method);
    std::vector<int> truth, predicted;
    for (size_t i = 0; i < examples.size(); ++i) {
        RowPrediction row;
        row.rowId = examples[i].rowId;
        row.text = examples[i].text;
        row.truth = examples[i].label;
        row.predicted = argmax(probabilities[i]);
        row.probabilities = probabilities[i];
        truth.push_back(row.truth);
        predicted.push_back(row.predicted);
        out.rows << row;
    }
    out.report = classificationReport(labels, truth, predicted, probabilities);
    return out;
}

ClassificationReport evaluateRun(Project& project, qint64 runId, const QString& split,
                                 const QString& task)
{
    return evaluateRunOnSplit(project, runId, split, task).report;
}

} // namespace fts
