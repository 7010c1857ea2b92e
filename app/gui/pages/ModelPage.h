// The Model page: choose a model folder (recent, downloaded, or any HF-layout folder), see what it
// is, download one from the recommended list, and pick the device and precision to run on; a
// second tab pre-trains a model on the user's own text.
#pragma once

#include <QWidget>

class QComboBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QTableWidget;

namespace fts {

class JobRunner;
class PretrainPanel;
class Project;

class ModelPage : public QWidget
{
    Q_OBJECT
public:
    explicit ModelPage(QWidget* parent = nullptr);
    void setContext(Project* project, JobRunner* jobs);
    // Shows the folder's inspection; returns false (with the reason on the page) when it is unusable.
    bool showModel(const QString& dir);
    // Starts the download of a Hub id into the models folder; returns the job id.
    int download(const QString& hubId);
    QString detailsText() const;
    void refreshLists();
    PretrainPanel* pretrainPanel() const { return m_pretrain; }

private:
    void useSelected();

    Project* m_project = nullptr;
    JobRunner* m_jobs = nullptr;
    QString m_shown;
    QListWidget* m_recent;
    QTableWidget* m_catalog;
    QLineEdit* m_hubId;
    QLabel* m_details;
    QTableWidget* m_layers;
    QComboBox* m_device;
    QComboBox* m_precision;
    QLabel* m_chosen;
    PretrainPanel* m_pretrain;
};

} // namespace fts
