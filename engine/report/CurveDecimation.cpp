#include "report/CurveDecimation.h"

#include <algorithm>
#include <cmath>

namespace fts {
namespace {

// One column's kept points.
struct DecimationColumn
{
    QPointF first, low, high, last;
    void add(const QPointF& p);
    void appendTo(QList<QPointF>& out) const;
};

void DecimationColumn::add(const QPointF& p)
{
    if (p.y() < low.y())
        low = p;
    if (p.y() > high.y())
        high = p;
    last = p;
}

// First, lowest, highest, last in x order, without repeating a point.
void DecimationColumn::appendTo(QList<QPointF>& out) const
{
    QPointF pts[4] = {first, low, high, last};
    std::sort(std::begin(pts), std::end(pts),
              [](const QPointF& a, const QPointF& b) { return a.x() < b.x(); });
    for (const QPointF& p : pts)
        if (out.isEmpty() || out.constLast() != p)
            out << p;
}

} // namespace

QList<QPointF> decimateCurve(const QList<QPointF>& points, int columns)
{
    if (columns <= 0 || points.size() <= 4 * qsizetype(columns))
        return points;
    const double x0 = points.constFirst().x();
    const double width = (points.constLast().x() - x0) / columns;
    if (!(width > 0))
        return points;
    QList<QPointF> out;
    out.reserve(4 * columns + 4);
    qint64 current = -1;
    DecimationColumn column{};
    for (const QPointF& p : points) {
        const qint64 c = std::min<qint64>(qint64(std::floor((p.x() - x0) / width)), columns - 1);
        if (c != current) {
            if (current >= 0)
                column.appendTo(out);
            column = {p, p, p, p};
            current = c;
        } else {
            column.add(p);
        }
    }
    column.appendTo(out);
    return out;
}

} // namespace fts
