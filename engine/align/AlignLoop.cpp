// The decoder trainers' shared loop: one run from first step (or last checkpoint) to the end.
#include "align/AlignLoop.h"

#include "Error.h"
#include "align/SftData.h"
#include "deploy/FewShot.h"
#include "models/Lora.h"
#include "models/Safetensors.h"
#include "models/StateDict.h"
#include "project/Project.h"
#include "runtime/Autocast.h"
#include "train/Checkpoint.h"
#include "train/Divergence.h"
#include "train/Pause.h"
#include "train/RunProgress.h"
#include "train/TrainData.h"

#include <ATen/ATen.h>
#include <torch/optim/adamw.h>
#include <torch/version.h>

#include <QDir>
#include <QElapsedTimer>
#include <QJsonArray>

#include <cmath>
#include <limits>

namespace fts {

QStringList defaultDecoderLoraTargets(ModelFamily family)
{
    if (family == ModelFamily::Gpt2)
        return {QStringLiteral("c_attn")};
    return {QStringLiteral("q_proj"), QStringLiteral("v_proj")};
}

std::shared_ptr<DecoderModel> loadDecoderForMethod(const QString& modelDir,
                                                   const Hyperparameters& hp)
{
    ModelConfig config = ModelConfig::load(modelDir);
    if (hp.dropout >= 0) {
        config.hiddenDropout = hp.dropout;
        config.attentionDropout = hp.dropout;
    }
    std::shared_ptr<DecoderModel> model = makeDecoder(config);
    model->loadFolder(modelDir);
    if (hp.method == QLatin1String("freeze")) {
        std::vector<std::shared_ptr<torch::nn::Module>> frozen = model->embeddings();
        const auto layers = model->layers();
        for (int i = 0; i < hp.freezeLayers && i < int(layers.size()); ++i)
            frozen.push_back(layers[size_t(i)]);
        freezeModules(frozen);
    } else if (hp.method == QLatin1String("lora")) {
        LoraConfig lora;
        lora.rank = hp.loraRank;
        lora.alpha = hp.loraAlpha;
        lora.dropout = hp.loraDropout;
        lora.targetModules = hp.loraTargets.isEmpty()
                                 ? defaultDecoderLoraTargets(model->config().family)
                                 : hp.loraTargets;
        lora.taskType = QStringLiteral("CAUSAL_LM");
        applyLora(*model, lora);
        freezeAllButAdapters(*model);
    } else if (hp.method != QLatin1String("full")) {
        throw Error(QStringLiteral("Method '%1' does not apply to decoder fine-tuning: use full, "
                                   "freeze or lora.")
                        .arg(hp.method));
    }
    return model;
}

std::shared_ptr<DecoderModel> loadTrainedDecoder(Project& project, const RunRecord& record)
{
    requireTrainedWeights(record, QStringLiteral("generate with"));
    if (!isDecoderRunMethod(record.method))
        throw Error(QStringLiteral("Run %1 (%2) did not train a decoder's answers; choose an SFT, DPO "
                                   "or PPO run.")
                        .arg(record.id)
                        .arg(record.method));
    const QString rel = record.bestCheckpoint.isEmpty() ? record.lastCheckpoint : record.bestCheckpoint;
    if (rel.isEmpty())
        throw Error(QStringLiteral("Run %1 has no checkpoint yet.").arg(record.id));
    if (!ModelConfig::load(record.modelDir).isDecoder())
        throw Error(QStringLiteral("Run %1 was trained on %2, which is not a decoder.").arg(record.id).arg(record.modelDir));
    Hyperparameters hp = Hyperparameters::fromJson(record.hyperparameters);
    hp.dropout = -1;
    std::shared_ptr<DecoderModel> model = loadDecoderForMethod(record.modelDir, hp); // adapters in place when LoRA
    const LoadReport report = loadStateDict(
        *model, loadSafetensors(QDir(project.artifactPath(rel)).filePath(QStringLiteral("model.safetensors"))));
    if (!report.missing.empty())
        throw Error(QStringLiteral("The checkpoint of run %1 lacks %2; it does not match %3.")
                        .arg(record.id)
                        .arg(QString::fromStdString(report.missing.front()), record.modelDir));
    return model;
}

namespace {

struct LoopState : RunProgress
{
    qint64 runId = 0;
    OptimizerSetup opt;
    std::vector<Example> examples; // lengths only, for epochBatches
    QJsonObject before;
};

} // namespace

void setLearningRate(OptimizerSetup& s, double lr)
{
    for (auto& group : s.optimizer->param_groups())
        static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
}

namespace {

QJsonObject stateJson(const LoopState& s)
{
    QJsonObject state = s.progressJson();
    state.insert(QStringLiteral("before"), s.before);
    return state;
}

void restoreState(LoopState& s, const QJsonObject& state)
{
    s.readProgressJson(state);
    s.before = state.value(QLatin1String("before")).toObject();
}

void replaceCheckpoint(Project& project, const LoopState& s, const LoopTask& task, QString& current,
                       const QString& kind)
{
    const QString previous = current;
    const QString rel = QStringLiteral("runs/%1/%2-step%3").arg(s.runId).arg(kind).arg(s.step);
    const QString dir = project.artifactPath(rel);
    QDir(dir).removeRecursively(); // a leftover of an interrupted write
    saveCheckpoint(dir, stateDict(*task.model), *s.opt.optimizer, s.opt.groupNames, stateJson(s),
                   nullptr);
    current = rel;
    setRunCheckpoints(project, s.runId, s.lastCheckpoint, s.bestCheckpoint, s.bestMetric,
                      s.bestStep, s.seconds);
    // Only once the record points at the new folder may the old one go.
    if (!previous.isEmpty() && previous != current)
        QDir(project.artifactPath(previous)).removeRecursively();
}

Metrics evaluateNow(const LoopTask& task)
{
    if (!task.evaluate)
        return {};
    torch::NoGradGuard noGrad;
    const AutocastScope autocast(task.hp.precision);
    task.model->eval();
    Metrics m = task.evaluate();
    task.model->train();
    return m;
}

double metricOf(const Metrics& metrics, const QString& name)
{
    for (const auto& m : metrics)
        if (m.first == name)
            return m.second;
    return std::numeric_limits<double>::quiet_NaN();
}

// One optimizer step's gradients over up to grad_accumulation micro-batches; returns their mean
// loss. A non-finite loss marks the run failed and throws.
double accumulate(Project& project, LoopState& s, const LoopTask& task, const AlignCallbacks& cb,
                  int64_t& tokens)
{
    task.model->train();
    s.opt.optimizer->zero_grad();
    const size_t micro =
        std::min<size_t>(size_t(task.hp.gradAccumulation), s.batches.size() - s.batchInEpoch);
    double stepLoss = 0;
    for (size_t a = 0; a < micro; ++a) {
        int64_t batchTokens = 0;
        at::Tensor loss;
        {
            const AutocastScope autocast(task.hp.precision);
            loss = task.trainLoss(s.batches[s.batchInEpoch + a], batchTokens).to(at::kFloat);
        }
        if (s.step + 1 == cb.injectNanAtStep)
            loss = loss * std::numeric_limits<double>::quiet_NaN();
        const double value = loss.item<double>();
        if (!std::isfinite(value)) {
            const QString message = divergenceMessage(s.step, QStringLiteral("loss"), value,
                                                      task.hp.lr, s.lastCheckpoint);
            setRunStatus(project, s.runId, QStringLiteral("failed"), message);
            throw Error(message);
        }
        (loss / double(micro)).backward();
        stepLoss += value / double(micro);
        tokens += batchTokens;
    }
    s.batchInEpoch += micro;
    return stepLoss;
}

qint64 startRun(Project& project, const LoopTask& task)
{
    RunRecord record;
    record.task = task.task;
    record.modelDir = QDir(task.modelDir).absolutePath();
    record.method = task.method;
    record.hyperparameters = task.hp.toJson();
    record.seed = task.hp.seed;
    record.snapshot = task.extra;
    record.snapshot.insert(QStringLiteral("data_file"), QDir(task.dataFile).absolutePath());
    record.snapshot.insert(QStringLiteral("hash"), QString::fromLatin1(fileSha256(task.dataFile)));
    record.snapshot.insert(QStringLiteral("train_examples"), qint64(task.lengths.size()));
    record.software = {{"finetune_studio", QStringLiteral(FTS_VERSION)},
                       {"libtorch", QStringLiteral(TORCH_VERSION)},
                       {"qt", QString::fromLatin1(qVersion())}};
    return createRun(project, record);
}

} // namespace

RunRecord runToResume(Project& project, qint64 runId)
{
    const RunRecord record = loadRun(project, runId);
    requireTrainedWeights(record, QStringLiteral("resume"));
    if (record.status == QLatin1String("finished"))
        throw Error(QStringLiteral("Run %1 already finished; start a new run to train further.")
                        .arg(runId));
    if (record.lastCheckpoint.isEmpty())
        throw Error(QStringLiteral("Run %1 stopped before its first checkpoint, so there is "
                                   "nothing to resume; start a new run.")
                        .arg(runId));
    const QString file = record.snapshot.value(QLatin1String("data_file")).toString();
    if (fileSha256(file) != record.snapshot.value(QLatin1String("hash")).toString().toLatin1())
        throw Error(QStringLiteral("The data file %1 changed since run %2 started, so it cannot "
                                   "continue exactly; start a new run.")
                        .arg(file)
                        .arg(runId));
    return record;
}

namespace {

// One run of the loop: the state plus what it reports to, so each phase is a short method.
struct LoopRunner
{
    Project& project;
    LoopState& s;
    const LoopTask& task;
    const AlignCallbacks& cb;
    Metrics last; // the latest validation metrics

