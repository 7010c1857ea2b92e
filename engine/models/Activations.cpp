// Activation lookup: HF's names mapped onto ATen kernels (erf GELU, tanh GELU, ReLU, SiLU).
#include "models/Activations.h"

#include <torch/nn/functional/dropout.h>

#include "Error.h"

#include <ATen/ATen.h>

namespace fts {

QStringList supportedActivations()
{
    return {"gelu", "gelu_new", "gelu_pytorch_tanh", "gelu_fast", "relu", "silu", "swish"};
}

ActivationFn activationByName(const QString& name)
{
    if (name == QLatin1String("gelu"))
        return [](const at::Tensor& x) { return at::gelu(x); }; // 0.5 x (1 + erf(x / sqrt 2))
    // GPT-2's gelu_new, gelu_pytorch_tanh and gelu_fast are all
    // 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))); they differ only in how HF computes it.
    if (name == QLatin1String("gelu_new") || name == QLatin1String("gelu_pytorch_tanh") ||
        name == QLatin1String("gelu_fast"))
        return [](const at::Tensor& x) { return at::gelu(x, /*approximate=*/"tanh"); };
    if (name == QLatin1String("relu"))
        return [](const at::Tensor& x) { return at::relu(x); };
    if (name == QLatin1String("silu") || name == QLatin1String("swish"))
        return [](const at::Tensor& x) { return at::silu(x); };
    throw Error(QStringLiteral("The activation \"%1\" is not supported (supported: %2). Check "
                               "hidden_act / activation in the model's config.json.")
                    .arg(name, supportedActivations().join(QStringLiteral(", "))));
}

at::Tensor applyActivation(const QString& name, const at::Tensor& x)
{
    return activationByName(name)(x);
}

at::Tensor maybeDropout(const at::Tensor& x, double p, bool training)
{
    if (p <= 0 || !training)
        return x;
    return torch::nn::functional::dropout(x, torch::nn::functional::DropoutFuncOptions().p(p).training(training));
}

} // namespace fts
