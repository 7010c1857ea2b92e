#include "runtime/Autocast.h"

#include <ATen/autocast_mode.h>

namespace fts {

AutocastScope::AutocastScope(bool enabled) : m_enabled(enabled)
{
    if (!m_enabled)
        return;
    m_cpuWas = at::autocast::is_cpu_enabled();
    m_gpuWas = at::autocast::is_enabled();
    m_cpuDtypeWas = int(at::autocast::get_autocast_cpu_dtype());
    m_gpuDtypeWas = int(at::autocast::get_autocast_gpu_dtype());
    at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
    at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
    at::autocast::set_cpu_enabled(true);
    at::autocast::set_enabled(true); // CUDA tensors, where libtorch has CUDA
    at::autocast::increment_nesting();
}

AutocastScope::AutocastScope(const QString& precision)
    : AutocastScope(precision == QLatin1String("bf16"))
{
}

AutocastScope::~AutocastScope()
{
    if (!m_enabled)
        return;
    // The bf16 copies of the weights are cached per autocast region; drop them when the outermost
    // one ends, since the optimizer changes the weights next.
    if (at::autocast::decrement_nesting() == 0)
        at::autocast::clear_cache();
    at::autocast::set_cpu_enabled(m_cpuWas);
    at::autocast::set_enabled(m_gpuWas);
    at::autocast::set_autocast_cpu_dtype(at::ScalarType(m_cpuDtypeWas));
    at::autocast::set_autocast_gpu_dtype(at::ScalarType(m_gpuDtypeWas));
}

} // namespace fts