    void metric(const QString& split, const QString& name, double value)
    {
        const MetricPoint p{s.step, s.epochProgress(), split, name, value};
        addMetric(project, s.runId, p);
        if (cb.onMetric)
            cb.onMetric(p);
    }

    void begin(qint64 resumeRunId)
    {
        if (resumeRunId > 0) {
            const RunRecord record = loadRun(project, resumeRunId);
            const QString dir = project.artifactPath(record.lastCheckpoint);
            const LoadReport report = loadStateDict(
                *task.model,
                loadSafetensors(QDir(dir).filePath(QStringLiteral("model.safetensors"))));
            if (!report.missing.empty())
                throw Error(QStringLiteral("The checkpoint %1 lacks %2; it does not belong to "
                                           "this model.")
                                .arg(dir, QString::fromStdString(report.missing.front())));
            loadOptimizerState(dir, *s.opt.optimizer, s.opt.groupNames);
            s.runId = resumeRunId;
            s.lastCheckpoint = record.lastCheckpoint;
            s.bestCheckpoint = record.bestCheckpoint;
            restoreState(s, loadTrainerState(dir));
            discardMetricsAfter(project, s.runId, s.step);
            setRunStatus(project, s.runId, QStringLiteral("running"));
            return;
        }
        s.runId = startRun(project, task);
        s.batches = epochBatches(s.examples, task.hp.batchSize, task.hp.seed, 0);
        // Measured before any step, so "after" has something honest to be compared with.
        for (const auto& m : evaluateNow(task)) {
            metric(QStringLiteral("val"), m.first, m.second);
            s.before.insert(m.first, m.second);
        }
    }

