// Settles (2009), "Active Learning Literature Survey": least confidence, margin and entropy sampling.
#include "label/ActiveLearning.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace fts {

double uncertainty(const std::vector<double>& p, UncertaintyMeasure measure)
{
    if (p.empty())
        return 0;
    std::vector<double> sorted = p;
    std::sort(sorted.begin(), sorted.end(), std::greater<>());
    switch (measure) {
    case UncertaintyMeasure::LeastConfidence: return 1.0 - sorted[0];
    case UncertaintyMeasure::Margin: return 1.0 - (sorted[0] - (sorted.size() > 1 ? sorted[1] : 0.0));
    case UncertaintyMeasure::Entropy: {
        double h = 0;
        for (double x : p)
            if (x > 0)
                h -= x * std::log(x);
        return h;
    }
    }
    return 0;
}

QList<int> orderByUncertainty(const QList<std::vector<double>>& probabilities, UncertaintyMeasure measure)
{
    QList<int> order(probabilities.size());
    std::iota(order.begin(), order.end(), 0);
    QList<double> u;
    for (const auto& p : probabilities)
        u << uncertainty(p, measure);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return u[a] > u[b]; });
    return order;
}

} // namespace fts
