// Saving any chart the way a person shares it: right-click → PNG (for slides), SVG (for papers
// and editing), PDF, or the data behind it as CSV. One menu for every chart in the studio.
#pragma once

#include <QByteArray>
#include <QString>

#include <functional>

class QCustomPlot;
class QMenu;
class QWidget;

namespace fts {

// The chart's data as CSV; the default lists every graph's and bar series' points as
// "series,x,y". A chart that draws thinned or derived data passes its own.
using ChartCsv = std::function<QByteArray()>;

// Right-click on `plot` opens the save menu; `baseName` is the suggested file name, without the
// extension.
void addChartExportMenu(QCustomPlot* plot, const QString& baseName, ChartCsv csv = {});
// The menu itself (its actions: "Save as PNG…", "Save as SVG…", "Save as PDF…", "Save data as CSV…").
QMenu* chartExportMenu(QCustomPlot* plot, const QString& baseName, const ChartCsv& csv, QWidget* parent);

// Each returns false when the file cannot be written.
bool saveChartSvg(QCustomPlot* plot, const QString& file);
QByteArray plottablesCsv(QCustomPlot* plot);
bool saveChartCsv(const QByteArray& csv, const QString& file);

} // namespace fts
