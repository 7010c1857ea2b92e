// The catalog is the single source for ranges and help texts: set(), the CLI and the GUI editor use it.
#include "train/Hyperparameters.h"

#include "Error.h"

#include <QJsonArray>

#include <algorithm>
#include <cctype>
#include <cmath>

namespace fts {
namespace {

const HyperparameterInfo* find(const QString& key)
{
    static const QList<HyperparameterInfo> all = Hyperparameters::catalog();
    for (const HyperparameterInfo& i : all)
        if (i.key == key)
            return &i;
    return nullptr;
}

QString rangeText(const HyperparameterInfo& i)
{
    if (!i.choices.isEmpty())
        return i.choices.join(QStringLiteral(", "));
    return QStringLiteral("%1 to %2").arg(i.min).arg(i.max);
}

} // namespace

QList<HyperparameterInfo> Hyperparameters::catalog()
{
    return {
        {"method", "How much of the model trains: frozen (only a new head), full, freeze (the first layers stay fixed), lora (small adapters).", 0, 0, false, {"frozen", "full", "freeze", "lora"}},
        {"lr", "Learning rate: step size of each update. Usual: 1e-5 to 5e-5 for full fine-tuning, 1e-4 to 1e-3 for LoRA or a frozen backbone.", 1e-7, 1.0, false, {}},
        {"head_lr", "Separate learning rate for the new classification head (0 = same as lr). Usual: 1e-4 to 1e-3.", 0, 1.0, false, {}},
        {"epochs", "Passes over the training data. Usual: 2 to 5; small data sets take more.", 1, 1000, true, {}},
        {"max_steps", "Stop after this many updates instead (0 = run the epochs).", 0, 10000000, true, {}},
        {"batch_size", "Examples per step. Usual: 8 to 32; larger needs more memory.", 1, 4096, true, {}},
        {"grad_accumulation", "Steps whose gradients are added before one update: a larger effective batch without more memory. Usual: 1 to 8.", 1, 1024, true, {}},
        {"max_length", "Longest input in tokens; longer texts are cut. Usual: 64 to 512.", 8, 8192, true, {}},
        {"warmup_ratio", "Share of the steps over which the learning rate rises from zero. Usual: 0.0 to 0.1.", 0, 0.5, false, {}},
        {"schedule", "How the learning rate falls after warm-up.", 0, 0, false, {"constant", "linear", "cosine"}},
        {"weight_decay", "Pulls weights towards zero to curb overfitting (AdamW). Usual: 0 to 0.1.", 0, 1, false, {}},
        {"dropout", "Share of activations dropped in training (-1 = the model's own). Usual: 0.1.", -1, 0.9, false, {}},
        {"label_smoothing", "Spreads a little of each label's probability to the others; helps with noisy labels. Usual: 0 to 0.1.", 0, 0.5, false, {}},
        {"max_grad_norm", "Gradients longer than this are scaled down, preventing explosive updates (0 = off). Usual: 1.0.", 0, 100, false, {}},
        {"patience", "Evaluations without improvement before training stops early (0 = never stop early).", 0, 1000, true, {}},
        {"early_stopping_metric", "What early stopping and the best checkpoint watch.", 0, 0, false, {"macro_f1", "accuracy", "loss"}},
        {"seed", "Random seed: the same seed, data and settings give the same run.", 0, 2147483647, true, {}},
        {"precision", "Number format for training: fp32 (exact), bf16 (faster on processors with AVX-512 BF16 or AMX, and on GPUs).", 0, 0, false, {"fp32", "bf16"}},
        {"eval_every", "Evaluate on the validation split every this many steps (0 = after each epoch).", 0, 10000000, true, {}},
        {"checkpoint_every", "Save a checkpoint every this many steps (0 = at each evaluation).", 0, 10000000, true, {}},
        {"freeze_layers", "With method freeze: the embeddings and this many lower layers stay fixed.", 0, 1000, true, {}},
        {"lora_rank", "LoRA: size of the adapters. Usual: 4 to 16.", 1, 1024, true, {}},
        {"lora_alpha", "LoRA: scale of the adapters' update (often twice the rank).", 0.1, 4096, false, {}},
        {"lora_dropout", "LoRA: dropout on the adapters' input. Usual: 0 to 0.1.", 0, 0.9, false, {}},
        {"lora_targets", "LoRA: which layers get adapters, comma-separated (empty = attention query and value).", 0, 0, false, {}},
        {"task_weights", "Multi-task runs: each task's weight in the loss, e.g. sentiment=1,topic=0.5 (tasks not named weigh 1; 0 to 100).", 0, 0, false, {}},
    };
}

void Hyperparameters::set(const QString& key, const QString& text)
{
    const HyperparameterInfo* info = find(key);
    if (!info) {
        QStringList keys;
        for (const HyperparameterInfo& i : catalog())
            keys << i.key;
        throw Error(QStringLiteral("'%1' is not a hyperparameter. Known: %2.").arg(key, keys.join(QStringLiteral(", "))));
    }
    const QString value = text.trimmed();
    if (key == QLatin1String("task_weights")) {
        QMap<QString, double> weights;
        for (const QString& part : value.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
            const QString task = part.section(QLatin1Char('='), 0, 0).trimmed();
            bool ok = false;
            const double w = part.section(QLatin1Char('='), 1).trimmed().toDouble(&ok);
            if (task.isEmpty() || !part.contains(QLatin1Char('=')) || !ok || !std::isfinite(w) || w < 0 || w > 100)
                throw Error(QStringLiteral("task_weights must read task=weight, comma-separated, each weight "
                                           "from 0 to 100 (e.g. sentiment=1,topic=0.5); '%1' is not.")
                                .arg(part.trimmed()));
            weights.insert(task, w);
        }
        taskWeights = weights;
        return;
    }
    if (key == QLatin1String("lora_targets")) {
        loraTargets = value.split(QLatin1Char(','), Qt::SkipEmptyParts);
        for (QString& t : loraTargets)
            t = t.trimmed();
        return;
    }
    if (!info->choices.isEmpty()) {
        if (!info->choices.contains(value))
            throw Error(QStringLiteral("%1 must be one of %2 (it is '%3').").arg(key, rangeText(*info), value));
        if (key == QLatin1String("method")) method = value;
        else if (key == QLatin1String("schedule")) schedule = value;
        else if (key == QLatin1String("early_stopping_metric")) earlyStoppingMetric = value;
        else if (key == QLatin1String("precision")) precision = value;
        return;
    }
    bool ok = false;
    const double d = value.toDouble(&ok);
    if (!ok || !std::isfinite(d))
        throw Error(QStringLiteral("%1 must be a number from %2 (it is '%3').").arg(key, rangeText(*info), value));
    if (info->integer && std::floor(d) != d)
        throw Error(QStringLiteral("%1 must be a whole number from %2 (it is %3).").arg(key, rangeText(*info), value));
    if (d < info->min || d > info->max)
        throw Error(QStringLiteral("%1 must be from %2 (it is %3).").arg(key, rangeText(*info), value));
    const int i = int(d);
    if (key == QLatin1String("lr")) lr = d;
    else if (key == QLatin1String("head_lr")) headLr = d;
    else if (key == QLatin1String("epochs")) epochs = i;
    else if (key == QLatin1String("max_steps")) maxSteps = i;
    else if (key == QLatin1String("batch_size")) batchSize = i;
    else if (key == QLatin1String("grad_accumulation")) gradAccumulation = i;
    else if (key == QLatin1String("max_length")) maxLength = i;
    else if (key == QLatin1String("warmup_ratio")) warmupRatio = d;
    else if (key == QLatin1String("weight_decay")) weightDecay = d;
    else if (key == QLatin1String("dropout")) dropout = d;
    else if (key == QLatin1String("label_smoothing")) labelSmoothing = d;
    else if (key == QLatin1String("max_grad_norm")) maxGradNorm = d;
    else if (key == QLatin1String("patience")) patience = i;
    else if (key == QLatin1String("seed")) seed = i;
    else if (key == QLatin1String("eval_every")) evalEvery = i;
    else if (key == QLatin1String("checkpoint_every")) checkpointEvery = i;
    else if (key == QLatin1String("freeze_layers")) freezeLayers = i;
    else if (key == QLatin1String("lora_rank")) loraRank = i;
    else if (key == QLatin1String("lora_alpha")) loraAlpha = d;
    else if (key == QLatin1String("lora_dropout")) loraDropout = d;
}

QString Hyperparameters::get(const QString& key) const
{
    const QJsonValue v = toJson().value(key);
    if (v.isString())
        return v.toString();
    if (v.isArray()) {
        QStringList parts;
        for (const QJsonValue& s : v.toArray())
            parts << s.toString();
        return parts.join(QLatin1Char(','));
    }
    return QString::number(v.toDouble(), 'g', 10);
}

void Hyperparameters::validate(const TrainingContext& c) const
{
    QStringList problems;
    if (c.trainRows <= 0)
        problems << QStringLiteral("The training split is empty: give some rows the split 'train' (Data page > Split).");
    else if (batchSize > c.trainRows)
        problems << QStringLiteral("batch_size (%1) is larger than the training split (%2 rows); use at most %2.").arg(batchSize).arg(c.trainRows);
    if (method == QLatin1String("lora") && c.hiddenSize > 0 && loraRank > c.hiddenSize)
        problems << QStringLiteral("lora_rank (%1) is larger than the model's hidden size (%2); use at most %2 (usually 4 to 16).").arg(loraRank).arg(c.hiddenSize);
    if (method == QLatin1String("freeze") && c.numLayers > 0 && freezeLayers >= c.numLayers)
        problems << QStringLiteral("freeze_layers (%1) must be smaller than the model's %2 layers, or nothing would train but the head (use method frozen for that).").arg(freezeLayers).arg(c.numLayers);
    if (method == QLatin1String("freeze") && freezeLayers == 0)
        problems << QStringLiteral("With method freeze, set freeze_layers to at least 1 (or use method full).");
    if (precision == QLatin1String("bf16") && !c.cpuHasBf16)
        problems << QStringLiteral("precision bf16 is emulated on this processor and slower than fp32; choose fp32.");
    if (evalEvery > 0 && checkpointEvery > 0 && checkpointEvery % evalEvery != 0)
        problems << QStringLiteral("checkpoint_every (%1) should be a multiple of eval_every (%2), so the best checkpoint is known when it is saved.").arg(checkpointEvery).arg(evalEvery);
    if (!problems.isEmpty())
        throw Error(problems.join(QLatin1Char('\n')));
}

QJsonObject Hyperparameters::toJson() const
{
    return {{"method", method}, {"lr", lr}, {"head_lr", headLr}, {"epochs", epochs}, {"max_steps", maxSteps},
            {"batch_size", batchSize}, {"grad_accumulation", gradAccumulation}, {"max_length", maxLength},
            {"warmup_ratio", warmupRatio}, {"schedule", schedule}, {"weight_decay", weightDecay},
            {"dropout", dropout}, {"label_smoothing", labelSmoothing}, {"max_grad_norm", maxGradNorm},
            {"patience", patience}, {"early_stopping_metric", earlyStoppingMetric}, {"seed", seed},
            {"precision", precision}, {"eval_every", evalEvery}, {"checkpoint_every", checkpointEvery},
            {"freeze_layers", freezeLayers}, {"lora_rank", loraRank}, {"lora_alpha", loraAlpha},
            {"lora_dropout", loraDropout}, {"lora_targets", QJsonArray::fromStringList(loraTargets)},
            {"task_weights", taskWeightsText()}};
}

Hyperparameters Hyperparameters::fromJson(const QJsonObject& json)
{
    Hyperparameters h;
    for (auto it = json.begin(); it != json.end(); ++it) {
        if (!find(it.key()))
            continue; // a key from a newer version: ignored, the run record keeps it
        if (it->isArray()) {
            QStringList parts;
            for (const QJsonValue& v : it->toArray())
                parts << v.toString();
            h.set(it.key(), parts.join(QLatin1Char(',')));
        } else {
            h.set(it.key(), it->isString() ? it->toString() : QString::number(it->toDouble(), 'g', 17));
        }
    }
    return h;
}

QString Hyperparameters::taskWeightsText() const
{
    QStringList parts;
    for (auto it = taskWeights.cbegin(); it != taskWeights.cend(); ++it)
        parts << QStringLiteral("%1=%2").arg(it.key()).arg(it.value(), 0, 'g', 10);
    return parts.join(QLatin1Char(','));
}

QStringList Hyperparameters::presetNames()
{
    return {"quick", "balanced", "careful"};
}

Hyperparameters Hyperparameters::preset(const QString& name, qint64 trainRows)
{
    Hyperparameters h;
    const bool small = trainRows > 0 && trainRows < 2000;
    if (name == QLatin1String("quick")) {
        h.epochs = 1;
        h.batchSize = 32;
        h.lr = 5e-5;
        h.maxLength = 64;
    } else if (name == QLatin1String("balanced")) {
        h.epochs = small ? 5 : 3;
        h.batchSize = small ? 16 : 32;
        h.lr = 3e-5;
    } else if (name == QLatin1String("careful")) {
        h.epochs = small ? 10 : 5;
        h.batchSize = 16;
        h.lr = 1e-5;
        h.warmupRatio = 0.1;
        h.patience = 3;
        h.labelSmoothing = 0.05;
    } else {
        throw Error(QStringLiteral("'%1' is not a preset; presets: %2.").arg(name, presetNames().join(QStringLiteral(", "))));
    }
    if (trainRows > 0)
        h.batchSize = int(std::min<qint64>(h.batchSize, trainRows));
    return h;
}

double learningRateFactor(const QString& schedule, qint64 step, qint64 totalSteps, qint64 warmupSteps)
{
    if (warmupSteps > 0 && step < warmupSteps)
        return double(step) / double(warmupSteps);
    if (schedule == QLatin1String("constant"))
        return 1.0;
    const double progress = totalSteps > warmupSteps ? double(step - warmupSteps) / double(totalSteps - warmupSteps) : 1.0;
    const double p = std::clamp(progress, 0.0, 1.0);
    if (schedule == QLatin1String("cosine"))
        return 0.5 * (1.0 + std::cos(M_PI * p));
    return 1.0 - p; // linear
}

bool appliesWeightDecay(const std::string& parameterName)
{
    if (parameterName.ends_with("bias") || parameterName.find("ln_") != std::string::npos)
        return false;
    std::string lower = parameterName;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return char(std::tolower(c)); });
    return lower.find("norm") == std::string::npos;
}

} // namespace fts
