// Training curves of one or more runs: train loss (raw and smoothed) and validation loss on the
// left axis, validation accuracy and macro F1 (0..1) on the right, against the optimizer step. Live
// points are added as they arrive; redraws are throttled so a fast run does not flood the GUI
// thread. Hovering reads values out; right-click saves PNG, PDF or CSV.
#pragma once

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
    bool saveCsv(const QString& file) const;
    // The hover read-out for a widget position of the plot: one line per curve point near it.
    QString readoutAt(const QPoint& pos) const;
    // The plotted values of one curve ("loss_smoothed" is the train loss's moving average).
    QVector<double> values(qint64 key, const QString& split, const QString& metric) const;
    QCustomPlot* plot() const { return m_plot; }

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
};

} // namespace fts
