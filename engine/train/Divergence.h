// What the trainers do when training diverges: the loss or the gradients stop being numbers.
#pragma once

#include <ATen/core/Tensor.h>

#include <QString>

#include <vector>

namespace fts {

// What a run that stopped at `step` (0-based, the step being taken) on a non-finite `quantity`
// ("loss", "gradient norm") tells its user: what happened, the usual cause and what to try, and
// which checkpoint is kept.
QString divergenceMessage(qint64 step, const QString& quantity, double value, double lr,
                          const QString& lastCheckpoint);

// The total 2-norm of the gradients of `params`, after which they are scaled down to `maxNorm`
// when it is positive and exceeded (torch.nn.utils.clip_grad_norm_). A NaN or infinite result
// means some gradient is not a number; the gradients are then left as they are, for the caller
// to stop before the optimizer spreads them into the weights.
double clipGradients(const std::vector<at::Tensor>& params, double maxNorm);

// Makes the first defined gradient NaN: how tests reach the guard above without a real overflow.
void poisonGradients(const std::vector<at::Tensor>& params);

} // namespace fts
