// Reward-model, DPO and PPO losses; formulas and their sources are in PreferenceLosses.h.
#include "align/PreferenceLosses.h"

#include "Error.h"

#include <ATen/ATen.h>

#include <algorithm>

namespace fts {
namespace {

void checkSameShape(const at::Tensor& a, const at::Tensor& b, const char* what)
{
    if (!a.defined() || !b.defined() || a.sizes() != b.sizes())
        throw Error(QStringLiteral("Internal shape mismatch in %1: the two inputs must have the "
                                   "same shape.")
                        .arg(QString::fromLatin1(what)));
}

} // namespace

at::Tensor bradleyTerryLoss(const at::Tensor& chosen, const at::Tensor& rejected)
{
    checkSameShape(chosen, rejected, "the pairwise reward loss");
    return -at::log_sigmoid(chosen - rejected).mean();
}

double pairwiseAccuracy(const at::Tensor& chosen, const at::Tensor& rejected)
{
    checkSameShape(chosen, rejected, "the pairwise accuracy");
    if (chosen.numel() == 0)
        return 0;
    return (chosen > rejected).to(at::kDouble).mean().item<double>();
}

at::Tensor ratingLoss(const at::Tensor& rewards, const at::Tensor& ratings)
{
    checkSameShape(rewards, ratings, "the rating loss");
    return (rewards - ratings.to(rewards.scalar_type())).pow(2).mean();
}

at::Tensor listMleLoss(const at::Tensor& scores, const at::Tensor& valid)
{
    checkSameShape(scores, valid, "the ranking loss");
    const at::Tensor v = valid.to(at::kBool);
    // Invalid items get -inf so they never enter a logsumexp; reversing lets cumulative logsumexp
    // compute every suffix logsumexp(s_k..s_last) in one pass.
    const at::Tensor masked = scores.masked_fill(v.logical_not(), -INFINITY);
    const at::Tensor suffix = at::logcumsumexp(masked.flip({1}), 1).flip({1}); // [B, K]
    const at::Tensor terms = (suffix - scores).masked_fill(v.logical_not(), 0.0);
    return terms.sum(1).mean();
}

DpoOutput dpoLoss(const at::Tensor& policyChosen, const at::Tensor& policyRejected,
                  const at::Tensor& referenceChosen, const at::Tensor& referenceRejected,
                  double beta)
{
    checkSameShape(policyChosen, policyRejected, "the DPO loss");
    checkSameShape(referenceChosen, referenceRejected, "the DPO loss");
    checkSameShape(policyChosen, referenceChosen, "the DPO loss");
    if (!(beta > 0))
        throw Error(QStringLiteral("DPO's beta must be above 0 (usually 0.05 to 0.5); it is %1.")
                        .arg(beta));
    const at::Tensor chosen = beta * (policyChosen - referenceChosen.detach());       // [B]
    const at::Tensor rejected = beta * (policyRejected - referenceRejected.detach()); // [B]
    DpoOutput out;
    out.loss = -at::log_sigmoid(chosen - rejected).mean();
    out.chosenRewards = chosen.detach();
    out.rejectedRewards = rejected.detach();
    const at::Tensor diff = (chosen - rejected).detach().to(at::kDouble);
    out.margin = diff.numel() ? diff.mean().item<double>() : 0.0;
    out.accuracy = diff.numel() ? (diff > 0).to(at::kDouble).mean().item<double>() : 0.0;
    return out;
}

at::Tensor maskedMean(const at::Tensor& x, const at::Tensor& mask)
{
    const at::Tensor m = mask.to(x.scalar_type());
    return (x * m).sum() / m.sum().clamp_min(1.0);
}

PolicyLossOutput ppoPolicyLoss(const at::Tensor& logProbs, const at::Tensor& oldLogProbs,
                               const at::Tensor& advantages, const at::Tensor& mask,
                               double clipEpsilon)
{
    checkSameShape(logProbs, oldLogProbs, "the PPO policy loss");
    checkSameShape(logProbs, advantages, "the PPO policy loss");
    const at::Tensor ratio = at::exp(logProbs - oldLogProbs.detach());
    const at::Tensor a = advantages.detach();
    const at::Tensor unclipped = -a * ratio;
    const at::Tensor clipped = -a * at::clamp(ratio, 1.0 - clipEpsilon, 1.0 + clipEpsilon);
    PolicyLossOutput out;
    out.loss = maskedMean(at::max(unclipped, clipped), mask);
    out.clipFraction =
        maskedMean((clipped > unclipped).to(logProbs.scalar_type()), mask).item<double>();
    out.approxKl = maskedMean((oldLogProbs - logProbs).detach(), mask).item<double>();
    return out;
}

at::Tensor ppoValueLoss(const at::Tensor& values, const at::Tensor& oldValues,
                        const at::Tensor& returns, const at::Tensor& mask, double clipEpsilon)
{
    checkSameShape(values, oldValues, "the PPO value loss");
    checkSameShape(values, returns, "the PPO value loss");
    const at::Tensor old = oldValues.detach();
    const at::Tensor target = returns.detach();
    const at::Tensor clipped = old + at::clamp(values - old, -clipEpsilon, clipEpsilon);
    return 0.5 * maskedMean(at::max((values - target).pow(2), (clipped - target).pow(2)), mask);
}

GaeOutput generalizedAdvantages(const at::Tensor& rewards, const at::Tensor& values,
                                const at::Tensor& mask, double gamma, double lambda)
{
    checkSameShape(rewards, values, "GAE");
    checkSameShape(rewards, mask, "GAE");
    const at::Tensor m = mask.to(values.scalar_type());
    const at::Tensor r = rewards.detach() * m;
    const at::Tensor v = values.detach() * m;
    const int64_t T = r.size(1);
    std::vector<at::Tensor> reversed;
    at::Tensor next = at::zeros({r.size(0)}, r.options()); // A_{t+1}
    for (int64_t t = T - 1; t >= 0; --t) {
        // Off the mask the next value is 0, which is what ends each row's episode.
        const at::Tensor nextValue = t + 1 < T ? v.select(1, t + 1) : at::zeros_like(next);
        const at::Tensor delta = r.select(1, t) + gamma * nextValue - v.select(1, t);
        next = (delta + gamma * lambda * next) * m.select(1, t);
        reversed.push_back(next);
    }
    std::reverse(reversed.begin(), reversed.end());
    GaeOutput out;
    out.advantages = at::stack(reversed, 1); // [B, T]
    out.returns = out.advantages + v;
    return out;
}

at::Tensor klShapedRewards(const at::Tensor& logProbs, const at::Tensor& refLogProbs,
                           const at::Tensor& mask, const at::Tensor& scores, double klCoef)
{
    checkSameShape(logProbs, refLogProbs, "the KL penalty");
    const at::Tensor m = mask.to(logProbs.scalar_type());
    at::Tensor rewards = -klCoef * (logProbs - refLogProbs).detach() * m;
    // The last response token of each row: the highest column the mask covers.
    const at::Tensor columns = at::arange(1, m.size(1) + 1, m.options());
    const at::Tensor last = (m * columns).argmax(1); // [B]
    const at::Tensor add = at::zeros_like(rewards).scatter_(
        1, last.unsqueeze(1), scores.detach().to(rewards.scalar_type()).unsqueeze(1));
    return rewards + add * m;
}

at::Tensor maskedEntropy(const at::Tensor& logits, const at::Tensor& mask)
{
    const at::Tensor logp = at::log_softmax(logits.to(at::kFloat), -1);
    const at::Tensor entropy = -(logp.exp() * logp).sum(-1); // [B, T, V] -> [B, T]
    return maskedMean(entropy, mask);
}

at::Tensor whiten(const at::Tensor& x, const at::Tensor& mask)
{
    const at::Tensor m = mask.to(x.scalar_type());
    const at::Tensor mean = maskedMean(x, m);
    const at::Tensor var = maskedMean((x - mean).pow(2), m);
    return (x - mean) * at::rsqrt(var + 1e-8) * m;
}

KlController::KlController(double initial, double target, double horizon)
    : m_value(initial), m_target(target), m_horizon(horizon)
{
}

void KlController::update(double measuredKl, int64_t steps)
{
    if (m_target <= 0 || m_horizon <= 0)
        return;
    const double error = std::clamp(measuredKl / m_target - 1.0, -0.2, 0.2);
    m_value *= 1.0 + error * double(steps) / m_horizon;
}

} // namespace fts
