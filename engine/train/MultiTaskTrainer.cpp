// The multi-task loop: rows labeled for any of the tasks, one encoder pass per batch feeding every
// head, a weighted sum of the heads' losses over the tasks each batch has labels for.
#include "train/MultiTaskTrainer.h"

#include "Error.h"
#include "models/SequenceClassifier.h"
#include "models/StateDict.h"
#include "project/Project.h"
#include "runtime/Autocast.h"
#include "train/Checkpoint.h"
#include "train/Divergence.h"
#include "train/Optimizer.h"
#include "train/Pause.h"
#include "train/RunProgress.h"
#include "train/TextTokenizer.h"
#include "train/TrainData.h"
#include "train/Trainer.h"

#include <ATen/ATen.h>
#include <torch/optim/adamw.h>
#include <torch/version.h>

#include <QCryptographicHash>
#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonArray>

#include <cmath>
#include <limits>
#include <map>

namespace fts {
namespace {

constexpr int kNoLabel = -100; // cross_entropy's ignore_index: the row has no label for the task

// Every split's rows (Example: id, text, token ids) with, per row, one label index per task.
struct MultiTaskData
{
    QStringList tasks;
    QList<QStringList> labels;                            // per task
    TaskData rows;                                        // rows.splits; Example::label unused
    QMap<QString, std::vector<std::vector<int>>> targets; // split -> row -> task -> label or kNoLabel

    const std::vector<Example>& split(const QString& name) const
    {
        static const std::vector<Example> none;
        const auto it = rows.splits.constFind(name);
        return it == rows.splits.cend() ? none : it.value();
    }
    const std::vector<std::vector<int>>& targetsOf(const QString& name) const
    {
        static const std::vector<std::vector<int>> none;
        const auto it = targets.constFind(name);
        return it == targets.cend() ? none : it.value();
    }
    QByteArray snapshotHash() const
    {
        QCryptographicHash h(QCryptographicHash::Sha256);
        h.addData(tasks.join(QLatin1Char('\x1d')).toUtf8());
        for (auto it = rows.splits.cbegin(); it != rows.splits.cend(); ++it) {
            const std::vector<std::vector<int>>& t = targets[it.key()];
            for (size_t i = 0; i < it.value().size(); ++i) {
                const Example& e = it.value()[i];
                h.addData(it.key().toUtf8() + '\x1f' + QByteArray::number(e.rowId) + '\x1f' +
                          e.text.toUtf8());
                for (int k = 0; k < tasks.size(); ++k)
                    h.addData('\x1f' + (t[i][size_t(k)] == kNoLabel
                                            ? QByteArray()
                                            : labels[k].value(t[i][size_t(k)]).toUtf8()));
                h.addData("\x1e");
            }
        }
        return h.result().toHex();
    }
};

MultiTaskData loadMultiTaskData(Project& project, const QStringList& tasks, QStringList* warnings)
{
    MultiTaskData d;
    d.tasks = tasks;
    std::map<qint64, std::pair<QString, QString>> rows; // row id -> (text, split)
    std::map<qint64, std::vector<int>> labels;
    for (int k = 0; k < tasks.size(); ++k) {
        if (tasks.indexOf(tasks[k]) != k)
            throw Error(QStringLiteral("Task '%1' is named twice; list each task once.").arg(tasks[k]));
        // The single-task checks, per task: train rows, two labels, one-label train split.
        TaskData single = loadTaskData(project, tasks[k]);
        const QStringList w = checkLabelCoverage(single);
        if (warnings)
            *warnings << w;
        d.labels << single.labels;
        for (auto it = single.splits.begin(); it != single.splits.end(); ++it)
            for (const Example& e : it.value()) {
                rows[e.rowId] = {e.text, it.key()};
                std::vector<int>& v = labels[e.rowId];
                if (v.empty())
                    v.assign(size_t(tasks.size()), kNoLabel);
                v[size_t(k)] = e.label;
            }
    }
    for (const auto& [id, textSplit] : rows) {
        Example e;
        e.rowId = id;
        e.text = textSplit.first;
        d.rows.splits[textSplit.second].push_back(std::move(e));
        d.targets[textSplit.second].push_back(labels[id]);
    }
    return d;
}

// One classifier per task; all share the first one's encoder. `root` holds each weight once: the
// encoder under its Hugging Face prefix, task k's head under "tasks.k.".
struct MultiTaskModel
{
    std::vector<SequenceClassifier> heads;
    std::shared_ptr<torch::nn::Module> root;

