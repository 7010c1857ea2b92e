// The Train page's settings for the decoder templates (chat and summarization fine-tuning): which
// JSONL file to learn from and which decoder to tune. The hyperparameters stay in the page's editor.
#pragma once

#include <QWidget>

class QComboBox;
class QLineEdit;

namespace fts {

class Project;

class SftTaskPanel : public QWidget
{
    Q_OBJECT
public:
    explicit SftTaskPanel(QWidget* parent = nullptr);
    // Restores the project's last choices; the data file defaults to the template's file beside
    // the project (the sample project has chat.jsonl and summaries.jsonl), the model to the first
    // local decoder.
    void setProject(Project* project, const QString& task);
    void save(Project& project, const QString& task) const;
    QString dataFile() const;
    QString modelDir() const;
    void setDataFile(const QString& file);
    void setModelDir(const QString& dir);
    // Training records in the file (split "train" or none) for `task`; throws fts::Error naming the
    // line that cannot be read, or saying the file or the model is missing.
    qint64 trainRecords(const QString& task) const;
    void reloadModels();

Q_SIGNALS:
    void modelChanged();

private:
    QLineEdit* m_data;
    QComboBox* m_model;
};

} // namespace fts
