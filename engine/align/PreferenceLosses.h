// The losses of learning from human feedback: reward modeling (pairs, ratings, rankings), DPO and
// PPO (clipped surrogate, clipped value loss, GAE, KL penalty). Pure tensor math, tested by hand.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>

namespace fts {

// Bradley–Terry (1952) pairwise loss: mean of -log σ(r_chosen - r_rejected); rewards [B].
at::Tensor bradleyTerryLoss(const at::Tensor& chosen, const at::Tensor& rejected);
// Fraction of pairs whose chosen reward is strictly higher; rewards [B].
double pairwiseAccuracy(const at::Tensor& chosen, const at::Tensor& rejected);
// Regression on ratings: mean squared error between rewards [B] and ratings [B].
at::Tensor ratingLoss(const at::Tensor& rewards, const at::Tensor& ratings);

// ListMLE (Xia et al. 2008), the Plackett–Luce negative log-likelihood of a ranking. scores [B, K]
// hold each list's items best first; valid [B, K] bool marks real items (lists may be shorter
// than K, real items first). Per list: Σ_k [logsumexp(s_k..s_last) - s_k]; the mean over lists.
at::Tensor listMleLoss(const at::Tensor& scores, const at::Tensor& valid);

// DPO (Rafailov et al. 2023). Inputs are summed log-probabilities of each response [B] under the
// policy and the frozen reference. Implicit reward r = β (log π - log π_ref).
struct DpoOutput
{
    at::Tensor loss;          // mean of -log σ(r_chosen - r_rejected), differentiable
    at::Tensor chosenRewards; // [B], detached
    at::Tensor rejectedRewards;
    double margin = 0;   // mean(r_chosen - r_rejected)
    double accuracy = 0; // fraction with r_chosen > r_rejected
};
DpoOutput dpoLoss(const at::Tensor& policyChosen, const at::Tensor& policyRejected,
                  const at::Tensor& referenceChosen, const at::Tensor& referenceRejected,
                  double beta);

// PPO's clipped surrogate (Schulman et al. 2017) over response tokens. logProbs/oldLogProbs/
// advantages/mask [B, T]; mask 1 on tokens that count. Loss = masked mean of
// max(-A·ρ, -A·clip(ρ, 1-ε, 1+ε)) with ρ = exp(logp - logp_old).
struct PolicyLossOutput
{
    at::Tensor loss;
    double clipFraction = 0; // share of tokens where the clipped term was the larger one
    double approxKl = 0;     // masked mean of (logp_old - logp), how far this epoch moved
};
PolicyLossOutput ppoPolicyLoss(const at::Tensor& logProbs, const at::Tensor& oldLogProbs,
                               const at::Tensor& advantages, const at::Tensor& mask,
                               double clipEpsilon);

// Value loss with the old values as anchor (as in OpenAI's baselines): masked mean of
// 0.5 · max((v - R)², (v_old + clip(v - v_old, -ε, ε) - R)²). All [B, T].
at::Tensor ppoValueLoss(const at::Tensor& values, const at::Tensor& oldValues,
                        const at::Tensor& returns, const at::Tensor& mask, double clipEpsilon);

// Generalized advantage estimation (Schulman et al. 2016) per row over the tokens where mask is 1
// (one contiguous run per row): δ_t = r_t + γ V_{t+1} - V_t with V after the last
// token = 0, A_t = δ_t + γλ A_{t+1}. rewards/values/mask [B, T] -> advantages [B, T] (0 off the
// mask); returns = advantages + values.
struct GaeOutput
{
    at::Tensor advantages;
    at::Tensor returns;
};
GaeOutput generalizedAdvantages(const at::Tensor& rewards, const at::Tensor& values,
                                const at::Tensor& mask, double gamma, double lambda);

// Per-token rewards of PPO-RLHF (Ziegler et al. 2019): -klCoef · (log π - log π_ref) on every
// response token, plus the reward model's score on the last one. logProbs/refLogProbs/mask [B, T],
// scores [B]; mask one contiguous run per row.
at::Tensor klShapedRewards(const at::Tensor& logProbs, const at::Tensor& refLogProbs,
                           const at::Tensor& mask, const at::Tensor& scores, double klCoef);

// Mean entropy of the next-token distributions on masked positions; logits [B, T, V], mask [B, T].
at::Tensor maskedEntropy(const at::Tensor& logits, const at::Tensor& mask);
// Σ x·mask / Σ mask (0 when the mask is empty).
at::Tensor maskedMean(const at::Tensor& x, const at::Tensor& mask);
// Subtract the masked mean and divide by the masked standard deviation (PPO's advantage
// whitening); entries off the mask become 0.
at::Tensor whiten(const at::Tensor& x, const at::Tensor& mask);

// Adaptive KL coefficient (Ziegler et al. 2019, §2.2): after a batch with measured KL, the
// coefficient is multiplied by 1 + clip(KL / target - 1, -0.2, 0.2) · steps / horizon. With
// target <= 0 it stays fixed.
class KlController
{
public:
    KlController(double initial, double target, double horizon);
    double value() const { return m_value; }
    void update(double measuredKl, int64_t steps);

private:
    double m_value;
    double m_target;
    double m_horizon;
};

} // namespace fts
