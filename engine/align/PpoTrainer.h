// PPO fine-tuning of a decoder against a reward (RLHF): rollouts, KL-shaped rewards, GAE, clipped
// policy and value updates.
#pragma once

#include "align/AlignTypes.h"

#include <QStringList>

namespace fts {

class Project;

// Prompts JSONL: {"prompt"} (or {"instruction"}) per line with an optional "split"; val prompts
// measure the mean reward and the win rate against the reference (the starting model) with the
// same sampling seeds before and after. Each step samples options.ppo.rolloutPrompts responses,
// scores them with the reward model of run options.rewardRunId (or options.rewardFunction),
// subtracts the per-token KL penalty to the frozen reference, and runs ppo.ppoEpochs passes of
// minibatch updates of the policy and its value head ("v_head"). hp.maxSteps counts rollout
// batches (0: hp.epochs passes over the prompts). Recorded with method "ppo"; train metrics per
// step: reward_mean, kl, kl_coef, clip_fraction, policy_loss, value_loss, entropy,
// response_length, approx_kl.
class PpoTrainer
{
public:
    PpoTrainer(Project& project, AlignOptions options);
    AlignResult run();
    // Continues from the last checkpoint (weights, value head, AdamW, KL coefficient, RNG);
    // options then supply callbacks, a tokenizer and, when the run used one, the reward rule.
    AlignResult resume(qint64 runId);

private:
    AlignResult train(qint64 resumeRunId);
    Project& m_project;
    AlignOptions m_options;
};

// Prompts of a PPO JSONL file by split.
struct PromptSet
{
    QStringList train, val;
};
PromptSet readPromptJsonl(const QString& path);

// Sets one PPO knob by its name (rollout_prompts, ppo_epochs, mini_batch, max_new_tokens,
// temperature, kl_coef, kl_target, kl_horizon, clip_epsilon, value_clip, value_coef, entropy_coef,
// gamma, lambda); throws fts::Error for an unknown key or a value that is not a number.
void setPpoSetting(PpoSettings& settings, const QString& key, const QString& value);

} // namespace fts
