// The allowed ranges of pre-training settings, checked before a run (or a GUI job) starts.
#include "pretrain/Pretrainer.h"

#include "Error.h"
#include "models/ModelConfig.h"

#include <QDir>

#include <cmath>

namespace fts {
namespace {

// Upper bounds are what a desktop can still run, not what the maths allows: a larger value is
// almost always a typing mistake (an extra zero), and refusing it costs nothing.
constexpr qint64 kMaxSteps = 10'000'000;
constexpr int kMaxBatch = 4096;
constexpr int kMinBlock = 8; // shorter blocks leave almost nothing to predict after the specials
constexpr int kMinVocab = 100;
constexpr int kMaxVocab = 256'000;
constexpr int kMaxEvalBlocks = 100'000;

// max_position_embeddings of the configs a from-scratch run writes (scratchConfig in
// Pretrainer.cpp): learned BERT positions stop at 512; the Llama preset is given 1024.
qint64 scratchPositions(const QString& family)
{
    return family == QLatin1String("llama") ? 1024 : 512;
}

[[noreturn]] void outOfRange(const QString& setting, const QString& range, const QString& got,
                             const QString& hint = {})
{
    QString message = QStringLiteral("%1 must be %2; it is %3.").arg(setting, range, got);
    if (!hint.isEmpty())
        message += QLatin1Char(' ') + hint;
    throw Error(message);
}

void checkInteger(const QString& setting, qint64 value, qint64 low, qint64 high,
                  const QString& hint = {})
{
    if (value < low || value > high)
        outOfRange(setting, QStringLiteral("between %1 and %2").arg(low).arg(high),
                   QString::number(value), hint);
}

// The block size's upper bound and the family, from the base model or the from-scratch choice.
qint64 checkModelChoice(const PretrainOptions& o)
{
    if (o.baseModel.isEmpty()) {
        if (o.family != QLatin1String("bert") && o.family != QLatin1String("llama"))
            throw Error(QStringLiteral("Model family '%1' cannot be made from scratch: choose bert "
                                       "(masked LM, for classification) or llama (causal LM, for "
                                       "chat).")
                            .arg(o.family));
        const QStringList sizes = {"tiny", "mini", "small", "base"};
        if (!sizes.contains(o.preset))
            throw Error(QStringLiteral("Model size '%1' is unknown: choose tiny, mini, small or "
                                       "base.")
                            .arg(o.preset));
        const QString algorithm = o.tokenizer.algorithm;
        if (algorithm != QLatin1String("unigram") && algorithm != QLatin1String("bpe"))
            throw Error(QStringLiteral("Tokenizer '%1' cannot be trained: choose unigram or bpe.")
                            .arg(algorithm));
        checkInteger(QStringLiteral("The vocabulary size"), o.tokenizer.vocabSize, kMinVocab,
                     kMaxVocab, QStringLiteral("8000 suits a corpus of a few megabytes."));
        return scratchPositions(o.family);
    }
    const ModelConfig config = ModelConfig::load(o.baseModel);
    if (config.family != ModelFamily::Bert && config.family != ModelFamily::Llama)
        throw Error(QStringLiteral("%1 is a %2 model; pre-training continues BERT encoders (masked "
                                   "LM) and Llama-style decoders (causal LM). Choose one of those, "
                                   "or start from scratch.")
                        .arg(QDir::toNativeSeparators(o.baseModel), config.modelType));
    return config.maxPositions > 0 ? config.maxPositions : scratchPositions(config.modelType);
}

} // namespace

void validatePretrainOptions(const PretrainOptions& o)
{
    if (o.outDir.isEmpty())
        throw Error(QStringLiteral("Choose a folder for the pre-trained model."));
    if (o.documents.isEmpty())
        throw Error(QStringLiteral("There is no text to pre-train on: add text files or a folder, "
                                   "or use the project's text column."));
    const qint64 positions = checkModelChoice(o);
    checkInteger(QStringLiteral("The number of steps"), o.maxSteps, 1, kMaxSteps);
    checkInteger(QStringLiteral("The batch size"), o.batchSize, 1, kMaxBatch,
                 QStringLiteral("Lower it if the computer runs out of memory."));
    checkInteger(QStringLiteral("The block size"), o.blockSize, kMinBlock, positions,
                 QStringLiteral("The model knows %1 positions.").arg(positions));
    if (!(o.lr > 0 && o.lr <= 1))
        outOfRange(QStringLiteral("The learning rate"), QStringLiteral("above 0 and at most 1"),
                   QString::number(o.lr), QStringLiteral("5e-4 suits a small model."));
    if (!(o.warmupRatio >= 0 && o.warmupRatio < 1))
        outOfRange(QStringLiteral("The warmup fraction"), QStringLiteral("at least 0 and below 1"),
                   QString::number(o.warmupRatio),
                   QStringLiteral("0.06 warms up over the first 6% of the steps."));
    if (!(o.weightDecay >= 0 && o.weightDecay <= 1))
        outOfRange(QStringLiteral("The weight decay"), QStringLiteral("between 0 and 1"),
                   QString::number(o.weightDecay));
    if (!(o.maxGradNorm >= 0 && std::isfinite(o.maxGradNorm)))
        outOfRange(QStringLiteral("The gradient clipping norm"),
                   QStringLiteral("0 (no clipping) or more"), QString::number(o.maxGradNorm));
    if (!(o.mlmProbability > 0 && o.mlmProbability < 1))
        outOfRange(QStringLiteral("The masking probability"), QStringLiteral("above 0 and below 1"),
                   QString::number(o.mlmProbability), QStringLiteral("0.15 is BERT's."));
    if (o.seed < 0)
        outOfRange(QStringLiteral("The seed"), QStringLiteral("0 or more"),
                   QString::number(o.seed));
    checkInteger(QStringLiteral("Checkpoint every"), o.checkpointEvery, 0, kMaxSteps,
                 QStringLiteral("It counts steps; 0 saves only on stop and at the end."));
    checkInteger(QStringLiteral("Perplexity every"), o.evalEvery, 0, kMaxSteps,
                 QStringLiteral("It counts steps; 0 measures only at the end."));
    checkInteger(QStringLiteral("The number of held-out blocks"), o.evalBlocks, 0, kMaxEvalBlocks);
}

} // namespace fts
