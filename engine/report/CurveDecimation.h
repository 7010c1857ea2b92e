// Thinning a long curve for drawing: per pixel column only its first, lowest, highest and last
// points (the M4 rule), so a 100,000-step loss curve draws as fast as a short one and still shows
// every spike and the line's shape. Used by the live charts (on the visible range, at each
// throttled redraw) and by the report's images.
#pragma once

#include <QList>
#include <QPointF>

namespace fts {

// `points` sorted by x. Columns of width (last x - first x) / `columns`; at most four points each,
// in x order. Curves with at most 4 * `columns` points come back as they are.
QList<QPointF> decimateCurve(const QList<QPointF>& points, int columns);

} // namespace fts