    std::vector<at::Tensor> forward(const at::Tensor& ids, const at::Tensor& mask)
    {
        const at::Tensor hidden = heads.front()->encoder()->forward(ids, mask);
        std::vector<at::Tensor> logits;
        for (SequenceClassifier& h : heads)
            logits.push_back(h->headOnFeatures(h->headFeatures(hidden, mask)).to(at::kFloat));
        return logits;
    }
    void train(bool on)
    {
        root->train(on);
        for (SequenceClassifier& h : heads)
            h->train(on); // the heads' dropout reads their own module's mode
    }
};

MultiTaskModel buildMultiTaskModel(const QString& modelDir, const QList<QStringList>& labels,
                                   const Hyperparameters& hp)
{
    MultiTaskModel m;
    // The method (frozen, freeze, LoRA) is applied once, to the first classifier's encoder, which
    // every other head then reads.
    m.heads.push_back(buildClassifier(modelDir, labels.front(), hp));
    const std::shared_ptr<EncoderModel> encoder = m.heads.front()->encoder();
    ModelConfig config = ModelConfig::load(modelDir);
    for (int k = 1; k < labels.size(); ++k) {
        config.labels = labels[k];
        SequenceClassifier head(config, ProblemType::SingleLabel);
        head->useEncoder(encoder);
        m.heads.push_back(head);
    }
    m.root = std::make_shared<torch::nn::Module>();
    const std::string prefix = encoder->checkpointPrefix();
    m.root->register_module(prefix.substr(0, prefix.size() - 1), encoder);
    auto tasks = m.root->register_module("tasks", std::make_shared<torch::nn::Module>());
    for (size_t k = 0; k < m.heads.size(); ++k) {
        auto task = tasks->register_module(std::to_string(k), std::make_shared<torch::nn::Module>());
        const QStringList headModules = m.heads[k]->headModules();
        for (const auto& child : m.heads[k]->named_children())
            if (headModules.contains(QString::fromStdString(child.key())))
                task->register_module(child.key(), child.value());
    }
    return m;
}

struct MultiTaskState : RunProgress, OptimizerSetup
{
    qint64 runId = 0;
    Hyperparameters hp;
    QString modelDir;
    MultiTaskData data;
    std::shared_ptr<TextTokenizer> tokenizer;
    MultiTaskModel model;
    QMap<QString, ClassificationReport> lastEval;
    // Feature extraction: the frozen encoder's pooled output per head, computed once, so every
    // step after costs only the heads.
    std::vector<at::Tensor> trainFeatures, valFeatures; // [rows, hidden] per task

