// Near-duplicate detection: MinHash signatures with LSH banding, verified by exact Jaccard.
#pragma once

#include <QList>
#include <QStringList>

namespace fts {

// Groups (as indices into `texts`, ascending) of texts whose character 5-gram sets have Jaccard
// similarity >= threshold with another member. Texts in no group are not returned.
QList<QList<int>> nearDuplicateGroups(const QStringList& texts, double threshold);

// Exact Jaccard similarity of two texts' normalised character 5-gram sets.
double shingleJaccard(const QString& a, const QString& b);

} // namespace fts
