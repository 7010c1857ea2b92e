// Editing a labeling task's schema: names, keys, colours, descriptions, guidelines, presets.
#pragma once

#include "label/LabelSchema.h"

#include <QDialog>

class QCheckBox;
class QLabel;
class QPlainTextEdit;
class QTableWidget;

namespace fts {

class Project;

class LabelSchemaDialog : public QDialog
{
    Q_OBJECT
public:
    LabelSchemaDialog(Project& project, const QString& task, QWidget* parent = nullptr);
    void applyPreset(const QString& name);
    LabelSchema schema() const;
    // Validates and saves; false (with the reason shown) when the schema is not valid.
    bool save();
    QString errorText() const;

private:
    void load(const LabelSchema& schema);

    Project& m_project;
    QString m_task;
    QTableWidget* m_labels;
    QPlainTextEdit* m_guidelines;
    QCheckBox* m_multi;
    QLabel* m_error;
};

} // namespace fts
