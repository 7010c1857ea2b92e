// bf16 mixed precision for a forward pass and its loss: matrix products run in bf16 while the
// weights, their gradients and the optimizer state stay fp32 (torch.autocast's CPU policy).
#pragma once

#include <QString>

namespace fts {

// Turns autocast on for the current thread for its lifetime when `enabled`, and restores the
// previous state afterwards; nests. Losses should be computed on logits cast back to fp32.
class AutocastScope
{
public:
    explicit AutocastScope(bool enabled);
    explicit AutocastScope(const QString& precision); // enabled for "bf16"
    ~AutocastScope();
    AutocastScope(const AutocastScope&) = delete;
    AutocastScope& operator=(const AutocastScope&) = delete;

private:
    bool m_enabled = false;
    bool m_cpuWas = false;
    bool m_gpuWas = false;
    int m_cpuDtypeWas = 0;
    int m_gpuDtypeWas = 0;
};

} // namespace fts
