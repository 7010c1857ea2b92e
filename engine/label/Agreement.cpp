// Formulas: Cohen (1960); Fleiss (1971); Krippendorff (2011, "Computing Krippendorff's alpha-reliability").
#include "label/Agreement.h"

#include "Error.h"

#include <QMap>
#include <QSet>

namespace fts {

double cohenKappa(const QStringList& a, const QStringList& b)
{
    if (a.size() != b.size() || a.isEmpty())
        throw Error(QStringLiteral("Cohen's kappa needs the same, non-zero number of labels from both annotators."));
    const double n = double(a.size());
    QMap<QString, double> ca, cb;
    double agree = 0;
    for (qsizetype i = 0; i < a.size(); ++i) {
        agree += a[i] == b[i];
        ca[a[i]] += 1;
        cb[b[i]] += 1;
    }
    const double po = agree / n;
    double pe = 0;
    for (auto it = ca.begin(); it != ca.end(); ++it)
        pe += (it.value() / n) * (cb.value(it.key()) / n);
    return pe >= 1.0 ? 1.0 : (po - pe) / (1.0 - pe);
}

double fleissKappa(const QList<QList<int>>& counts)
{
    if (counts.isEmpty())
        throw Error(QStringLiteral("Fleiss' kappa needs at least one item."));
    const int categories = int(counts.first().size());
    int raters = 0;
    for (int c : counts.first())
        raters += c;
    if (raters < 2)
        throw Error(QStringLiteral("Fleiss' kappa needs at least two raters per item."));
    QList<double> pj(categories, 0);
    double pBar = 0;
    for (const QList<int>& row : counts) {
        int sum = 0, sq = 0;
        for (int j = 0; j < categories; ++j) {
            sum += row[j];
            sq += row[j] * row[j];
            pj[j] += row[j];
        }
        if (sum != raters || row.size() != categories)
            throw Error(QStringLiteral("Fleiss' kappa needs the same number of raters for every item."));
        pBar += double(sq - raters) / (raters * (raters - 1.0));
    }
    const double n = double(counts.size());
    pBar /= n;
    double pe = 0;
    for (double p : pj)
        pe += (p / (n * raters)) * (p / (n * raters));
    return pe >= 1.0 ? 1.0 : (pBar - pe) / (1.0 - pe);
}

double krippendorffAlphaNominal(const QList<QStringList>& units)
{
    // Coincidence matrix o_ck: each pairable unit with m_u values adds 1/(m_u - 1) per ordered pair.
    QMap<QPair<QString, QString>, double> o;
    QMap<QString, double> nc;
    double n = 0;
    for (const QStringList& values : units) {
        const int m = int(values.size());
        if (m < 2)
            continue;
        for (int i = 0; i < m; ++i)
            for (int j = 0; j < m; ++j)
                if (i != j)
                    o[{values[i], values[j]}] += 1.0 / (m - 1);
    }
    for (auto it = o.begin(); it != o.end(); ++it) {
        nc[it.key().first] += it.value();
        n += it.value();
    }
    if (n <= 1)
        throw Error(QStringLiteral("Krippendorff's alpha needs at least one item labeled by two annotators."));
    double observed = 0, expected = 0;
    for (auto it = o.begin(); it != o.end(); ++it)
        if (it.key().first != it.key().second)
            observed += it.value();
    for (auto c = nc.begin(); c != nc.end(); ++c)
        for (auto k = nc.begin(); k != nc.end(); ++k)
            if (c.key() != k.key())
                expected += c.value() * k.value();
    if (expected == 0)
        return 1.0; // one value used throughout: no disagreement is possible
    return 1.0 - (n - 1) * observed / expected;
}

} // namespace fts
