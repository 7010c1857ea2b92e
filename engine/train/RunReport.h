// A run's report as one self-contained HTML file (inline SVG charts, no scripts, no external
// files): what was trained, on what, with which settings, how the curves went and how it scored.
// For sharing with people who do not have the studio, and for lab hand-ins.
#pragma once

#include "train/Metrics.h"
#include "train/RunStore.h"

#include <QPointF>
#include <QtNumeric>

namespace fts {

struct RunReportInput
{
    QString projectName;
    RunRecord run;
    QList<MetricPoint> metrics;
    // Optional: the run evaluated on a split (`evaluationSplit` names it); skipped when total is 0.
    ClassificationReport evaluation;
    QString evaluationSplit;
};

QString runReportHtml(const RunReportInput& input);

// An SVG line chart of (step, value) series; public for the report's tests.
struct ChartSeries
{
    QString name;
    QString colour; // CSS colour
    QList<QPointF> points;
    bool dashed = false;
};
QString svgLineChart(const QString& title, const QList<ChartSeries>& series, double yMin = qQNaN(),
                     double yMax = qQNaN());

} // namespace fts
