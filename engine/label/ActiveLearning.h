// Ordering the labeling queue by model uncertainty, most uncertain first.
#pragma once

#include <QList>
#include <vector>

namespace fts {

enum class UncertaintyMeasure { LeastConfidence, Margin, Entropy };

// Uncertainty of one probability vector; larger = less certain.
double uncertainty(const std::vector<double>& probabilities, UncertaintyMeasure measure);

// Indices of `probabilities` from most to least uncertain (stable for ties).
QList<int> orderByUncertainty(const QList<std::vector<double>>& probabilities, UncertaintyMeasure measure);

} // namespace fts