    const std::vector<Example>& train() const { return data.split(QStringLiteral("train")); }
    bool frozen() const { return hp.method == QLatin1String("frozen"); }
};

// Each head's features of `examples` from one pass of the (frozen) encoder, in eval mode.
std::vector<at::Tensor> cacheTaskFeatures(MultiTaskState& s, const std::vector<Example>& examples)
{
    torch::NoGradGuard noGrad;
    const AutocastScope autocast(s.hp.precision);
    s.model.train(false);
    std::vector<std::vector<at::Tensor>> parts(s.model.heads.size());
    for (size_t start = 0; start < examples.size(); start += size_t(s.hp.batchSize)) {
        std::vector<int> idx;
        for (size_t i = start; i < std::min(examples.size(), start + size_t(s.hp.batchSize)); ++i)
            idx.push_back(int(i));
        const Batch batch = makeBatch(examples, idx, s.tokenizer->padId());
        const at::Tensor hidden = s.model.heads.front()->encoder()->forward(batch.ids, batch.mask);
        for (size_t k = 0; k < s.model.heads.size(); ++k)
            parts[k].push_back(s.model.heads[k]->headFeatures(hidden, batch.mask).to(at::kFloat));
    }
    std::vector<at::Tensor> out;
    for (const std::vector<at::Tensor>& p : parts)
        out.push_back(p.empty() ? at::Tensor() : at::cat(p, 0));
    return out;
}

// The heads' logits for rows `idx`: from cached features, or through the encoder.
std::vector<at::Tensor> taskLogits(MultiTaskState& s, const std::vector<at::Tensor>& cached,
                                   const std::vector<int>& idx, const Batch& batch)
{
    if (cached.empty())
        return s.model.forward(batch.ids, batch.mask);
    const at::Tensor rows = at::tensor(std::vector<int64_t>(idx.begin(), idx.end()));
    std::vector<at::Tensor> logits;
    for (size_t k = 0; k < s.model.heads.size(); ++k)
        logits.push_back(s.model.heads[k]->headOnFeatures(cached[k].index_select(0, rows)).to(at::kFloat));
    return logits;
}

at::Tensor taskTargets(const std::vector<std::vector<int>>& targets, const std::vector<int>& idx,
                       size_t task)
{
    std::vector<int64_t> out;
    for (int i : idx)
        out.push_back(targets[size_t(i)][task]);
    return at::tensor(out);
}

// Each task's report on the val rows labeled for it, plus the weighted mean loss and the mean
// accuracy and macro-F1 over the tasks that have val rows.
QMap<QString, ClassificationReport> evaluateTasks(MultiTaskState& s)
{
    const std::vector<Example>& val = s.data.split(QStringLiteral("val"));
    const std::vector<std::vector<int>>& targets = s.data.targetsOf(QStringLiteral("val"));
    const int n = int(s.data.tasks.size());
    const size_t tasks = s.data.tasks.size();
    std::vector<std::vector<int>> truth(tasks), predicted(tasks);
    std::vector<std::vector<std::vector<double>>> probabilities(tasks);
    {
        torch::NoGradGuard noGrad;
        const AutocastScope autocast(s.hp.precision);
        s.model.train(false);
        for (size_t start = 0; start < val.size(); start += size_t(s.hp.batchSize)) {
            std::vector<int> idx;
            for (size_t i = start; i < std::min(val.size(), start + size_t(s.hp.batchSize)); ++i)
                idx.push_back(int(i));
            const Batch batch = makeBatch(val, idx, s.tokenizer->padId());
            const std::vector<at::Tensor> logits = taskLogits(s, s.valFeatures, idx, batch);
            for (int k = 0; k < n; ++k) {
                const at::Tensor probs =
                    at::softmax(logits[size_t(k)], -1).to(at::kDouble).contiguous();
                const auto p = probs.accessor<double, 2>();
                for (size_t r = 0; r < idx.size(); ++r) {
                    const int label = targets[size_t(idx[r])][size_t(k)];
                    if (label == kNoLabel)
                        continue;
                    std::vector<double> row(p[int64_t(r)].data(),
                                            p[int64_t(r)].data() + probs.size(1));
                    predicted[size_t(k)].push_back(
                        int(std::max_element(row.begin(), row.end()) - row.begin()));
                    truth[size_t(k)].push_back(label);
                    probabilities[size_t(k)].push_back(std::move(row));
                }
            }
        }
    }
    QMap<QString, ClassificationReport> out;
    for (int k = 0; k < n; ++k)
        if (!truth[size_t(k)].empty())
            out.insert(s.data.tasks[k],
                       classificationReport(s.data.labels[k], truth[size_t(k)],
                                            predicted[size_t(k)], probabilities[size_t(k)]));
    return out;
}

QJsonObject trainerState(const MultiTaskState& s)
{
    QJsonObject labels;
    for (int k = 0; k < s.data.tasks.size(); ++k)
        labels.insert(s.data.tasks[k], QJsonArray::fromStringList(s.data.labels[k]));
    QJsonObject state = s.progressJson();
    state.insert(QStringLiteral("tasks"), QJsonArray::fromStringList(s.data.tasks));
    state.insert(QStringLiteral("task_labels"), labels);
    return state;
}

void replaceCheckpoint(Project& project, const MultiTaskState& s, QString& current,
                       const QString& kind)
{
    const QString previous = current;
    current = QStringLiteral("runs/%1/%2-step%3").arg(s.runId).arg(kind).arg(s.step);
    const QString dir = project.artifactPath(current);
    QDir(dir).removeRecursively(); // a leftover of an interrupted write
    saveCheckpoint(dir, stateDict(*s.model.root), *s.optimizer, s.groupNames, trainerState(s),
                   s.tokenizer.get());
    setRunCheckpoints(project, s.runId, s.lastCheckpoint, s.bestCheckpoint, s.bestMetric,
                      s.bestStep, s.seconds);
    if (!previous.isEmpty() && previous != current)
        QDir(project.artifactPath(previous)).removeRecursively();
}

class MultiTaskLoop
{
public:
    MultiTaskLoop(Project& project, const TrainerOptions& options, MultiTaskState& state)
        : m_project(project), m_options(options), s(state)
    {
    }

