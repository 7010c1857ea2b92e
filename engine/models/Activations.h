// Activation functions chosen by their config.json name (hidden_act, activation, ...).
#pragma once

#include <ATen/core/Tensor.h>

#include <QString>
#include <QStringList>

#include <functional>

namespace fts {

using ActivationFn = std::function<at::Tensor(const at::Tensor&)>;

// "gelu" (exact, erf), "gelu_new" / "gelu_pytorch_tanh" / "gelu_fast" (tanh approximation),
// "relu", "silu" / "swish". Throws fts::Error naming the activation and the supported ones.
ActivationFn activationByName(const QString& name);

// Applies the named activation once; for hot loops resolve it with activationByName instead.
at::Tensor applyActivation(const QString& name, const at::Tensor& x);

QStringList supportedActivations();

// Dropout that is a no-op at p = 0 or in evaluation, shared by every family.
at::Tensor maybeDropout(const at::Tensor& x, double p, bool training);

} // namespace fts
