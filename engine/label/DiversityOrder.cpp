// k-center greedy over word features (see DiversityOrder.h).
#include "label/DiversityOrder.h"

#include "Error.h"
#include "label/TextFeatures.h"

#include <ATen/ATen.h>

#include <algorithm>

namespace fts {

QList<int> orderByDiversity(const QStringList& candidates, const QStringList& labeled,
                            const DiversityLimits& limits)
{
    const int n = int(std::min<qsizetype>(candidates.size(), limits.candidates));
    QStringList labeledSample;
    const qsizetype stride = std::max<qsizetype>(1, labeled.size() / std::max(1, limits.labeledSample));
    for (qsizetype i = 0; i < labeled.size() && labeledSample.size() < limits.labeledSample; i += stride)
        labeledSample << labeled[i];
    QList<int> order;
    QList<bool> taken(candidates.size(), false);
    at::Tensor x;
    try {
        x = wordFeatures(candidates.mid(0, n) + labeledSample, limits.words, /*minCount=*/1);
    } catch (const Error&) { // no words at all: nothing to tell the texts apart by
        x = at::Tensor();
    }
    if (x.defined() && n > 0) {
        at::NoGradGuard noGrad;
        x = x / x.norm(2, 1, /*keepdim=*/true).clamp_min(1e-12); // empty text: the zero vector
        const at::Tensor cand = x.narrow(0, 0, n);                 // [n, V]
        // Distance of each candidate to its nearest chosen text: 1 - cosine similarity.
        at::Tensor nearest = at::ones({n});
        if (!labeledSample.isEmpty())
            nearest = 1.0 - at::mm(cand, x.narrow(0, n, x.size(0) - n).t()).amax(1);
        at::Tensor picked = at::zeros({n}, at::kBool);
        const int picks = std::min(n, limits.picks);
        for (int k = 0; k < picks; ++k) {
            const int64_t best = nearest.masked_fill(picked, -1.0).argmax().item<int64_t>();
            picked[best] = true;
            order << int(best);
            taken[best] = true;
            nearest = at::minimum(nearest, 1.0 - at::mv(cand, cand[best]));
        }
    }
    for (int i = 0; i < candidates.size(); ++i)
        if (!taken[i])
            order << i;
    return order;
}

} // namespace fts
