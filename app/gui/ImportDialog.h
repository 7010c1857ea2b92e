// File > Import: choose a file, see a preview, confirm the column roles, then import on the engine.
#pragma once

#include "data/Importer.h"

#include <QDialog>

class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QCheckBox;
class QTableWidget;

namespace fts {

class ImportDialog : public QDialog
{
    Q_OBJECT
public:
    explicit ImportDialog(QWidget* parent = nullptr);

    // Loads the preview for `path` (also what Browse… does); errors show inside the dialog.
    void setFile(const QString& path);
    ImportOptions options() const;
    bool hasValidPreview() const { return m_preview.has_value(); }
    QString errorText() const;

private:
    void reloadPreview();
    void updateMapping();
    void updateLabelMapping();

    QLineEdit* m_path;
    QComboBox* m_format;
    QComboBox* m_encoding;
    QTableWidget* m_previewTable;
    QComboBox* m_text;
    QListWidget* m_labels;
    QComboBox* m_split;
    QTableWidget* m_mapping;
    QCheckBox* m_redact;
    QLabel* m_detected;
    QLabel* m_error;
    QDialogButtonBox* m_buttons;
    std::optional<TablePreview> m_preview;
};

} // namespace fts
