// Training curves of one or more runs: train loss (raw and smoothed) and validation loss on the
// left axis, validation accuracy and macro F1 (0..1) on the right, against the optimizer step. Live
// points are added as they arrive; redraws are throttled so a fast run does not flood the GUI
// thread, and each curve is thinned to a few points per pixel column of the visible range
// (report/CurveDecimation), so 100,000 steps draw as fast as 1,000 and zooming in shows every
// step again. Hovering reads values out; right-click saves PNG, PDF or CSV (all points).
#pragma once

#include "ThinnedCurves.h"
#include "train/RunStore.h"

#include <QHash>
#include <QWidget>

class QCPGraph;
class QCustomPlot;
class QTimer;

namespace fts {

class TrainingChart : public QWidget
{
    Q_OBJECT
public:
    explicit TrainingChart(QWidget* parent = nullptr);

    void clear();
    // Replaces run `key`'s curves with `points` (a stored run's metrics). Each run gets its own
    // colour; the curve kind is told by the line style (see the legend).
    void setRun(qint64 key, const QString& name, const QList<MetricPoint>& points);
    // Appends one live point to run `key` (created on first use with `name`).
    void addPoint(qint64 key, const QString& name, const MetricPoint& point);
    bool hasRun(qint64 key) const;
    QList<qint64> runs() const { return m_order; }
    // Every plotted point as "curve,step,value" rows; false when the file cannot be written.
    QByteArray csv() const;
    bool saveCsv(const QString& file) const;
    // The hover read-out for a widget position of the plot: one line per curve point near it.
    QString readoutAt(const QPoint& pos) const;
    // The plotted values of one curve ("loss_smoothed" is the train loss's moving average).
    QVector<double> values(qint64 key, const QString& split, const QString& metric) const;
    QCustomPlot* plot() const { return m_plot; }
    // What the throttled redraw does, at once: rescale to the data, thin the curves, replot.
    void redrawNow();

private:
    QCPGraph* graphFor(qint64 key, const QString& name, const QString& split,
                       const QString& metric);
    void append(qint64 key, const QString& name, const MetricPoint& point);
    void showReadout(const QPoint& pos);
    void scheduleReplot();
    void rescale();

    QCustomPlot* m_plot;
    QTimer* m_replot;
    QList<qint64> m_order;
    QHash<QString, QCPGraph*> m_graphs; // "key/split/metric"
    QHash<qint64, double> m_smoothed;   // each run's last smoothed train loss
    ThinnedCurves m_curves; // every point; the graphs hold thinned copies
    QTimer* m_rethin;                   // after a zoom or pan
    bool m_updating = false;            // our own range changes are not the user's
    bool m_follow = true;               // rescale to all the data at each redraw (until a zoom)
};

} // namespace fts
