// The Evaluate page: a predictor's metrics on a split, the confusion matrix (click a cell to list
// those rows), per-class precision/recall/F1 bars, and the errors sorted by confidence with relabel.
#pragma once

#include "train/Evaluation.h"

#include <QWidget>

class QComboBox;
class QCustomPlot;
class QLabel;
class QTableWidget;

namespace fts {

class ConfusionMatrixWidget;
class Project;

class EvaluatePage : public QWidget
{
    Q_OBJECT
public:
    explicit EvaluatePage(QWidget* parent = nullptr);
    void setProject(Project* project);
    // Evaluates the chosen predictor on the chosen split; false with the reason shown on failure.
    bool evaluate();
    // Shows only the rows with this (true, predicted) pair; (-1, -1) shows every error.
    void filterErrors(int truth, int predicted);
    // Gives the selected error row its correct label (recorded in the label history).
    bool relabelSelected(const QString& label, const QString& annotator);
    QString summaryText() const;
    QTableWidget* errorTable() const { return m_errors; }
    ConfusionMatrixWidget* confusion() const { return m_confusion; }

protected:
    void keyPressEvent(QKeyEvent* event) override;

private:
    void drawClassBars();

    Project* m_project = nullptr;
    Evaluation m_evaluation;
    QComboBox* m_split;
    QLabel* m_summary;
    ConfusionMatrixWidget* m_confusion;
    QCustomPlot* m_bars;
    QTableWidget* m_errors;
};

} // namespace fts
