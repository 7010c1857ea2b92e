// Ordering the labeling queue for coverage: texts unlike anything labeled so far come first.
#pragma once

#include <QList>
#include <QStringList>

namespace fts {

struct DiversityLimits
{
    int picks = 1000;          // rows ordered by diversity; the rest keep their order after them
    int candidates = 5000;     // only the first this many rows are considered for picking
    int labeledSample = 2000;  // labeled rows compared with (an evenly spaced sample beyond this)
    int words = 1024;          // word features (most frequent first)
};

// k-center greedy (Sener & Savarese 2018, "core-set" selection) on L2-normalised word features:
// each pick is the candidate with the largest cosine distance to its nearest labeled or already
// picked text. Returns a permutation of 0..candidates.size()-1.
QList<int> orderByDiversity(const QStringList& candidates, const QStringList& labeled,
                            const DiversityLimits& limits = {});

} // namespace fts