    TrainResult run(bool resuming)
    {
        static_cast<OptimizerSetup&>(s) = makeAdamW(*s.model.root, s.hp, [](const std::string& name) {
            return name.rfind("tasks.", 0) == 0; // each task's head
        });
        if (resuming)
            loadOptimizerState(m_project.artifactPath(s.lastCheckpoint), *s.optimizer,
                               s.groupNames);
        const int64_t batchesPerEpoch =
            (int64_t(s.train().size()) + s.hp.batchSize - 1) / s.hp.batchSize;
        const int64_t stepsPerEpoch =
            (batchesPerEpoch + s.hp.gradAccumulation - 1) / s.hp.gradAccumulation;
        s.totalSteps = s.hp.maxSteps > 0 ? s.hp.maxSteps : s.hp.epochs * stepsPerEpoch;
        s.warmupSteps = qint64(std::ceil(s.hp.warmupRatio * double(s.totalSteps)));
        if (!resuming)
            s.batches = epochBatches(s.train(), s.hp.batchSize, s.hp.seed, s.epoch);
        if (s.frozen()) {
            s.trainFeatures = cacheTaskFeatures(s, s.train());
            const std::vector<Example>& val = s.data.split(QStringLiteral("val"));
            if (!val.empty())
                s.valFeatures = cacheTaskFeatures(s, val);
            if (m_options.onLog)
                m_options.onLog(QStringLiteral("Feature extraction: the frozen model's features of %1 training and "
                                               "%2 validation rows are computed once; each step trains only the "
                                               "%3 heads.")
                                    .arg(s.train().size())
                                    .arg(val.size())
                                    .arg(s.model.heads.size()));
        }

        TrainResult result;
        result.runId = s.runId;
        QElapsedTimer clock;
        clock.start();
        const double secondsBefore = s.seconds;
        qint64 pausedMs = 0;
        const auto tick = [&] { s.seconds = secondsBefore + (clock.elapsed() - pausedMs) / 1000.0; };
        const bool hasVal = !s.data.split(QStringLiteral("val")).empty();
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
                continue;
            }
            QElapsedTimer stepClock;
            stepClock.start();
            int64_t tokens = 0;
            const double loss = accumulate(tokens);
            const double factor =
                learningRateFactor(s.hp.schedule, s.step, s.totalSteps, s.warmupSteps);
            scaleLearningRate(s, factor);
            if (s.step + 1 == m_options.injectNanGradientAtStep)
                poisonGradients(s.trainable);
            const double gradNorm = clipGradients(s.trainable, s.hp.maxGradNorm);
            if (!std::isfinite(gradNorm))
                fail(QStringLiteral("gradient norm"), gradNorm);
            s.optimizer->step();
            ++s.step;
            bool epochEnded = false;
            if (s.batchInEpoch >= s.batches.size()) {
                ++s.epoch;
                s.batchInEpoch = 0;
                s.batches = epochBatches(s.train(), s.hp.batchSize, s.hp.seed, s.epoch);
                epochEnded = true;
            }
            metric(QStringLiteral("train"), QStringLiteral("loss"), loss);
            metric(QStringLiteral("train"), QStringLiteral("lr"), s.baseLr.front() * factor);
            if (m_options.onStep)
                m_options.onStep({s.step, s.totalSteps, s.epochProgress(), loss,
                                  s.baseLr.front() * factor,
                                  double(tokens) / std::max(1e-6, stepClock.nsecsElapsed() / 1e9)});
            const bool last = s.step == s.totalSteps;
            const bool evalNow =
                hasVal && ((s.hp.evalEvery > 0 ? s.step % s.hp.evalEvery == 0 : epochEnded) || last);
            bool stop = false;
            if (evalNow) {
                tick();
                stop = evaluateAndTrack();
                result.earlyStopped = stop;
            }
            if ((s.hp.checkpointEvery > 0 ? s.step % s.hp.checkpointEvery == 0 : evalNow) ||
                last || stop) {
                tick();
                replaceCheckpoint(m_project, s, s.lastCheckpoint, QStringLiteral("last"));
            }
            if (stop)
                break;
        }
        tick();
        if (result.status.isEmpty()) {
            setRunCheckpoints(m_project, s.runId, s.lastCheckpoint, s.bestCheckpoint,
                              s.bestMetric, s.bestStep, s.seconds);
            setRunStatus(m_project, s.runId, QStringLiteral("finished"));
            result.status = QStringLiteral("finished");
        }
        result.steps = s.step;
        result.bestMetric = s.bestMetric;
        result.bestStep = s.bestStep;
        result.taskEvals = s.lastEval;
        if (!s.lastEval.isEmpty())
            result.lastEval = s.lastEval.value(s.data.tasks.front(), s.lastEval.first());
        return result;
    }

private:
    [[noreturn]] void fail(const QString& quantity, double value)
    {
        const QString message =
            divergenceMessage(s.step, quantity, value, s.hp.lr, s.lastCheckpoint);
        setRunStatus(m_project, s.runId, QStringLiteral("failed"), message);
        throw Error(message);
    }

