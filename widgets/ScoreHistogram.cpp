#include "ScoreHistogram.h"

#include "ChartExport.h"

#include <QVBoxLayout>

#include <qcustomplot.h>

#include <algorithm>

namespace fts {

ScoreHistogram::ScoreHistogram(QWidget* parent) : QWidget(parent), m_plot(new QCustomPlot(this))
{
    setObjectName(QStringLiteral("scoreHistogram"));
    m_plot->plotLayout()->insertRow(0);
    m_plot->plotLayout()->addElement(
        0, 0, new QCPTextElement(m_plot, tr("Scores of held-out answers"), QFont(font().family(), font().pointSize(), QFont::Bold)));
    m_plot->xAxis->setLabel(tr("reward score"));
    m_plot->yAxis->setLabel(tr("answers"));
    m_first = new QCPBars(m_plot->xAxis, m_plot->yAxis);
    m_second = new QCPBars(m_plot->xAxis, m_plot->yAxis);
    m_first->setPen(QPen(QColor(0x1f, 0x77, 0xb4)));
    m_first->setBrush(QColor(0x1f, 0x77, 0xb4, 110));
    m_second->setPen(QPen(QColor(0xd6, 0x27, 0x28)));
    m_second->setBrush(QColor(0xd6, 0x27, 0x28, 110));
    m_plot->legend->setVisible(true);
    m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    addChartExportMenu(m_plot, QStringLiteral("reward-distribution"));
    setMinimumHeight(170);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_plot);
}

void ScoreHistogram::setScores(const std::vector<double>& first, const std::vector<double>& second,
                               const QString& firstName, const QString& secondName, int bins)
{
    clear();
    m_first->setName(firstName);
    m_second->setName(secondName);
    if (first.empty() && second.empty())
        return;
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (const auto* v : {&first, &second})
        for (double x : *v) {
            lo = std::min(lo, x);
            hi = std::max(hi, x);
        }
    if (hi - lo < 1e-9) {
        lo -= 0.5;
        hi += 0.5;
    }
    bins = std::max(1, bins);
    const double width = (hi - lo) / bins;
    QVector<double> centres(bins), a(bins, 0), b(bins, 0);
    for (int i = 0; i < bins; ++i)
        centres[i] = lo + (i + 0.5) * width;
    const auto bin = [&](double x) { return std::clamp(int((x - lo) / width), 0, bins - 1); };
    for (double x : first)
        a[bin(x)] += 1;
    for (double x : second)
        b[bin(x)] += 1;
    m_first->setWidth(width);
    m_second->setWidth(width);
    m_first->setData(centres, a, true);
    m_second->setData(centres, b, true);
    m_plot->rescaleAxes();
    m_plot->yAxis->setRangeLower(0);
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void ScoreHistogram::clear()
{
    m_first->data()->clear();
    m_second->data()->clear();
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

QVector<double> ScoreHistogram::counts(int series) const
{
    QVector<double> out;
    const QCPBars* bars = series == 0 ? m_first : m_second;
    for (auto it = bars->data()->constBegin(); it != bars->data()->constEnd(); ++it)
        out << it->value;
    return out;
}

} // namespace fts
