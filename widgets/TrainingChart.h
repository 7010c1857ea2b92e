// Training curves of one or more runs: train loss and validation loss on the left axis, validation
// accuracy and macro F1 (0..1) on the right, against the optimizer step. Live points are added as
// they arrive; redraws are throttled so a fast run does not flood the GUI thread.
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
    // The plotted values of one curve, for tests and tooltips.
    QVector<double> values(qint64 key, const QString& split, const QString& metric) const;
    QCustomPlot* plot() const { return m_plot; }

private:
    QCPGraph* graphFor(qint64 key, const QString& name, const QString& split,
                       const QString& metric);
    void scheduleReplot();
    void rescale();

    QCustomPlot* m_plot;
    QTimer* m_replot;
    QList<qint64> m_order;
    QHash<QString, QCPGraph*> m_graphs; // "key/split/metric"
};

} // namespace fts