    // Gradients, schedule, clipping and the AdamW step; returns whether the epoch just ended.
    bool optimizerStep()
    {
        QElapsedTimer clock;
        clock.start();
        int64_t tokens = 0;
        const double loss = accumulate(project, s, task, cb, tokens);
        const double lr =
            task.hp.lr * learningRateFactor(task.hp.schedule, s.step, s.totalSteps, s.warmupSteps);
        setLearningRate(s.opt, lr);
        if (s.step + 1 == cb.injectNanGradientAtStep)
            poisonGradients(s.opt.trainable);
        const double gradNorm = clipGradients(s.opt.trainable, task.hp.maxGradNorm);
        if (!std::isfinite(gradNorm)) {
            const QString message = divergenceMessage(s.step, QStringLiteral("gradient norm"),
                                                      gradNorm, task.hp.lr, s.lastCheckpoint);
            setRunStatus(project, s.runId, QStringLiteral("failed"), message);
            throw Error(message);
        }
        s.opt.optimizer->step();
        ++s.step;
        bool epochEnded = false;
        if (s.batchInEpoch >= s.batches.size()) {
            ++s.epoch;
            s.batchInEpoch = 0;
            s.batches = epochBatches(s.examples, task.hp.batchSize, task.hp.seed, s.epoch);
            epochEnded = true;
        }
        metric(QStringLiteral("train"), QStringLiteral("loss"), loss);
        metric(QStringLiteral("train"), QStringLiteral("lr"), lr);
        if (cb.onStep)
            cb.onStep({s.step, s.totalSteps, s.epochProgress(), loss, lr,
                       double(tokens) / std::max(1e-6, clock.nsecsElapsed() / 1e9)});
        return epochEnded;
    }

