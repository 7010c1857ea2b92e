// Multinomial logistic regression on dense features: the small, convex classifier that label-issue
// finding trains once per fold and that benchmarks use as the bag-of-words baseline.
#pragma once

#include <ATen/core/Tensor.h>

namespace fts {

struct LogisticRegressionOptions
{
    double l2 = 1e-3;     // on the weights, not the bias
    int iterations = 300; // full-batch Adam steps; the loss is convex, so this only sets precision
    double lr = 0.05;
    bool standardize = true; // per-feature mean/std from the training rows (off for 0/1 features)
};

struct LogisticRegression
{
    at::Tensor weight, bias; // [D, C], [C]
    at::Tensor mean, scale;  // [D] standardisation (undefined when off)

    // x [N, D] float, y [N] int64 in [0, classes).
    static LogisticRegression fit(const at::Tensor& x, const at::Tensor& y, int64_t classes,
                                  const LogisticRegressionOptions& options = {});
    at::Tensor probabilities(const at::Tensor& x) const; // [N, C]
};

} // namespace fts
