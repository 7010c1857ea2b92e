// Every training knob with its allowed range, plain-language help, presets and validation.
#pragma once

#include "runtime/Device.h"

#include <QJsonObject>
#include <QMap>
#include <QString>
#include <QStringList>

#include <string>

namespace fts {

// What validation needs to know about the run about to start.
struct TrainingContext
{
    qint64 trainRows = 0;
    int hiddenSize = 0;
    int numLayers = 0;
    bool cpuHasBf16 = cpuHasNativeBf16(); // bf16 is refused where it would only be emulated
};

struct HyperparameterInfo
{
    QString key;
    QString help;    // one plain sentence and the usual range, for the editor's tooltip
    double min = 0;
    double max = 0;
    bool integer = false;
    QStringList choices; // for text-valued keys
};

struct Hyperparameters
{
    QString method = QStringLiteral("full"); // frozen (feature extraction), full, freeze, lora
    double lr = 2e-5;
    double headLr = 0;          // 0: same as lr
    int epochs = 3;
    int maxSteps = 0;           // 0: run the epochs
    int batchSize = 16;
    int gradAccumulation = 1;
    int maxLength = 128;
    double warmupRatio = 0.06;
    QString schedule = QStringLiteral("linear"); // constant, linear, cosine
    double weightDecay = 0.01;
    double dropout = -1;        // < 0: the model's own
    double labelSmoothing = 0;
    double maxGradNorm = 1.0;   // 0: no clipping
    int patience = 0;           // evaluations without improvement before stopping; 0: never
    QString earlyStoppingMetric = QStringLiteral("macro_f1");
    int seed = 13;
    QString precision = QStringLiteral("fp32"); // fp32, bf16
    int evalEvery = 0;          // steps; 0: once per epoch
    int checkpointEvery = 0;    // steps; 0: at each evaluation
    int freezeLayers = 0;       // method "freeze": embeddings and the first N layers frozen
    int loraRank = 8;
    double loraAlpha = 16;
    double loraDropout = 0.05;
    QStringList loraTargets;    // empty: the family's attention query/value projections
    // Multi-task runs: each task's share of the loss ("sentiment=1,topic=0.5"); unnamed tasks 1.
    QMap<QString, double> taskWeights;
    double taskWeight(const QString& task) const { return taskWeights.value(task, 1.0); }
    QString taskWeightsText() const; // as set() reads it

    static QList<HyperparameterInfo> catalog();
    // Sets one value from text (the CLI's --set key=value, the editor's fields); throws fts::Error
    // naming the key and its allowed range, or listing the known keys.
    void set(const QString& key, const QString& value);
    QString get(const QString& key) const;
    // Cross-field checks before a run starts (batch larger than the training split, LoRA rank above
    // the hidden size, freezing more layers than the model has, bf16 without support...).
    void validate(const TrainingContext& context) const;

    QJsonObject toJson() const;
    static Hyperparameters fromJson(const QJsonObject& json);

    // "quick" (a first look), "balanced" (the default), "careful" (smaller steps, more patience),
    // adjusted to the data size: small data gets more epochs and smaller batches.
    static QStringList presetNames();
    static Hyperparameters preset(const QString& name, qint64 trainRows);
};

// Learning-rate multiplier at `step` of `totalSteps`: linear warm-up, then constant, linear or
// cosine decay to zero (the HF Trainer's schedules).
double learningRateFactor(const QString& schedule, qint64 step, qint64 totalSteps, qint64 warmupSteps);

// Whether weight_decay applies to a parameter (by its Hugging Face name): not to biases and not to
// normalisation weights (LayerNorm, RMSNorm, GPT-2's ln_*), as Hugging Face's Trainer does.
bool appliesWeightDecay(const std::string& parameterName);

} // namespace fts
