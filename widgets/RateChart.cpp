// Learning rate on the left axis, tokens per second on the right; redraws throttled, and the
// curves thinned to the plot's width, like the training chart's, so a fast or long run does not
// flood the GUI thread.
#include "RateChart.h"

#include "ChartExport.h"

#include <QTimer>
#include <QVBoxLayout>

#include <qcustomplot.h>

namespace fts {
namespace {
constexpr int kRateReplotMs = 100;
} // namespace

RateChart::RateChart(QWidget* parent)
    : QWidget(parent), m_plot(new QCustomPlot(this)), m_replot(new QTimer(this))
{
    setObjectName(QStringLiteral("rateChart"));
    m_plot->xAxis->setLabel(tr("step"));
    m_plot->yAxis->setLabel(tr("learning rate"));
    m_plot->yAxis2->setLabel(tr("tokens/s"));
    m_plot->yAxis2->setVisible(true);
    m_lr = m_plot->addGraph(m_plot->xAxis, m_plot->yAxis);
    m_lr->setName(tr("learning rate"));
    m_lr->setPen(QPen(QColor(0x2c, 0xa0, 0x2c), 2));
    m_speed = m_plot->addGraph(m_plot->xAxis, m_plot->yAxis2);
    m_speed->setName(tr("tokens/s"));
    m_speed->setPen(QPen(QColor(0x94, 0x67, 0xbd, 160)));
    // No legend in so small a chart: each axis label takes its curve's colour instead.
    m_plot->yAxis->setLabelColor(QColor(0x2c, 0xa0, 0x2c));
    m_plot->yAxis2->setLabelColor(QColor(0x94, 0x67, 0xbd));
    m_plot->yAxis->ticker()->setTickCount(3);
    m_plot->yAxis2->ticker()->setTickCount(3);
    m_plot->yAxis->setNumberFormat(QStringLiteral("gb"));
    m_plot->yAxis->setNumberPrecision(2);
    setMinimumHeight(140);
    m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    m_plot->setPlottingHint(QCP::phFastPolylines, true);
    m_plot->setToolTip(tr("The learning-rate schedule (warmup, then decay) and training speed. "
                          "Right-click to save the chart or its data."));
    addChartExportMenu(m_plot, QStringLiteral("learning-rate"), [this] {
        QByteArray csv = "step,learning_rate,tokens_per_second\n";
        const QList<QPointF> lr = m_curves.points(m_lr), speed = m_curves.points(m_speed);
        for (qsizetype i = 0; i < lr.size() && i < speed.size(); ++i)
            csv += QStringLiteral("%1,%2,%3\n").arg(lr[i].x()).arg(lr[i].y(), 0, 'g', 10).arg(speed[i].y(), 0, 'g', 10).toUtf8();
        return csv;
    });
    m_replot->setSingleShot(true);
    m_replot->setInterval(kRateReplotMs);
    connect(m_replot, &QTimer::timeout, this, [this] {
        double x0 = 0, x1 = 0;
        if (m_curves.xExtent(&x0, &x1))
            m_plot->xAxis->setRange(x0, x1 > x0 ? x1 : x0 + 1);
        m_curves.thinToView(m_plot); // the thinned curves keep each column's extremes
        m_plot->yAxis->rescale();
        m_plot->yAxis2->rescale();
        m_plot->yAxis->setRangeLower(0);
        m_plot->yAxis2->setRangeLower(0);
        m_plot->replot(QCustomPlot::rpQueuedReplot);
    });
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_plot);
}

void RateChart::clear()
{
    m_lr->data()->clear();
    m_speed->data()->clear();
    m_curves.clear();
    m_plot->replot();
}

void RateChart::addStep(qint64 step, double learningRate, double tokensPerSecond)
{
    m_curves.append(m_lr, QPointF(double(step), learningRate));
    m_curves.append(m_speed, QPointF(double(step), tokensPerSecond));
    if (!m_replot->isActive())
        m_replot->start();
}

QVector<double> RateChart::learningRates() const
{
    QVector<double> out;
    for (const QPointF& p : m_curves.points(m_lr))
        out << p.y();
    return out;
}

QVector<double> RateChart::tokensPerSecond() const
{
    QVector<double> out;
    for (const QPointF& p : m_curves.points(m_speed))
        out << p.y();
    return out;
}

} // namespace fts
