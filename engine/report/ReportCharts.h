// The report's charts, drawn with QPainter into images (PNG in the HTML file, the same images in
// the PDF). Needs a QGuiApplication (fonts).
#pragma once

#include "train/Metrics.h"

#include <QImage>
#include <QPointF>
#include <QtNumeric>

namespace fts {

// The colour of the `index`-th run wherever runs are overlaid (the Train page's chart, comparison
// reports), so a run keeps its colour from the screen to the report.
QColor runColour(int index);

struct ChartSeries
{
    QString name;
    QColor colour;
    QList<QPointF> points; // sorted by x
    bool dashed = false;
};

// Logical size of every report chart; the images hold twice as many pixels for sharp printing.
inline constexpr int kReportChartWidth = 640;
inline constexpr int kReportChartHeight = 260;

// A line chart of (x, y) series; y limits are the data's unless given. "no data" when empty.
QImage lineChartImage(const QString& title, const QString& xLabel, const QList<ChartSeries>& series,
                      double yMin = qQNaN(), double yMax = qQNaN());

// A reliability diagram: per confidence bin, the share correct as a bar, the diagonal of perfect
// calibration, and each bin's count.
QImage reliabilityChartImage(const QList<CalibrationBin>& bins, double ece);

// Where the line chart puts data point (x, y) in logical coordinates, for the tests.
QPointF lineChartPosition(double x, double y, double x0, double x1, double y0, double y1);

} // namespace fts
