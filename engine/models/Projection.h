// A linear projection with HF weight layouts (Linear [out,in] or GPT-2 Conv1D [in,out]) and optional LoRA.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/any.h>
#include <torch/nn/pimpl.h>

namespace fts {

enum class WeightLayout { Linear, Conv1D };

// Every family builds its attention and MLP projections from this module, so LoRA, freezing and
// merging work the same everywhere. Parameter names: "weight", "bias", and with LoRA
// "lora_A.weight" [r, in] and "lora_B.weight" [out, r], as PEFT names them.
class ProjectionImpl : public torch::nn::Module
{
public:
    ProjectionImpl(int64_t inFeatures, int64_t outFeatures, bool bias,
                   WeightLayout layout = WeightLayout::Linear);

    at::Tensor forward(const at::Tensor& x);

    // Adds a low-rank update y += (alpha / rank) * B(A(dropout(x))); A random, B zero (PEFT's init),
    // so the output is unchanged until training moves B. Throws fts::Error for a bad rank.
    void enableLora(int64_t rank, double alpha, double dropout);
    // Folds the update into `weight` and removes the adapter; the output stays the same.
    void mergeLora();
    bool hasLora() const { return m_loraRank > 0; }
    int64_t loraRank() const { return m_loraRank; }
    double loraScale() const { return m_loraScale; }

    int64_t inFeatures() const { return m_in; }
    int64_t outFeatures() const { return m_out; }
    WeightLayout layout() const { return m_layout; }
    // The weight as [out, in], whatever the layout (a view for Conv1D).
    at::Tensor weightOutIn() const;

    at::Tensor weight;
    at::Tensor bias;
    at::Tensor loraA; // [r, in]
    at::Tensor loraB; // [out, r]

private:
    int64_t m_in;
    int64_t m_out;
    WeightLayout m_layout;
    int64_t m_loraRank = 0;
    double m_loraScale = 0;
    double m_loraDropout = 0;
    std::shared_ptr<torch::nn::Module> m_loraAHolder;
    std::shared_ptr<torch::nn::Module> m_loraBHolder;
};
TORCH_MODULE(Projection);

} // namespace fts
