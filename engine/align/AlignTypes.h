// Options and results of the decoder trainers (SFT, reward model, DPO, PPO), free of libtorch so
// front ends (CLI, GUI) can use them.
#pragma once

#include "train/Hyperparameters.h"
#include "train/RunStore.h"
#include "train/TrainTypes.h"

#include <QMap>
#include <QString>

#include <atomic>
#include <functional>
#include <memory>

namespace fts {

class Tokenizer;

// Runs whose model writes text (SFT, DPO, PPO): they generate, serve and export as decoders.
bool isDecoderRunMethod(const QString& method);
// Runs that train a reward model ("reward-pairs", ...): they score answers and write nothing.
bool isRewardRunMethod(const QString& method);

// What every trainer here shares with the classification trainer: callbacks and cancel.
struct AlignCallbacks
{
    const std::atomic<bool>* cancel = nullptr; // checked once per step
    const std::atomic<bool>* pause = nullptr;  // while set, the run waits between steps in memory
    std::function<void(const TrainProgress&)> onStep;
    std::function<void(const MetricPoint&)> onMetric;
    std::function<void(const QString&)> onLog;
    qint64 injectNanAtStep = -1; // testing the NaN guard: this step's loss becomes NaN
    qint64 injectNanGradientAtStep = -1; // ... and this step's gradients (the loss stays finite)
};

// PPO's own knobs (Schulman et al. 2017; RLHF as in Ziegler et al. 2019 / Ouyang et al. 2022).
struct PpoSettings
{
    int rolloutPrompts = 8;   // prompts answered per rollout batch (one optimizer phase)
    int ppoEpochs = 4;        // passes over each rollout batch
    int miniBatch = 4;        // responses per optimizer step within a pass
    int maxNewTokens = 16;    // response length limit
    double temperature = 1.0; // sampling temperature of rollouts
    double klCoef = 0.05;     // per-token penalty on log π - log π_ref
    double klTarget = 0;      // > 0: adapt klCoef towards this KL per response (adaptive control)
    double klHorizon = 10000; // adaptive control's horizon, in responses
    double clipEpsilon = 0.2; // ratio clipping of the surrogate objective
    double valueClip = 0.2;   // clipping of value updates
    double valueCoef = 0.1;   // weight of the value loss
    double entropyCoef = 0;   // > 0 rewards keeping the policy's choices spread out
    double gamma = 1.0;       // discount
    double lambda = 0.95;     // GAE's bias/variance trade-off
};

struct AlignOptions
{
    QString modelDir; // a Hugging Face decoder folder (config.json, model.safetensors, tokenizer)
    QString dataFile; // JSONL; see readSftJsonl / readPreferenceJsonl for the accepted forms
    QString task;     // sft: "chat" or "summarization"; reward: "pairs", "ratings" or "rankings"
    Hyperparameters hp;
    double beta = 0.1; // DPO's β: how far the policy may move from the reference
    PpoSettings ppo;
    qint64 rewardRunId = 0; // PPO: the reward model run that scores responses
    // PPO: a rule instead of a reward model (tests, teaching demos): (prompt, response) -> reward.
    std::function<double(const QString&, const QString&)> rewardFunction;
    // Used when set; otherwise the model folder's tokenizer (loadTokenizer).
    std::shared_ptr<Tokenizer> tokenizer;
    AlignCallbacks callbacks;
};

struct AlignResult
{
    qint64 runId = 0;
    QString status; // finished, cancelled (failed runs throw)
    qint64 steps = 0;
    // Validation metrics measured before the first step and after the last (empty without val
    // rows), e.g. {"perplexity": ...} for SFT, {"pairwise_accuracy": ...} for reward models.
    QMap<QString, double> before, after;
};

} // namespace fts