    void metric(const QString& split, const QString& name, double value)
    {
        const MetricPoint p{s.step, s.epochProgress(), split, name, value};
        addMetric(m_project, s.runId, p);
        if (m_options.onMetric)
            m_options.onMetric(p);
    }

    // The gradients of one optimizer step; returns the mean (weighted) loss of its micro-batches.
    double accumulate(int64_t& tokens)
    {
        s.model.train(true);
        s.optimizer->zero_grad();
        const std::vector<std::vector<int>>& targets = s.data.targetsOf(QStringLiteral("train"));
        const size_t micro =
            std::min<size_t>(size_t(s.hp.gradAccumulation), s.batches.size() - s.batchInEpoch);
        double stepLoss = 0;
        for (size_t a = 0; a < micro; ++a) {
            const std::vector<int>& idx = s.batches[s.batchInEpoch + a];
            const Batch batch = makeBatch(s.train(), idx, s.tokenizer->padId());
            at::Tensor loss;
            {
                const AutocastScope autocast(s.hp.precision);
                const std::vector<at::Tensor> logits = taskLogits(s, s.trainFeatures, idx, batch);
                loss = logits.front().sum() * 0.0; // keeps the graph when no task is labeled here
                for (size_t k = 0; k < logits.size(); ++k) {
                    const double w = s.hp.taskWeight(s.data.tasks[int(k)]);
                    const at::Tensor t = taskTargets(targets, idx, k);
                    if (w == 0 || t.ne(kNoLabel).sum().item<int64_t>() == 0)
                        continue; // cross-entropy's mean over no rows would be NaN
                    loss = loss + w * at::cross_entropy_loss(logits[k], t, {}, at::Reduction::Mean,
                                                             kNoLabel, s.hp.labelSmoothing);
                }
            }
            if (s.step + 1 == m_options.injectNanAtStep)
                loss = loss * std::numeric_limits<double>::quiet_NaN();
            const double value = loss.item<double>();
            if (!std::isfinite(value))
                fail(QStringLiteral("loss"), value);
            (loss / double(micro)).backward();
            stepLoss += value / double(micro);
            tokens += batch.tokens;
        }
        s.batchInEpoch += micro;
        return stepLoss;
    }

    bool evaluateAndTrack()
    {
        s.lastEval = evaluateTasks(s);
        double loss = 0, weights = 0, accuracy = 0, f1 = 0;
        for (auto it = s.lastEval.cbegin(); it != s.lastEval.cend(); ++it) {
            metric(QStringLiteral("val"), it.key() + QStringLiteral("/loss"), it->loss);
            metric(QStringLiteral("val"), it.key() + QStringLiteral("/accuracy"), it->accuracy);
            metric(QStringLiteral("val"), it.key() + QStringLiteral("/macro_f1"), it->macroF1);
            const double w = s.hp.taskWeight(it.key());
            loss += w * it->loss;
            weights += w;
            accuracy += it->accuracy / double(s.lastEval.size());
            f1 += it->macroF1 / double(s.lastEval.size());
        }
        // The means drive the chart, early stopping and the best checkpoint.
        loss = weights > 0 ? loss / weights : 0;
        metric(QStringLiteral("val"), QStringLiteral("loss"), loss);
        metric(QStringLiteral("val"), QStringLiteral("accuracy"), accuracy);
        metric(QStringLiteral("val"), QStringLiteral("macro_f1"), f1);
        const QString& name = s.hp.earlyStoppingMetric;
        const double value = name == QLatin1String("loss")       ? loss
                             : name == QLatin1String("accuracy") ? accuracy
                                                                 : f1;
        const bool higher = higherIsBetter(name);
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
            m_options.onLog(QStringLiteral("Stopped early at step %1: the tasks' mean %2 did not "
                                           "improve for %3 evaluations.")
                                .arg(s.step)
                                .arg(name)
                                .arg(s.hp.patience));
        return true;
    }

