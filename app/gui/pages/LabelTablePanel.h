// The Label page's table mode: filter and search rows, select many, assign a label to all at once.
#pragma once

#include "label/LabelSchema.h"

#include <QHash>
#include <QWidget>

#include <vector>

class QCheckBox;
class QComboBox;
class QHBoxLayout;
class QLabel;
class QLineEdit;
class QSqlQueryModel;
class QTableView;
class QTimer;

namespace fts {

class Project;

class LabelTablePanel : public QWidget
{
    Q_OBJECT
public:
    explicit LabelTablePanel(QWidget* parent = nullptr);
    // The annotator is read through the callback so the card mode's field stays the one source.
    void setContext(Project* project, const LabelSchema& schema, std::function<QString()> annotator);
    void requery();
    QTableView* table() const { return m_table; }
    int rowCount() const;
    // Labels every selected row; returns how many were labeled.
    int assignToSelection(int labelIndex);
    void setFilter(const QString& filter); // "all", "unlabeled", "flagged", "disagree", or "label:<name>"
    void setAdjudicating(bool on);
    void setSearch(const QString& text);
    // The model's suggestion and its probability per row (labels: the order of every vector), shown
    // as sortable columns; an empty map clears them.
    void setSuggestions(const QHash<qint64, std::vector<double>>& byRow, const QStringList& labels);

Q_SIGNALS:
    void labelsChanged();

private:
    Project* m_project = nullptr;
    LabelSchema m_schema;
    std::function<QString()> m_annotator;
    QLineEdit* m_search;
    QComboBox* m_filter;
    QTableView* m_table;
    QSqlQueryModel* m_model;
    QHBoxLayout* m_assign;
    QCheckBox* m_adjudicate;
    QLabel* m_status;
    QTimer* m_delay;
    int m_sortColumn = 0;
    Qt::SortOrder m_sortOrder = Qt::AscendingOrder;
};

} // namespace fts
