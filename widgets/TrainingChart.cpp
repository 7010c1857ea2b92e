// Only the curves a person reads to judge a run are drawn: per-step train loss (what the optimizer
// sees), validation loss (over-fitting shows as it turning up) and validation accuracy / macro F1.
#include "TrainingChart.h"

#include "ChartExport.h"
#include "data/CsvField.h"
#include "report/ReportCharts.h"

#include <QTimer>
#include <QToolTip>
#include <QVBoxLayout>

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>

namespace fts {
namespace {

bool onRightAxis(const QString& metric)
{
    return metric == QLatin1String("accuracy") || metric == QLatin1String("macro_f1");
}

bool plotted(const QString& split, const QString& metric)
{
    if (split == QLatin1String("train"))
        return metric == QLatin1String("loss");
    return split == QLatin1String("val") &&
           (metric == QLatin1String("loss") || onRightAxis(metric));
}

// Exponential moving average of the per-step loss: the raw curve is noisy batch to batch, and the
// trend is what a person reads. 0.9 keeps the last ~10 steps' weight.
constexpr double kLossSmoothing = 0.9;
const QString kSmoothed = QStringLiteral("loss_smoothed");

QString curveName(const QString& split, const QString& metric)
{
    if (metric == kSmoothed)
        return QObject::tr("train loss (smoothed)");
    if (metric == QLatin1String("loss"))
        return split == QLatin1String("train") ? QObject::tr("train loss")
                                               : QObject::tr("validation loss");
    return metric == QLatin1String("accuracy") ? QObject::tr("validation accuracy")
                                               : QObject::tr("validation macro F1");
}

} // namespace

TrainingChart::TrainingChart(QWidget* parent)
    : QWidget(parent), m_plot(new QCustomPlot(this)), m_replot(new QTimer(this)),
      m_rethin(new QTimer(this))
{
    setObjectName(QStringLiteral("trainingChart"));
    m_plot->xAxis->setLabel(tr("optimizer step"));
    m_plot->yAxis->setLabel(tr("loss"));
    m_plot->yAxis2->setLabel(tr("accuracy / F1"));
    m_plot->yAxis2->setVisible(true);
    m_plot->yAxis2->setRange(0, 1);
    m_plot->legend->setVisible(true);
    QFont small = font();
    small.setPointSizeF(small.pointSizeF() * 0.85);
    m_plot->legend->setFont(small);
    m_plot->legend->setBrush(QColor(255, 255, 255, 200)); // curves stay visible behind it
    m_plot->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignRight);
    m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    // Measured (ftbench-gui, 100k steps): the smoothed loss's wide antialiased line dominated a
    // redraw (38 of 49 ms) through its segment joins; fast polylines draw it in a third of that.
    m_plot->setPlottingHint(QCP::phFastPolylines, true);
    m_plot->setToolTip(tr("Drag to pan, wheel to zoom, double-click to see the whole run, "
                          "right-click to save the chart or its data"));
    addChartExportMenu(m_plot, QStringLiteral("training"), [this] { return csv(); });
    connect(m_plot, &QCustomPlot::mouseMove, this, [this](QMouseEvent* e) { showReadout(e->pos()); });
    m_plot->setMinimumHeight(220);
    m_replot->setSingleShot(true);
    m_replot->setInterval(200);
    connect(m_replot, &QTimer::timeout, this, &TrainingChart::redrawNow);
    // Zoomed in, the thinning is redone for the visible range, so every step shows again.
    m_rethin->setSingleShot(true);
    m_rethin->setInterval(30);
    connect(m_rethin, &QTimer::timeout, this, [this] {
        m_curves.thinToView(m_plot);
        m_plot->replot(QCustomPlot::rpQueuedReplot);
    });
    // A zoom or pan by the user holds the view while a run streams in; a double-click follows the
    // whole run again.
    connect(m_plot->xAxis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), this, [this] {
        if (m_updating)
            return;
        m_follow = false;
        m_rethin->start();
    });
    connect(m_plot, &QCustomPlot::mouseDoubleClick, this, [this] {
        m_follow = true;
        redrawNow();
    });
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_plot);
}

void TrainingChart::clear()
{
    m_plot->clearGraphs();
    m_graphs.clear();
    m_curves.clear();
    m_follow = true;
    m_smoothed.clear();
    m_order.clear();
    scheduleReplot();
}

bool TrainingChart::hasRun(qint64 key) const
{
    return m_order.contains(key);
}

QCPGraph* TrainingChart::graphFor(qint64 key, const QString& name, const QString& split,
                                  const QString& metric)
{
    const QString id = QStringLiteral("%1/%2/%3").arg(key).arg(split, metric);
    if (QCPGraph* g = m_graphs.value(id))
        return g;
    if (!m_order.contains(key))
        m_order << key;
    QCPGraph* g = m_plot->addGraph(m_plot->xAxis, onRightAxis(metric) ? m_plot->yAxis2
                                                                       : m_plot->yAxis);
    QPen pen(runColour(int(m_order.indexOf(key))));
    if (metric == kSmoothed) {
        pen.setWidthF(1.8);
    } else if (split == QLatin1String("train")) {
        pen.setWidthF(1.0);
        QColor c = pen.color();
        c.setAlpha(70); // the raw curve stays in the background of its smoothed trend
        pen.setColor(c);
        g->setAntialiased(false); // a faint 1 px background line: crisp enough, and cheaper
    } else {
        pen.setWidthF(2.0);
        pen.setStyle(metric == QLatin1String("loss")       ? Qt::DashLine
                     : metric == QLatin1String("accuracy") ? Qt::SolidLine
                                                           : Qt::DotLine);
        g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, 5));
    }
    g->setPen(pen);
    g->setName(QStringLiteral("%1: %2").arg(name, curveName(split, metric)));
    if (split == QLatin1String("train") && metric != kSmoothed)
        g->removeFromLegend(); // the smoothed curve names it; the legend stays short
    m_graphs.insert(id, g);
    return g;
}