    Project& m_project;
    const TrainerOptions& m_options;
    MultiTaskState& s;
};

// Data, tokenizer and hyperparameters checked and the model built: what run and resume share.
void prepare(Project& project, MultiTaskState& s, const QStringList& tasks, QStringList* warnings)
{
    s.data = loadMultiTaskData(project, tasks, warnings);
    const ModelConfig config = ModelConfig::load(s.modelDir);
    TrainingContext context;
    context.trainRows = qint64(s.train().size());
    context.hiddenSize = int(config.hiddenSize);
    context.numLayers = int(config.numLayers);
    s.hp.validate(context);
    for (auto it = s.hp.taskWeights.cbegin(); it != s.hp.taskWeights.cend(); ++it)
        if (!tasks.contains(it.key()))
            throw Error(QStringLiteral("task_weights names '%1', which this run does not train "
                                       "(its tasks: %2).")
                            .arg(it.key(), tasks.join(QStringLiteral(", "))));
    double total = 0;
    for (const QString& t : tasks)
        total += s.hp.taskWeight(t);
    if (total <= 0)
        throw Error(QStringLiteral("Every task's weight is 0 in task_weights, so nothing would "
                                   "train; give at least one task a weight above 0."));
    prepareTaskData(s.data.rows, *s.tokenizer, s.hp, s.modelDir);
    at::manual_seed(uint64_t(s.hp.seed));
    s.model = buildMultiTaskModel(s.modelDir, s.data.labels, s.hp);
}

QJsonArray rowIdsOf(const std::vector<Example>& examples)
{
    QJsonArray a;
    for (const Example& e : examples)
        a.append(e.rowId);
    return a;
}

} // namespace

SequenceClassifier loadMultiTaskHead(const RunRecord& record, const QString& checkpointDir,
                                     const QString& task, QStringList* labels)
{
    const QStringList tasks = multiTaskRunTasks(record);
    const qsizetype k = task.isEmpty() ? 0 : tasks.indexOf(task);
    if (k < 0)
        throw Error(QStringLiteral("Run %1 has no task '%2'; it trained %3.")
                        .arg(record.id)
                        .arg(task, tasks.join(QStringLiteral(", "))));
    const QJsonObject state = loadTrainerState(checkpointDir);
    const QJsonObject taskLabels = state.value(QLatin1String("task_labels")).toObject();
    QList<QStringList> all;
    for (const QString& t : tasks) {
        QStringList l;
        for (const QJsonValue& v : taskLabels.value(t).toArray())
            l << v.toString();
        if (l.size() < 2)
            throw Error(QStringLiteral("The checkpoint %1 does not list the labels of task '%2'; "
                                       "it is damaged. Train the run again.")
                            .arg(QDir::toNativeSeparators(checkpointDir), t));
        all << l;
    }
    MultiTaskModel model = buildMultiTaskModel(record.modelDir, all,
                                               Hyperparameters::fromJson(record.hyperparameters));
    const LoadReport report = loadStateDict(
        *model.root,
        loadSafetensors(QDir(checkpointDir).filePath(QStringLiteral("model.safetensors"))));
    if (!report.missing.empty())
        throw Error(QStringLiteral("The checkpoint %1 lacks %2; it does not belong to the model %3.")
                        .arg(QDir::toNativeSeparators(checkpointDir),
                             QString::fromStdString(report.missing.front()),
                             QDir::toNativeSeparators(record.modelDir)));
    if (labels)
        *labels = all[k];
    return model.heads[size_t(k)]; // holds the shared encoder; the other heads are let go
}

