// Two distributions of scores on one axis, e.g. a reward model's scores of the preferred and the
// other answer of held-out pairs: well apart means the model tells them apart.
#pragma once

#include <QString>
#include <QWidget>

#include <vector>

class QCustomPlot;
class QCPBars;

namespace fts {

class ScoreHistogram : public QWidget
{
    Q_OBJECT
public:
    explicit ScoreHistogram(QWidget* parent = nullptr);
    // Replaces both series; `bins` equal-width bins over the range of all scores.
    void setScores(const std::vector<double>& first, const std::vector<double>& second,
                   const QString& firstName, const QString& secondName, int bins = 20);
    void clear();
    // Counts per bin of each series, for tests and CSV export.
    QVector<double> counts(int series) const;
    QCustomPlot* plot() const { return m_plot; }

private:
    QCustomPlot* m_plot;
    QCPBars* m_first;
    QCPBars* m_second;
};

} // namespace fts
