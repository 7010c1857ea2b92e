// Live curves of a run that reports many metrics (reward model, DPO, PPO): one small plot per
// panel, each with the curves it names (a metric of a split), in a grid. Points arrive as the
// engine reports them; redraws are throttled. Hovering a plot shows its latest values; right-click
// saves every curve as CSV or the panels as PNG.
#pragma once

#include "train/RunStore.h"

#include <QHash>
#include <QList>
#include <QString>
#include <QWidget>

class QCPGraph;
class QCustomPlot;
class QGridLayout;
class QTimer;

namespace fts {

struct MetricCurve
{
    QString split;  // "train" or "val"
    QString metric; // as the trainer names it, e.g. "reward_margin"
    QString label;  // legend text
};

struct MetricPanel
{
    QString title;
    QList<MetricCurve> curves;
    QString tip; // what the panel shows, in plain words
    bool unitInterval = false; // a share (accuracy, rate): the axis stays 0-1
};

class MetricPanelsChart : public QWidget
{
    Q_OBJECT
public:
    explicit MetricPanelsChart(QWidget* parent = nullptr);

    // Replaces the panels (and drops every point).
    void setPanels(const QList<MetricPanel>& panels, int columns = 3);
    void clear();
    // Routes the point to every curve that shows its split and metric; others are ignored.
    void addPoint(const MetricPoint& point);
    // The values plotted for one curve, in arrival order.
    QVector<double> values(const QString& split, const QString& metric) const;
    int panelCount() const { return int(m_plots.size()); }
    bool saveCsv(const QString& file) const;

protected:

private:
    void scheduleReplot();

    QGridLayout* m_grid;
    QTimer* m_replot;
    QList<QCustomPlot*> m_plots;
    QList<bool> m_unit; // per plot: fixed 0-1 axis
    QMultiHash<QString, QCPGraph*> m_graphs; // "split/metric" -> graphs showing it
};

} // namespace fts
