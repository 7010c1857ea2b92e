// RMSNorm forward; the fp32 upcast and cast-back order follows HF's LlamaRMSNorm.
#include "models/RmsNorm.h"

#include <ATen/ATen.h>

namespace fts {

RmsNormImpl::RmsNormImpl(int64_t size, double eps_) : eps(eps_)
{
    weight = register_parameter("weight", at::ones({size}));
}

at::Tensor RmsNormImpl::forward(const at::Tensor& x)
{
    const at::Tensor x32 = x.to(at::kFloat);
    const at::Tensor meanSquare = x32.pow(2).mean(/*dim=*/{-1}, /*keepdim=*/true); // [.., 1]
    return weight * (x32 * at::rsqrt(meanSquare + eps)).to(x.scalar_type());
}

} // namespace fts
