// Pre-training curve: the loss of every step (raw and smoothed) on the left axis and the matching
// perplexity, exp(loss), on the right; held-out perplexities, measured during and after the run,
// as markers.
#pragma once

#include <QVector>
#include <QWidget>

class QCPGraph;
class QCustomPlot;
class QTimer;

namespace fts {

class PretrainChart : public QWidget
{
    Q_OBJECT
public:
    explicit PretrainChart(QWidget* parent = nullptr);

    void clear();
    // Appends step `step`'s loss (nats per predicted token). A step at or before the last plotted
    // one first drops the points from there on: a resumed run continues from its checkpoint.
    void addStep(qint64 step, double loss);
    // Marks the held-out perplexity measured after `step` (replacing one already there).
    void addHeldOut(qint64 step, double perplexity);
    // The marked held-out perplexities, in step order.
    QVector<double> heldOut() const;
    int pointCount() const;
    QVector<double> steps() const;
    QVector<double> losses() const;
    QCustomPlot* plot() const { return m_plot; }

private:
    void scheduleReplot();
    void rescale();

    QCustomPlot* m_plot;
    QTimer* m_replot;
    QCPGraph* m_raw;
    QCPGraph* m_smoothed;
    QCPGraph* m_heldOutGraph;
};

} // namespace fts
