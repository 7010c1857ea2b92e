#include "MetricPanelsChart.h"

#include "ChartExport.h"

#include <QFile>
#include <QGridLayout>
#include <QTextStream>
#include <QTimer>

#include <qcustomplot.h>

namespace fts {
namespace {

constexpr int kPanelReplotMs = 150;

// Validation curves are drawn as dots joined by dashes: they have few points, far apart.
QPen penFor(int index, const QString& split)
{
    static const QList<QColor> colours = {QColor(0x1f, 0x77, 0xb4), QColor(0xd6, 0x27, 0x28),
                                          QColor(0x2c, 0xa0, 0x2c), QColor(0x94, 0x67, 0xbd)};
    QPen pen(colours[index % colours.size()], split == QLatin1String("val") ? 2 : 1.5);
    if (split == QLatin1String("val"))
        pen.setStyle(Qt::DashLine);
    return pen;
}

QString key(const QString& split, const QString& metric)
{
    return split + QLatin1Char('/') + metric;
}

} // namespace

MetricPanelsChart::MetricPanelsChart(QWidget* parent)
    : QWidget(parent), m_grid(new QGridLayout(this)), m_replot(new QTimer(this))
{
    setObjectName(QStringLiteral("metricPanelsChart"));
    m_grid->setContentsMargins(0, 0, 0, 0);
    m_grid->setSpacing(4);
    m_replot->setSingleShot(true);
    m_replot->setInterval(kPanelReplotMs);
    connect(m_replot, &QTimer::timeout, this, [this] {
        for (int i = 0; i < m_plots.size(); ++i) {
            m_plots[i]->rescaleAxes();
            if (m_unit.value(i))
                m_plots[i]->yAxis->setRange(-0.02, 1.02);
            m_plots[i]->replot(QCustomPlot::rpQueuedReplot);
        }
    });
}

void MetricPanelsChart::setPanels(const QList<MetricPanel>& panels, int columns)
{
    for (QCustomPlot* plot : m_plots)
        delete plot;
    m_plots.clear();
    m_unit.clear();
    m_graphs.clear();
    for (int i = 0; i < panels.size(); ++i) {
        const MetricPanel& panel = panels[i];
        auto* plot = new QCustomPlot(this);
        plot->setMinimumSize(180, 150);
        plot->plotLayout()->insertRow(0);
        auto* title = new QCPTextElement(plot, panel.title, QFont(font().family(), font().pointSize(), QFont::Bold));
        plot->plotLayout()->addElement(0, 0, title);
        plot->xAxis->setLabel(tr("step"));
        plot->yAxis->ticker()->setTickCount(4);
        plot->xAxis->ticker()->setTickCount(4);
        plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
        plot->setToolTip(panel.tip);
        addChartExportMenu(plot, panel.title.toLower().replace(QLatin1Char(' '), QLatin1Char('-')));
        plot->legend->setVisible(panel.curves.size() > 1);
        plot->legend->setFont(QFont(font().family(), qMax(6, font().pointSize() - 2)));
        plot->legend->setBrush(QColor(255, 255, 255, 200));
        for (int c = 0; c < panel.curves.size(); ++c) {
            const MetricCurve& curve = panel.curves[c];
            QCPGraph* g = plot->addGraph();
            g->setName(curve.label);
            g->setPen(penFor(c, curve.split));
            if (curve.split == QLatin1String("val"))
                g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, 5));
            m_graphs.insert(key(curve.split, curve.metric), g);
        }
        m_grid->addWidget(plot, i / columns, i % columns);
        m_plots << plot;
        m_unit << panel.unitInterval;
    }
}

void MetricPanelsChart::clear()
{
    for (QCPGraph* g : std::as_const(m_graphs))
        g->data()->clear();
    scheduleReplot();
}

void MetricPanelsChart::addPoint(const MetricPoint& p)
{
    const auto range = m_graphs.equal_range(key(p.split, p.name));
    for (auto it = range.first; it != range.second; ++it)
        it.value()->addData(double(p.step), p.value);
    if (range.first != range.second)
        scheduleReplot();
}

QVector<double> MetricPanelsChart::values(const QString& split, const QString& metric) const
{
    QVector<double> out;
    if (const QCPGraph* g = m_graphs.value(key(split, metric)))
        for (auto it = g->data()->constBegin(); it != g->data()->constEnd(); ++it)
            out << it->value;
    return out;
}

bool MetricPanelsChart::saveCsv(const QString& file) const
{
    QFile f(file);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return false;
    QTextStream out(&f);
    out << "curve,step,value\n";
    for (auto it = m_graphs.constBegin(); it != m_graphs.constEnd(); ++it)
        for (auto p = it.value()->data()->constBegin(); p != it.value()->data()->constEnd(); ++p)
            out << it.key() << ',' << p->key << ',' << QString::number(p->value, 'g', 10) << '\n';
    return f.error() == QFileDevice::NoError;
}

void MetricPanelsChart::scheduleReplot()
{
    if (!m_replot->isActive())
        m_replot->start();
}

} // namespace fts
