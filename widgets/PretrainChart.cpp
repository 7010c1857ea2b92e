// One curve, two readings: loss is what the optimizer lowers, perplexity is what people quote
// ("the model hesitates between about N tokens"); the right axis is exp of the left one.
#include "PretrainChart.h"

#include "ChartExport.h"

#include <QTimer>
#include <QVBoxLayout>

#include <qcustomplot.h>

#include <cmath>

namespace fts {
namespace {

// Moving average of the per-step loss: masked-LM losses jump batch to batch and the trend is
// what a person reads. 0.9 keeps about the last ten steps' weight (as on the Train page).
constexpr double kPretrainSmoothing = 0.9;
// Redraw at most this often: a tiny model runs hundreds of steps a second.
constexpr int kPretrainReplotMs = 40;

} // namespace

PretrainChart::PretrainChart(QWidget* parent)
    : QWidget(parent), m_plot(new QCustomPlot(this)), m_replot(new QTimer(this))
{
    setObjectName(QStringLiteral("pretrainChart"));
    m_plot->xAxis->setLabel(tr("step"));
    m_plot->yAxis->setLabel(tr("loss (nats per token)"));
    m_plot->yAxis2->setLabel(tr("perplexity"));
    m_plot->yAxis2->setVisible(true);
    m_plot->yAxis2->setScaleType(QCPAxis::stLogarithmic);
    m_plot->yAxis2->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
    // Perplexity = exp(loss), so a logarithmic right axis whose range is exp of the left range
    // lines every perplexity tick up with the loss it belongs to.
    connect(m_plot->yAxis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), this,
            [this](const QCPRange& r) {
                m_plot->yAxis2->setRange(std::exp(r.lower), std::exp(r.upper));
            });

    m_raw = m_plot->addGraph();
    m_raw->setName(tr("training loss"));
    m_raw->setPen(QPen(QColor(0x1f, 0x77, 0xb4, 90)));
    m_smoothed = m_plot->addGraph();
    m_smoothed->setName(tr("training loss (smoothed)"));
    m_smoothed->setPen(QPen(QColor(0x1f, 0x77, 0xb4), 2));
    m_heldOutGraph = m_plot->addGraph();
    m_heldOutGraph->setName(tr("held-out perplexity (text never trained on)"));
    m_heldOutGraph->setLineStyle(QCPGraph::lsNone);
    m_heldOutGraph->setScatterStyle(
        QCPScatterStyle(QCPScatterStyle::ssDiamond, QColor(0xd6, 0x27, 0x28), 11));
    m_plot->legend->setVisible(true);
    QFont small = font();
    small.setPointSizeF(small.pointSizeF() * 0.85);
    m_plot->legend->setFont(small);
    m_plot->legend->setBrush(QColor(255, 255, 255, 200));
    m_plot->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignRight);
    m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    m_plot->setToolTip(tr("Lower is better. Drag to pan, wheel to zoom, right-click to save."));
    addChartExportMenu(m_plot, QStringLiteral("pretraining"));

    m_replot->setSingleShot(true);
    m_replot->setInterval(kPretrainReplotMs);
    connect(m_replot, &QTimer::timeout, this, [this] {
        rescale();
        m_plot->replot(QCustomPlot::rpQueuedReplot);
    });
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_plot);
    setMinimumHeight(220);
    clear();
}

void PretrainChart::clear()
{
    for (QCPGraph* g : {m_raw, m_smoothed, m_heldOutGraph})
        g->data()->clear();
    m_plot->xAxis->setRange(0, 1);
    m_plot->yAxis->setRange(0, 10);
    m_plot->replot();
}

void PretrainChart::addStep(qint64 step, double loss)
{
    if (!std::isfinite(loss))
        return;
    const double key = double(step);
    // Points from an earlier attempt past this step belong to a future the resume replays.
    if (!m_raw->data()->isEmpty() && (m_raw->data()->constEnd() - 1)->key >= key) {
        for (QCPGraph* g : {m_raw, m_smoothed, m_heldOutGraph})
            g->data()->removeAfter(key - 0.5);
    }
    const double smoothed =
        m_smoothed->data()->isEmpty()
            ? loss
            : kPretrainSmoothing * (m_smoothed->data()->constEnd() - 1)->value + (1 - kPretrainSmoothing) * loss;
    m_raw->addData(key, loss);
    m_smoothed->addData(key, smoothed);
    scheduleReplot();
}

void PretrainChart::addHeldOut(qint64 step, double perplexity)
{
    if (!(perplexity > 0))
        return;
    m_heldOutGraph->data()->remove(double(step)); // the end of a run measures its last step again
    m_heldOutGraph->addData(double(step), std::log(perplexity));
    m_heldOutGraph->setName(tr("held-out perplexity %1").arg(perplexity, 0, 'f', 1));
    scheduleReplot();
}

QVector<double> PretrainChart::heldOut() const
{
    QVector<double> out;
    for (auto it = m_heldOutGraph->data()->constBegin(); it != m_heldOutGraph->data()->constEnd();
         ++it)
        out << std::exp(it->value);
    return out;
}

int PretrainChart::pointCount() const
{
    return m_raw->data()->size();
}

QVector<double> PretrainChart::steps() const
{
    QVector<double> out;
    for (auto it = m_raw->data()->constBegin(); it != m_raw->data()->constEnd(); ++it)
        out << it->key;
    return out;
}

QVector<double> PretrainChart::losses() const
{
    QVector<double> out;
    for (auto it = m_raw->data()->constBegin(); it != m_raw->data()->constEnd(); ++it)
        out << it->value;
    return out;
}

void PretrainChart::scheduleReplot()
{
    if (!m_replot->isActive())
        m_replot->start();
}

void PretrainChart::rescale()
{
    if (m_raw->data()->isEmpty())
        return;
    m_plot->xAxis->rescale(true);
    // From step 0, at least 10 wide (no half steps on the axis), with room for the end marker.
    const double last = std::max(m_plot->xAxis->range().upper, 10.0);
    m_plot->xAxis->setRange(0, last * 1.03);
    m_plot->yAxis->rescale(true);
    const QCPRange y = m_plot->yAxis->range();
    // Loss is >= 0; a margin keeps the curve off the frame, and a minimum span keeps a flat
    // curve from filling the plot with noise-sized ticks.
    const double margin = std::max(0.1, 0.05 * y.size());
    m_plot->yAxis->setRange(std::max(0.0, y.lower - margin), y.upper + margin);
}

} // namespace fts
