// The learning-rate schedule and the throughput of a live run, against the optimizer step: what
// warmup and decay actually did, and whether training slowed down (another program, a long batch).
#pragma once

#include "ThinnedCurves.h"

#include <QVector>
#include <QWidget>

class QCPGraph;
class QCustomPlot;
class QTimer;

namespace fts {

class RateChart : public QWidget
{
    Q_OBJECT
public:
    explicit RateChart(QWidget* parent = nullptr);
    void clear();
    void addStep(qint64 step, double learningRate, double tokensPerSecond);
    QVector<double> learningRates() const;
    QVector<double> tokensPerSecond() const;
    QCustomPlot* plot() const { return m_plot; }

private:
    QCustomPlot* m_plot;
    QCPGraph* m_lr;
    QCPGraph* m_speed;
    QTimer* m_replot;
    ThinnedCurves m_curves; // every step; the graphs hold thinned copies
};

} // namespace fts
