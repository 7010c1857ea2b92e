// Every point of a chart's curves, kept beside the QCustomPlot graphs, which hold only a thinned
// copy of the visible x range (a few points per pixel column, report/CurveDecimation): a long
// run's curves then draw as fast as a short one's, and zooming in shows every point again.
#pragma once

#include <QHash>
#include <QList>
#include <QPointF>

class QCPGraph;
class QCustomPlot;

namespace fts {

class ThinnedCurves
{
public:
    void append(QCPGraph* graph, const QPointF& point); // x must not decrease
    QList<QPointF> points(QCPGraph* graph) const { return m_points.value(graph); }
    void remove(QCPGraph* graph) { m_points.remove(graph); }
    void clear() { m_points.clear(); }
    bool isEmpty() const { return m_points.isEmpty(); }
    // The x extent of every point; false when there is none.
    bool xExtent(double* x0, double* x1) const;
    // The largest y of the curves drawn against `plot`'s left axis (-inf when none).
    double maxLeftY(const QCustomPlot* plot) const;
    // Sets each graph's data to its points in the plot's visible x range (and one beyond each
    // side, so lines run to the edges), thinned to the plot's width.
    void thinToView(QCustomPlot* plot) const;

private:
    QHash<QCPGraph*, QList<QPointF>> m_points;
};

} // namespace fts
