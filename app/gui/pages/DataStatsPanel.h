// Statistics of the project's data: label distribution per split, text lengths, duplicates, imbalance.
#pragma once

#include <QWidget>

class QCustomPlot;
class QLabel;

namespace fts {

class Project;

class DataStatsPanel : public QWidget
{
    Q_OBJECT
public:
    explicit DataStatsPanel(QWidget* parent = nullptr);
    void refresh(Project* project);
    QString warningText() const;
    QString factsText() const;

private:
    void drawLabels(Project& project);
    void drawLengths(Project& project);

    QCustomPlot* m_labels;
    QCustomPlot* m_lengths;
    QLabel* m_facts;
    QLabel* m_warning;
};

} // namespace fts
