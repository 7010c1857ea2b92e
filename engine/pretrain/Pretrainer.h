// Domain-adaptation pre-training (masked LM for encoders, causal LM for decoders); torch-free API.
#pragma once

#include "pretrain/TokenizerTraining.h"

#include <QString>
#include <QStringList>

#include <atomic>
#include <functional>

namespace fts {

struct PretrainProgress
{
    qint64 step = 0;
    qint64 totalSteps = 0;
    double epoch = 0;
    double loss = 0;       // this step's mean loss (nats per predicted token)
    double perplexity = 0; // exp(loss)
    double lr = 0;
    double tokensPerSecond = 0;
    qint64 tokensSeen = 0;
    // Perplexity on the held-out blocks, measured after this step when it is a multiple of
    // PretrainOptions::evalEvery; 0 on the other steps.
    double evalPerplexity = 0;
};

struct PretrainOptions
{
    QStringList documents; // the corpus (see readCorpus / projectCorpus)
    QString outDir;        // the model folder written; its "checkpoint" subfolder enables resume
    // Continued pre-training from this model folder; empty = from scratch (a new tokenizer and a
    // model of `family` and `preset`).
    QString baseModel;
    QString family = QStringLiteral("bert");  // from scratch: bert or llama
    QString preset = QStringLiteral("small"); // tiny (tests), mini (~2M), small (~5M), base
    TokenizerTrainingOptions tokenizer;       // from scratch only; style follows the family
    int blockSize = 128;
    int batchSize = 32;
    qint64 maxSteps = 1000;
    double lr = 5e-4;
    double warmupRatio = 0.06;
    double weightDecay = 0.01;
    double maxGradNorm = 1.0;
    double mlmProbability = 0.15;
    qint64 seed = 42;
    qint64 checkpointEvery = 100; // steps; also on cancel and at the end
    int evalBlocks = 64;          // held-out blocks for the perplexity (never trained on)
    // Also measure the held-out perplexity every N steps during the run (0 = only at the end).
    // Not a setting of the result: evaluation draws no random numbers of the training, so a
    // resumed run may change it.
    qint64 evalEvery = 0;
    int threads = 0;                           // 0 = leave libtorch's setting
    const std::atomic<bool>* cancel = nullptr; // checked once per step
    std::function<void(const PretrainProgress&)> onStep;
    std::function<void(const QString&)> onLog;
    // Writes the model from the existing checkpoint without training further: ends a long run
    // early (its learning rate not fully annealed). Throws fts::Error when there is no checkpoint.
    bool finishNow = false;
    qint64 injectNanAtStep = -1; // tests the divergence guard
};

struct PretrainResult
{
    QString status;    // finished, cancelled
    QString objective; // masked_lm, causal_lm
    qint64 steps = 0;
    qint64 tokensSeen = 0;
    qint64 corpusDocuments = 0;
    qint64 corpusTokens = 0; // tokens after packing (train + held out)
    qint64 parameters = 0;   // unique parameters (a tied embedding counted once)
    double seconds = 0;
    double lastLoss = 0;
    double evalLoss = 0;
    double evalPerplexity = 0; // on the held-out blocks; 0 when there were none
    bool resumed = false;
    bool stoppedEarly = false; // finished with finishNow before maxSteps
};

// Refuses impossible settings before any work starts: throws fts::Error naming the setting and its
// allowed range (e.g. "Block size must be between 8 and 512 ..."). With a base model it reads only
// its config.json, to check the family and that a block fits its positions. pretrain() calls it
// too; front ends call it first so a mistake is reported before a job is queued.
void validatePretrainOptions(const PretrainOptions& options);

// Trains and writes the model folder (config.json, model.safetensors, tokenizer files,
// pretrain_result.json). If `outDir/checkpoint` exists from an interrupted run with the same
// settings, continues it exactly (weights, AdamW moments, schedule, RNG, data position).
// Throws fts::Error on bad settings, unreadable models or a diverging loss (checkpoint kept).
PretrainResult pretrain(const PretrainOptions& options);

} // namespace fts