void TrainingChart::setRun(qint64 key, const QString& name, const QList<MetricPoint>& points)
{
    for (auto it = m_graphs.begin(); it != m_graphs.end();) {
        if (it.key().startsWith(QStringLiteral("%1/").arg(key))) {
            m_curves.remove(it.value());
            m_plot->removeGraph(it.value());
            it = m_graphs.erase(it);
        } else {
            ++it;
        }
    }
    if (!m_order.contains(key))
        m_order << key;
    m_smoothed.remove(key);
    for (const MetricPoint& p : points)
        append(key, name, p);
    scheduleReplot();
}

void TrainingChart::addPoint(qint64 key, const QString& name, const MetricPoint& point)
{
    append(key, name, point);
    scheduleReplot();
}

void TrainingChart::append(qint64 key, const QString& name, const MetricPoint& p)
{
    if (!plotted(p.split, p.name) || !std::isfinite(p.value))
        return;
    m_curves.append(graphFor(key, name, p.split, p.name), QPointF(double(p.step), p.value));
    if (p.split == QLatin1String("train") && p.name == QLatin1String("loss")) {
        const auto it = m_smoothed.constFind(key);
        const double s = it == m_smoothed.constEnd() ? p.value : kLossSmoothing * *it + (1 - kLossSmoothing) * p.value;
        m_smoothed.insert(key, s);
        m_curves.append(graphFor(key, name, p.split, kSmoothed), QPointF(double(p.step), s));
    }
}

QByteArray TrainingChart::csv() const
{
    QByteArray csv = "curve,step,value\n";
    for (QCPGraph* g : std::as_const(m_graphs).values()) {
        const QString curve = csvField(g->name(), true);
        for (const QPointF& p : m_curves.points(g))
            csv += QStringLiteral("%1,%2,%3\n").arg(curve).arg(p.x()).arg(p.y(), 0, 'g', 10).toUtf8();
    }
    return csv;
}

bool TrainingChart::saveCsv(const QString& file) const
{
    return saveChartCsv(csv(), file);
}

QString TrainingChart::readoutAt(const QPoint& pos) const
{
    // Every curve's point nearest the cursor's step (of all its points, not the thinned ones
    // drawn), when it is within 12 pixels of the cursor.
    QStringList lines;
    const double x = m_plot->xAxis->pixelToCoord(pos.x());
    for (int i = 0; i < m_plot->graphCount(); ++i) {
        QCPGraph* g = m_plot->graph(i);
        const QList<QPointF> points = m_curves.points(g);
        if (points.isEmpty())
            continue;
        auto it = std::lower_bound(points.cbegin(), points.cend(), x,
                                   [](const QPointF& p, double v) { return p.x() < v; });
        if (it == points.cend() || (it != points.cbegin() && x - (it - 1)->x() < it->x() - x))
            --it;
        const double px = m_plot->xAxis->coordToPixel(it->x());
        const double py = g->valueAxis()->coordToPixel(it->y());
        if (std::hypot(px - pos.x(), py - pos.y()) <= 12)
            lines << tr("%1: %2 at step %3").arg(g->name()).arg(it->y(), 0, 'g', 4).arg(it->x());
    }
    return lines.join(QLatin1Char('\n'));
}

void TrainingChart::showReadout(const QPoint& pos)
{
    const QString text = readoutAt(pos);
    if (text.isEmpty())
        QToolTip::hideText();
    else
        QToolTip::showText(m_plot->mapToGlobal(pos), text, m_plot);
}

QVector<double> TrainingChart::values(qint64 key, const QString& split,
                                      const QString& metric) const
{
    QVector<double> out;
    if (QCPGraph* g = m_graphs.value(QStringLiteral("%1/%2/%3").arg(key).arg(split, metric)))
        for (const QPointF& p : m_curves.points(g))
            out << p.y();
    return out;
}

void TrainingChart::scheduleReplot()
{
    if (!m_replot->isActive())
        m_replot->start();
}

void TrainingChart::redrawNow()
{
    m_replot->stop();
    m_updating = true;
    if (m_follow)
        rescale();
    m_curves.thinToView(m_plot);
    m_updating = false;
    m_plot->replot();
}

// Loss starts at 0 so its fall is read in proportion; the right axis is always 0..1.
void TrainingChart::rescale()
{
    double x0 = 0, x1 = 0;
    if (!m_curves.xExtent(&x0, &x1))
        return;
    const double yMax = m_curves.maxLeftY(m_plot);
    m_plot->xAxis->setRange(x0, x1 > x0 ? x1 : x0 + 1);
    m_plot->yAxis->setRange(0, std::isfinite(yMax) && yMax > 0 ? yMax * 1.05 : 1);
    m_plot->yAxis2->setRange(0, 1.02);
}

} // namespace fts
