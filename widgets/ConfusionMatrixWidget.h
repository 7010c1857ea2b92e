// A confusion-matrix heat map (rows = true label, columns = predicted) with counts in the cells;
// clicking a cell reports it so a page can list those examples.
#pragma once

#include <QStringList>
#include <QWidget>

class QCustomPlot;

namespace fts {

class ConfusionMatrixWidget : public QWidget
{
    Q_OBJECT
public:
    explicit ConfusionMatrixWidget(QWidget* parent = nullptr);
    void setMatrix(const QStringList& labels, const QList<QList<qint64>>& counts);
    // The cell under a widget position, or {-1, -1}.
    QPair<int, int> cellAt(const QPoint& pos) const;
    QCustomPlot* plot() const { return m_plot; }

Q_SIGNALS:
    void cellClicked(int trueIndex, int predictedIndex);

private:
    QCustomPlot* m_plot;
    QStringList m_labels; // as shown, for cell clicks and the CSV
    QList<QList<qint64>> m_counts;
};

} // namespace fts
