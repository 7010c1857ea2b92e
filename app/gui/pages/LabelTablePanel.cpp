// A QSqlQueryModel over rows with their gold and own labels; sorting is an ORDER BY, so it works on
// any number of rows without loading them into widgets.
#include "LabelTablePanel.h"

#include "BrowseQuery.h"

#include "Error.h"
#include "label/Labeling.h"
#include "project/Project.h"

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSqlQuery>
#include <QSqlQueryModel>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <iterator>

namespace fts {
namespace {
// Sort expressions by column of the outer SELECT.
const char* const kSortColumns[] = {"\"#\"", "\"Text\"", "gold", "mine", "flagged", "\"Split\"",
                                    "opinions", "\"Who said what\"", "suggested", "confidence"};
constexpr int kLastSortColumn = int(std::size(kSortColumns)) - 1;
// Suggestions live in a TEMP table: the connection's own scratch space, never the project file,
// so sorting by confidence stays an ORDER BY (and works on read-only projects).
const char* const kCreateSuggestions =
    "CREATE TEMP TABLE IF NOT EXISTS fts_suggestions (row_id INTEGER PRIMARY KEY, suggested TEXT, "
    "confidence REAL)";
} // namespace

LabelTablePanel::LabelTablePanel(QWidget* parent)
    : QWidget(parent), m_search(new QLineEdit(this)), m_filter(new QComboBox(this)), m_table(new QTableView(this)),
      m_model(new QSqlQueryModel(this)), m_assign(new QHBoxLayout), m_adjudicate(new QCheckBox(tr("as adjudicator"), this)), m_status(new QLabel(this)),
      m_delay(new QTimer(this))
{
    setObjectName(QStringLiteral("labelTablePanel"));
    m_search->setPlaceholderText(tr("Search text"));
    m_search->setClearButtonEnabled(true);
    m_delay->setSingleShot(true);
    m_delay->setInterval(kSearchDelayMs);
    connect(m_search, &QLineEdit::textChanged, m_delay, qOverload<>(&QTimer::start));
    connect(m_delay, &QTimer::timeout, this, &LabelTablePanel::requery);
    connect(m_filter, &QComboBox::currentIndexChanged, this, &LabelTablePanel::requery);
    m_table->setObjectName(QStringLiteral("labelTable"));
    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_table->setSortingEnabled(false);
    m_table->verticalHeader()->setVisible(false);
    m_table->horizontalHeader()->setSortIndicatorShown(true);
    m_table->horizontalHeader()->setSectionsClickable(true);
    connect(m_table->horizontalHeader(), &QHeaderView::sortIndicatorChanged, this, [this](int column, Qt::SortOrder order) {
        m_sortColumn = column;
        m_sortOrder = order;
        requery();
    });
    auto* top = new QHBoxLayout;
    top->addWidget(m_search, 1);
    top->addWidget(m_filter);
    auto* bottom = new QHBoxLayout;
    bottom->addWidget(new QLabel(tr("Set selected rows to:"), this));
    bottom->addLayout(m_assign);
    m_adjudicate->setObjectName(QStringLiteral("adjudicate"));
    m_adjudicate->setToolTip(tr("Decide disagreements: your choice is recorded as the adjudicator's and becomes the label used for training."));
    bottom->addWidget(m_adjudicate);
    bottom->addStretch(1);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(m_table, 1);
    layout->addLayout(bottom);
    layout->addWidget(m_status);
}

void LabelTablePanel::setContext(Project* project, const LabelSchema& schema, std::function<QString()> annotator)
{
    m_project = project;
    m_schema = schema;
    m_annotator = std::move(annotator);
    {
        const QSignalBlocker block(m_filter);
        m_filter->clear();
        m_filter->addItem(tr("All rows"), QStringLiteral("all"));
        m_filter->addItem(tr("Unlabeled"), QStringLiteral("unlabeled"));
        m_filter->addItem(tr("Flagged"), QStringLiteral("flagged"));
        m_filter->addItem(tr("Annotators disagree"), QStringLiteral("disagree"));
        for (const LabelDef& l : m_schema.labels)
            m_filter->addItem(tr("Labeled %1").arg(l.name), QStringLiteral("label:") + l.name);
    }
    while (QLayoutItem* item = m_assign->takeAt(0)) {
        delete item->widget();
        delete item;
    }
    for (int i = 0; i < m_schema.labels.size(); ++i) {
        auto* b = new QPushButton(m_schema.labels[i].name, this);
        b->setObjectName(QStringLiteral("assign%1").arg(i));
        b->setStyleSheet(QStringLiteral("QPushButton { border-left: 6px solid %1; }").arg(m_schema.labels[i].color));
        connect(b, &QPushButton::clicked, this, [this, i] { assignToSelection(i); });
        m_assign->addWidget(b);
    }
    requery();
}

void LabelTablePanel::setFilter(const QString& filter)
{
    m_filter->setCurrentIndex(std::max(0, m_filter->findData(filter)));
    requery();
}

void LabelTablePanel::setAdjudicating(bool on)
{
    m_adjudicate->setChecked(on);
}

void LabelTablePanel::setSearch(const QString& text)
{
    m_search->setText(text);
    requery();
}

int LabelTablePanel::rowCount() const
{
    return m_model->rowCount();
}

void LabelTablePanel::requery()
{
    if (!m_project)
        return;
    QSqlQuery(m_project->browseDb()).exec(QLatin1String(kCreateSuggestions));
    const QString task = m_schema.task;
    const QString annotator = m_annotator ? m_annotator() : QString();
    QString sql = QStringLiteral(
        "SELECT r.id AS \"#\", r.text AS \"Text\", "
        " (SELECT value FROM labels l WHERE l.row_id = r.id AND l.task = :task AND l.superseded_at IS NULL "
        "  ORDER BY l.annotator = 'adjudicator' DESC, l.created_at DESC, l.id DESC LIMIT 1) AS gold, "
        " (SELECT value FROM labels l WHERE l.row_id = r.id AND l.task = :task2 AND l.annotator = :me AND l.superseded_at IS NULL) AS mine, "
        " COALESCE((SELECT flagged FROM label_notes n WHERE n.row_id = r.id AND n.task = :task3 AND n.annotator = :me2), 0) AS flagged, "
        " COALESCE(r.split, '') AS \"Split\", "
        " (SELECT COUNT(DISTINCT value) FROM labels l WHERE l.row_id = r.id AND l.task = :task4 AND l.superseded_at IS NULL "
        "  AND l.annotator != 'adjudicator') AS opinions, "
        " (SELECT group_concat(annotator || ': ' || value, '; ') FROM labels l WHERE l.row_id = r.id AND l.task = :task5 "
        "  AND l.superseded_at IS NULL) AS \"Who said what\", "
        " s.suggested AS suggested, s.confidence AS confidence "
        "FROM rows r LEFT JOIN temp.fts_suggestions s ON s.row_id = r.id "
        "WHERE r.removed_by_step IS NULL");
    const QString filter = m_filter->currentData().toString();
    QString wrapped = QStringLiteral("SELECT * FROM (%1) WHERE 1").arg(sql);
    if (filter == QLatin1String("unlabeled"))
        wrapped += QStringLiteral(" AND gold IS NULL");
    else if (filter == QLatin1String("flagged"))
        wrapped += QStringLiteral(" AND flagged = 1");
    else if (filter == QLatin1String("disagree"))
        wrapped += QStringLiteral(" AND opinions > 1");
    else if (filter.startsWith(QLatin1String("label:")))
        wrapped += QStringLiteral(" AND gold = :label");
    if (!m_search->text().trimmed().isEmpty())
        wrapped += QStringLiteral(" AND \"Text\" LIKE :needle ESCAPE '\\'");
    const int column = std::clamp(m_sortColumn, 0, kLastSortColumn);
    wrapped += QStringLiteral(" ORDER BY %1 %2").arg(QLatin1String(kSortColumns[column]),
                                                    m_sortOrder == Qt::AscendingOrder ? QStringLiteral("ASC") : QStringLiteral("DESC"));
    QSqlQuery q(m_project->browseDb());
    q.prepare(wrapped);
    q.bindValue(QStringLiteral(":task"), task);
    q.bindValue(QStringLiteral(":task2"), task);
    q.bindValue(QStringLiteral(":task3"), task);
    q.bindValue(QStringLiteral(":task4"), task);
    q.bindValue(QStringLiteral(":task5"), task);
    q.bindValue(QStringLiteral(":me"), annotator);
    q.bindValue(QStringLiteral(":me2"), annotator);
    if (filter.startsWith(QLatin1String("label:")))
        q.bindValue(QStringLiteral(":label"), filter.mid(6));
    if (!m_search->text().trimmed().isEmpty()) {
        QString escaped = m_search->text().trimmed();
        escaped.replace('\\', QLatin1String("\\\\")).replace('%', QLatin1String("\\%")).replace('_', QLatin1String("\\_"));
        q.bindValue(QStringLiteral(":needle"), QStringLiteral("%%1%").arg(escaped));
    }
    runBrowseQuery(m_model, std::move(q));
    m_model->setHeaderData(2, Qt::Horizontal, tr("Label"));
    m_model->setHeaderData(3, Qt::Horizontal, tr("Yours"));
    m_model->setHeaderData(4, Qt::Horizontal, tr("Flag"));
    m_model->setHeaderData(8, Qt::Horizontal, tr("Model says"));
    m_model->setHeaderData(9, Qt::Horizontal, tr("Confidence"));
    m_table->setColumnHidden(6, true); // "opinions" only drives the disagreement filter
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setSectionResizeMode(1, QHeaderView::Stretch);
}

void LabelTablePanel::setSuggestions(const QHash<qint64, std::vector<double>>& byRow,
                                     const QStringList& labels)
{
    if (!m_project)
        return;
    QSqlDatabase& db = m_project->browseDb();
    QSqlQuery q(db);
    q.exec(QLatin1String(kCreateSuggestions));
    db.transaction();
    q.exec(QStringLiteral("DELETE FROM temp.fts_suggestions"));
    q.prepare(QStringLiteral("INSERT INTO temp.fts_suggestions VALUES (?, ?, ?)"));
    for (auto it = byRow.cbegin(); it != byRow.cend(); ++it) {
        const std::vector<double>& p = it.value();
        if (p.empty() || p.size() > size_t(labels.size()))
            continue;
        const auto best = std::max_element(p.begin(), p.end()) - p.begin();
        q.addBindValue(it.key());
        q.addBindValue(labels[best]);
        q.addBindValue(std::round(p[size_t(best)] * 1000.0) / 1000.0);
        q.exec();
    }
    db.commit();
    requery();
}

int LabelTablePanel::assignToSelection(int labelIndex)
{
    if (!m_project || labelIndex < 0 || labelIndex >= m_schema.labels.size())
        return 0;
    QList<LabelAssignment> labels;
    for (const QModelIndex& index : m_table->selectionModel()->selectedRows(0))
        labels.append({index.data().toLongLong(), m_schema.task, m_schema.labels[labelIndex].name,
                       m_adjudicate->isChecked() ? QStringLiteral("adjudicator") : m_annotator()});
    try {
        setLabels(*m_project, labels); // one transaction for the whole selection
    } catch (const Error& e) {
        m_status->setText(QStringLiteral("<span style='color:#b00020'>%1</span>").arg(e.message().toHtmlEscaped()));
        return 0;
    }
    m_status->setText(tr("Labeled %1 rows '%2'.").arg(labels.size()).arg(m_schema.labels[labelIndex].name));
    requery();
    Q_EMIT labelsChanged();
    return int(labels.size());
}

} // namespace fts