bool isMultiTaskRun(const RunRecord& record)
{
    return record.snapshot.value(QLatin1String("tasks")).toArray().size() >= 2;
}

QStringList multiTaskRunTasks(const RunRecord& record)
{
    QStringList out;
    for (const QJsonValue& v : record.snapshot.value(QLatin1String("tasks")).toArray())
        out << v.toString();
    return out;
}

TrainResult trainMultiTask(Project& project, const TrainerOptions& options)
{
    MultiTaskState s;
    s.hp = options.hp;
    s.modelDir = options.modelDir;
    s.tokenizer = options.tokenizer ? options.tokenizer : loadModelTokenizer(s.modelDir);
    QStringList warnings;
    prepare(project, s, options.tasks, &warnings);
    if (options.onLog)
        for (const QString& w : warnings)
            options.onLog(w);

    RunRecord record;
    record.task = options.tasks.join(QLatin1Char(','));
    record.modelDir = QDir(s.modelDir).absolutePath();
    record.method = s.hp.method;
    record.hyperparameters = s.hp.toJson();
    record.seed = s.hp.seed;
    QJsonObject labels;
    for (int k = 0; k < s.data.tasks.size(); ++k)
        labels.insert(s.data.tasks[k], QJsonArray::fromStringList(s.data.labels[k]));
    record.snapshot = {{"hash", QString::fromLatin1(s.data.snapshotHash())},
                       {"tasks", QJsonArray::fromStringList(s.data.tasks)},
                       {"labels", labels}};
    for (auto it = s.data.rows.splits.cbegin(); it != s.data.rows.splits.cend(); ++it)
        record.snapshot.insert(it.key(), rowIdsOf(it.value()));
    record.software = {{"finetune_studio", QStringLiteral(FTS_VERSION)},
                       {"libtorch", QStringLiteral(TORCH_VERSION)},
                       {"qt", QString::fromLatin1(qVersion())}};
    s.runId = createRun(project, record);
    return MultiTaskLoop(project, options, s).run(false);
}

TrainResult resumeMultiTask(Project& project, const TrainerOptions& options, qint64 runId)
{
    const RunRecord record = loadRun(project, runId);
    if (record.status == QLatin1String("finished"))
        throw Error(QStringLiteral("Run %1 already finished; start a new run to train further.")
                        .arg(runId));
    if (record.lastCheckpoint.isEmpty())
        throw Error(QStringLiteral("Run %1 stopped before its first checkpoint, so there is "
                                   "nothing to resume; start a new run.")
                        .arg(runId));
    const QString dir = project.artifactPath(record.lastCheckpoint);
    MultiTaskState s;
    s.runId = runId;
    s.hp = Hyperparameters::fromJson(record.hyperparameters);
    s.modelDir = record.modelDir;
    if (options.tokenizer)
        s.tokenizer = options.tokenizer;
    else if (QFileInfo::exists(QDir(dir).filePath(QStringLiteral("vocab_words.txt"))))
        s.tokenizer = loadModelTokenizer(dir);
    else
        s.tokenizer = loadModelTokenizer(s.modelDir);
    prepare(project, s, multiTaskRunTasks(record), nullptr);
    if (s.data.snapshotHash() != record.snapshot.value(QLatin1String("hash")).toString().toLatin1())
        throw Error(QStringLiteral("The data of tasks %1 changed since run %2 started (rows, "
                                   "texts or labels), so it cannot continue exactly; start a new "
                                   "run.")
                        .arg(record.task)
                        .arg(runId));
    const LoadReport report = loadStateDict(
        *s.model.root, loadSafetensors(QDir(dir).filePath(QStringLiteral("model.safetensors"))));
    if (!report.missing.empty())
        throw Error(QStringLiteral("The checkpoint %1 lacks %2; it does not belong to this model.")
                        .arg(dir, QString::fromStdString(report.missing.front())));
    s.readProgressJson(loadTrainerState(dir)); // the RNG last: building the model drew from it
    s.lastCheckpoint = record.lastCheckpoint;
    s.bestCheckpoint = record.bestCheckpoint;
    discardMetricsAfter(project, runId, s.step);
    setRunStatus(project, runId, QStringLiteral("running"));
    return MultiTaskLoop(project, options, s).run(true);
}

} // namespace fts
