// Inter-annotator agreement: Cohen's kappa (two raters), Fleiss' kappa and Krippendorff's alpha (many).
#pragma once

#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace fts {

// Labels of two annotators on the same items, in the same order.
double cohenKappa(const QStringList& a, const QStringList& b);

// counts[item][category] = how many raters chose the category; every item has the same number of raters.
double fleissKappa(const QList<QList<int>>& counts);

// Nominal Krippendorff's alpha. units[u] holds the values the coders gave unit u (missing values are
// simply absent); units with fewer than two values do not count.
double krippendorffAlphaNominal(const QList<QStringList>& units);

} // namespace fts