    // Validation metrics recorded, the best checkpoint kept; true when early stopping triggers.
    bool evaluateAndTrack()
    {
        last = evaluateNow(task);
        for (const auto& m : last)
            metric(QStringLiteral("val"), m.first, m.second);
        const double value = metricOf(last, task.selectMetric);
        if (s.bestStep < 0 || (task.higherIsBetter ? value > s.bestMetric : value < s.bestMetric)) {
            s.bestMetric = value;
            s.bestStep = s.step;
            s.sinceBest = 0;
            replaceCheckpoint(project, s, task, s.bestCheckpoint, QStringLiteral("best"));
            return false;
        }
        if (task.hp.patience <= 0 || ++s.sinceBest < task.hp.patience)
            return false;
        if (cb.onLog)
            cb.onLog(QStringLiteral("Stopped early at step %1: %2 did not improve for %3 "
                                    "evaluations.")
                         .arg(s.step)
                         .arg(task.selectMetric)
                         .arg(task.hp.patience));
        return true;
    }
};

} // namespace

AlignResult runAlignLoop(Project& project, LoopTask& task, const AlignCallbacks& cb,
                         qint64 resumeRunId)
{
    LoopState s;
    for (size_t n : task.lengths) {
        Example e;
        e.ids.resize(n);
        s.examples.push_back(std::move(e));
    }
    s.opt = makeAdamW(*task.model, task.hp);
    const int64_t batchesPerEpoch =
        (int64_t(s.examples.size()) + task.hp.batchSize - 1) / task.hp.batchSize;
    const int64_t stepsPerEpoch =
        (batchesPerEpoch + task.hp.gradAccumulation - 1) / task.hp.gradAccumulation;
    s.totalSteps = task.hp.maxSteps > 0 ? task.hp.maxSteps : task.hp.epochs * stepsPerEpoch;
    s.warmupSteps = qint64(std::ceil(task.hp.warmupRatio * double(s.totalSteps)));
    LoopRunner run{project, s, task, cb, {}};
    run.begin(resumeRunId);
    AlignResult result;
    result.runId = s.runId;
    for (auto it = s.before.begin(); it != s.before.end(); ++it)
        result.before.insert(it.key(), it.value().toDouble());

    QElapsedTimer clock;
    clock.start();
    const double secondsBefore = s.seconds;
    qint64 pausedMs = 0;
    const auto tick = [&] { s.seconds = secondsBefore + (clock.elapsed() - pausedMs) / 1000.0; };
    while (s.step < s.totalSteps) {
        tick();
        if (cb.cancel && cb.cancel->load()) {
            replaceCheckpoint(project, s, task, s.lastCheckpoint, QStringLiteral("last"));
            setRunStatus(project, s.runId, QStringLiteral("cancelled"));
            result.status = QStringLiteral("cancelled");
            break;
        }
        if (const qint64 waited = waitWhilePaused(cb.pause, cb.cancel)) {
            pausedMs += waited;
            continue;
        }
        const bool epochEnded = run.optimizerStep();
        const bool lastStep = s.step == s.totalSteps;
        const bool evalNow =
            task.evaluate && !s.before.isEmpty() &&
            ((task.hp.evalEvery > 0 ? s.step % task.hp.evalEvery == 0 : epochEnded) || lastStep);
        tick();
        const bool stop = evalNow && run.evaluateAndTrack();
        if ((task.hp.checkpointEvery > 0 ? s.step % task.hp.checkpointEvery == 0 : evalNow) ||
            lastStep || stop) {
            tick();
            replaceCheckpoint(project, s, task, s.lastCheckpoint, QStringLiteral("last"));
        }
        if (stop)
            break;
    }
    tick();
    if (result.status.isEmpty()) {
        setRunCheckpoints(project, s.runId, s.lastCheckpoint, s.bestCheckpoint, s.bestMetric,
                          s.bestStep, s.seconds);
        setRunStatus(project, s.runId, QStringLiteral("finished"));
        result.status = QStringLiteral("finished");
        for (const auto& m : run.last)
            result.after.insert(m.first, m.second);
    }
    result.steps = s.step;
    return result;
}

} // namespace fts
