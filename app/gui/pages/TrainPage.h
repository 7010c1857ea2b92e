// The Train page: method, presets and the hyperparameter editor, checked against the project's
// data and chosen model and saved with the project.
#pragma once

#include <QWidget>

class QLabel;

namespace fts {

class HyperparameterEditor;
class Project;

class TrainPage : public QWidget
{
    Q_OBJECT
public:
    explicit TrainPage(QWidget* parent = nullptr);
    void setProject(Project* project);
    HyperparameterEditor* editor() const { return m_editor; }
    void applyPreset(const QString& name);
    // Validates against the data and the chosen model; returns true when the settings can run.
    bool check();
    bool save();
    QString checkText() const;

private:
    Project* m_project = nullptr;
    HyperparameterEditor* m_editor;
    QLabel* m_method;
    QLabel* m_check;
};

} // namespace fts
