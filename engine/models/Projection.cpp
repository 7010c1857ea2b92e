// Projection forward, LoRA init (Hu et al. 2021, PEFT defaults) and merge.
#include "models/Projection.h"

#include "Error.h"

#include <torch/nn/functional/dropout.h>
#include <torch/nn/init.h>

#include <cmath>

namespace fts {

ProjectionImpl::ProjectionImpl(int64_t in, int64_t out, bool withBias, WeightLayout layout)
    : m_in(in), m_out(out), m_layout(layout)
{
    const auto shape = layout == WeightLayout::Linear ? std::vector<int64_t>{out, in}
                                                      : std::vector<int64_t>{in, out};
    weight = register_parameter("weight", torch::empty(shape));
    // torch.nn.Linear's default init; loaded checkpoints overwrite it.
    torch::nn::init::kaiming_uniform_(weight, /*a=*/std::sqrt(5.0));
    if (withBias) {
        const double bound = 1.0 / std::sqrt(double(in));
        bias = register_parameter("bias", torch::empty({out}).uniform_(-bound, bound));
    }
}

at::Tensor ProjectionImpl::weightOutIn() const
{
    return m_layout == WeightLayout::Linear ? weight : weight.t();
}

at::Tensor ProjectionImpl::forward(const at::Tensor& x)
{
    at::Tensor y;
    if (m_layout == WeightLayout::Linear) {
        y = at::linear(x, weight, bias);
    } else {
        y = at::matmul(x, weight); // Conv1D: [.., in] x [in, out]
        if (bias.defined())
            y = y + bias;
    }
    if (m_loraRank > 0) {
        const at::Tensor dropped =
            m_loraDropout > 0 ? torch::nn::functional::dropout(
                                    x, torch::nn::functional::DropoutFuncOptions().p(m_loraDropout).training(is_training()))
                              : x;
        y = y + m_loraScale * at::linear(at::linear(dropped, loraA), loraB);
    }
    return y;
}

void ProjectionImpl::enableLora(int64_t rank, double alpha, double dropout)
{
    if (rank <= 0 || rank > std::min(m_in, m_out))
        throw Error(QStringLiteral("LoRA rank %1 is out of range: it must be between 1 and %2 "
                                   "(the smaller side of a %3 x %4 layer).")
                        .arg(rank)
                        .arg(std::min(m_in, m_out))
                        .arg(m_out)
                        .arg(m_in));
    if (dropout < 0 || dropout >= 1)
        throw Error(QStringLiteral("LoRA dropout must be in [0, 1); it is %1.").arg(dropout));
    if (m_loraRank > 0)
        throw Error(QStringLiteral("This layer already has a LoRA adapter."));
    m_loraRank = rank;
    m_loraScale = alpha / double(rank);
    m_loraDropout = dropout;
    // Submodules named lora_A / lora_B so parameter names read "<layer>.lora_A.weight" like PEFT.
    m_loraAHolder = std::make_shared<torch::nn::Module>();
    m_loraBHolder = std::make_shared<torch::nn::Module>();
    const auto opts = weight.options();
    loraA = m_loraAHolder->register_parameter("weight", torch::empty({rank, m_in}, opts));
    torch::nn::init::kaiming_uniform_(loraA, /*a=*/std::sqrt(5.0));
    loraB = m_loraBHolder->register_parameter("weight", torch::zeros({m_out, rank}, opts));
    register_module("lora_A", m_loraAHolder);
    register_module("lora_B", m_loraBHolder);
}

void ProjectionImpl::mergeLora()
{
    if (m_loraRank == 0)
        return;
    torch::NoGradGuard noGrad;
    const at::Tensor delta = (m_loraScale * at::matmul(loraB, loraA)).to(weight.dtype()); // [out, in]
    if (m_layout == WeightLayout::Linear)
        weight.add_(delta);
    else
        weight.add_(delta.t());
    unregister_module("lora_A");
    unregister_module("lora_B");
    m_loraAHolder.reset();
    m_loraBHolder.reset();
    loraA = at::Tensor();
    loraB = at::Tensor();
    m_loraRank = 0;
    m_loraScale = 0;
}

} // namespace fts
