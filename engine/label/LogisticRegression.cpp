// Full-batch Adam on softmax cross-entropy + L2; written out (a dozen tensor ops) rather than
// through torch::optim so the engine keeps its narrow-header compile times.
#include "label/LogisticRegression.h"

#include <ATen/ATen.h>

#include <cmath>

namespace fts {

LogisticRegression LogisticRegression::fit(const at::Tensor& xIn, const at::Tensor& y,
                                           int64_t classes, const LogisticRegressionOptions& o)
{
    LogisticRegression m;
    at::Tensor x = xIn.to(at::kFloat);
    if (o.standardize) {
        m.mean = x.mean(0);
        m.scale = x.std(0, /*unbiased=*/false).clamp_min(1e-6);
        x = (x - m.mean) / m.scale;
    }
    const int64_t n = x.size(0), d = x.size(1);
    const at::Tensor target = at::one_hot(y, classes).to(at::kFloat); // [N, C]
    at::Tensor w = at::zeros({d, classes}), b = at::zeros({classes});
    at::Tensor mw = at::zeros_like(w), vw = at::zeros_like(w);
    at::Tensor mb = at::zeros_like(b), vb = at::zeros_like(b);
    const double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
    for (int t = 1; t <= o.iterations; ++t) {
        // d/dlogits of the mean cross-entropy is (softmax - onehot) / N.
        const at::Tensor delta = (at::softmax(at::addmm(b, x, w), 1) - target) / double(n);
        const at::Tensor gw = at::mm(x.t(), delta) + 2.0 * o.l2 * w;
        const at::Tensor gb = delta.sum(0);
        const double c1 = 1.0 - std::pow(beta1, t), c2 = 1.0 - std::pow(beta2, t);
        mw.mul_(beta1).add_(gw, 1.0 - beta1);
        vw.mul_(beta2).addcmul_(gw, gw, 1.0 - beta2);
        mb.mul_(beta1).add_(gb, 1.0 - beta1);
        vb.mul_(beta2).addcmul_(gb, gb, 1.0 - beta2);
        w.sub_(o.lr * (mw / c1) / ((vw / c2).sqrt() + eps));
        b.sub_(o.lr * (mb / c1) / ((vb / c2).sqrt() + eps));
    }
    m.weight = w;
    m.bias = b;
    return m;
}

at::Tensor LogisticRegression::probabilities(const at::Tensor& xIn) const
{
    at::Tensor x = xIn.to(at::kFloat);
    if (mean.defined())
        x = (x - mean) / scale;
    return at::softmax(at::addmm(bias, x, weight), 1);
}

} // namespace fts
