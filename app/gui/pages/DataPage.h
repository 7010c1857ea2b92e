// The Data page: what the project holds (rows per split, labels) and a searchable table of rows.
#pragma once

#include <QWidget>

class QComboBox;
class QLabel;
class QLineEdit;
class QSqlQueryModel;
class QTableView;
class QTimer;
class QTabWidget;

namespace fts {

class CurationPanel;
class DataStatsPanel;
class JobRunner;
class Project;

class DataPage : public QWidget
{
    Q_OBJECT
public:
    explicit DataPage(QWidget* parent = nullptr);
    // The GUI thread's connection; the page only reads through it.
    void setProject(Project* project);
    void setJobRunner(JobRunner* jobs);
    CurationPanel* curationPanel() const { return m_curation; }
    DataStatsPanel* statsPanel() const { return m_stats; }
    void refresh();
    QTableView* table() const { return m_table; }
    int loadedRowCount() const;

Q_SIGNALS:
    void importRequested();

private:
    void requery();

    Project* m_project = nullptr;
    QLabel* m_summary;
    QLineEdit* m_search;
    QComboBox* m_split;
    QTableView* m_table;
    QSqlQueryModel* m_model;
    QTimer* m_searchDelay;
    QTabWidget* m_tools;
    CurationPanel* m_curation;
    DataStatsPanel* m_stats;
    JobRunner* m_jobs = nullptr;
};

} // namespace fts
