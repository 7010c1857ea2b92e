#include "ThinnedCurves.h"

#include "report/CurveDecimation.h"

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>

namespace fts {

void ThinnedCurves::append(QCPGraph* graph, const QPointF& point)
{
    m_points[graph] << point;
}

bool ThinnedCurves::xExtent(double* x0, double* x1) const
{
    *x0 = INFINITY;
    *x1 = -INFINITY;
    for (const QList<QPointF>& points : m_points) {
        if (points.isEmpty())
            continue;
        *x0 = std::min(*x0, points.constFirst().x());
        *x1 = std::max(*x1, points.constLast().x());
    }
    return std::isfinite(*x0);
}

double ThinnedCurves::maxLeftY(const QCustomPlot* plot) const
{
    double y = -INFINITY;
    for (auto it = m_points.cbegin(); it != m_points.cend(); ++it)
        if (it.key()->valueAxis() == plot->yAxis)
            for (const QPointF& p : it.value())
                y = std::max(y, p.y());
    return y;
}

void ThinnedCurves::thinToView(QCustomPlot* plot) const
{
    const QCPRange view = plot->xAxis->range();
    const int columns = std::max(200, plot->axisRect()->width());
    for (auto it = m_points.cbegin(); it != m_points.cend(); ++it) {
        const QList<QPointF>& all = it.value();
        auto lo = std::lower_bound(all.cbegin(), all.cend(), view.lower,
                                   [](const QPointF& p, double x) { return p.x() < x; });
        if (lo != all.cbegin())
            --lo;
        auto hi = std::upper_bound(lo, all.cend(), view.upper,
                                   [](double x, const QPointF& p) { return x < p.x(); });
        if (hi != all.cend())
            ++hi;
        const QList<QPointF> shown = decimateCurve(QList<QPointF>(lo, hi), columns);
        QVector<QCPGraphData> data;
        data.reserve(shown.size());
        for (const QPointF& p : shown)
            data.append(QCPGraphData(p.x(), p.y()));
        it.key()->data()->set(data, true);
    }
}

} // namespace fts
