// Drawn with QCPColorMap; the diagonal reads top-left to bottom-right like the tables users know.
#include "ConfusionMatrixWidget.h"

#include "ChartExport.h"
#include "data/CsvField.h"

#include <QVBoxLayout>
#include <qcustomplot.h>

namespace fts {

ConfusionMatrixWidget::ConfusionMatrixWidget(QWidget* parent) : QWidget(parent), m_plot(new QCustomPlot(this))
{
    setObjectName(QStringLiteral("confusionMatrix"));
    setMinimumSize(240, 240);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_plot);
    m_plot->xAxis->setLabel(tr("predicted"));
    m_plot->yAxis->setLabel(tr("true label"));
    m_plot->yAxis->setRangeReversed(true);
    addChartExportMenu(m_plot, QStringLiteral("confusion-matrix"), [this] {
        QByteArray csv = "true,predicted,count\n";
        for (int t = 0; t < m_counts.size(); ++t)
            for (int p = 0; p < m_counts[t].size(); ++p)
                csv += QStringLiteral("%1,%2,%3\n")
                           .arg(csvField(m_labels.value(t), true), csvField(m_labels.value(p), true),
                                QString::number(m_counts[t][p]))
                           .toUtf8();
        return csv;
    });
    connect(m_plot, &QCustomPlot::mousePress, this, [this](QMouseEvent* e) {
        if (e->button() != Qt::LeftButton)
            return; // the right button opens the save menu
        const auto [t, p] = cellAt(e->pos());
        if (t >= 0)
            Q_EMIT cellClicked(t, p);
    });
}

void ConfusionMatrixWidget::setMatrix(const QStringList& labels, const QList<QList<qint64>>& counts)
{
    m_plot->clearPlottables();
    m_plot->clearItems();
    m_labels = labels;
    m_counts = counts;
    const int size = int(labels.size());
    if (size == 0) {
        m_plot->replot();
        return;
    }
    auto* map = new QCPColorMap(m_plot->xAxis, m_plot->yAxis);
    map->data()->setSize(size, size);
    map->data()->setRange(QCPRange(0, size - 1), QCPRange(0, size - 1));
    qint64 top = 1;
    for (int t = 0; t < size; ++t) {
        qint64 rowTotal = 0;
        for (int p = 0; p < size; ++p)
            rowTotal += counts[t][p];
        for (int p = 0; p < size; ++p) {
            // Colour by the share of the true class, so rare classes stay readable.
            map->data()->setCell(p, t, rowTotal ? double(counts[t][p]) / double(rowTotal) : 0.0);
            top = std::max(top, counts[t][p]);
            auto* text = new QCPItemText(m_plot);
            text->position->setCoords(p, t);
            text->setText(QString::number(counts[t][p]));
            text->setColor(rowTotal && double(counts[t][p]) / double(rowTotal) > 0.5 ? Qt::white : Qt::black);
        }
    }
    QCPColorGradient gradient(QCPColorGradient::gpGrayscale);
    gradient = gradient.inverted();
    map->setGradient(gradient);
    map->setDataRange(QCPRange(0, 1));
    map->setInterpolate(false);
    QSharedPointer<QCPAxisTickerText> ticks(new QCPAxisTickerText);
    for (int i = 0; i < size; ++i)
        ticks->addTick(i, labels[i]);
    m_plot->xAxis->setTicker(ticks);
    m_plot->yAxis->setTicker(ticks);
    m_plot->xAxis->setRange(-0.5, size - 0.5);
    m_plot->yAxis->setRange(-0.5, size - 0.5);
    m_plot->replot();
}

QPair<int, int> ConfusionMatrixWidget::cellAt(const QPoint& pos) const
{
    const int size = int(m_labels.size());
    if (size == 0)
        return {-1, -1};
    const int p = qRound(m_plot->xAxis->pixelToCoord(pos.x()));
    const int t = qRound(m_plot->yAxis->pixelToCoord(pos.y()));
    if (p < 0 || t < 0 || p >= size || t >= size)
        return {-1, -1};
    return {t, p};
}

} // namespace fts
