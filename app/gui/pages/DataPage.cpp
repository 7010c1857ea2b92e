// Rows are shown through QSqlQueryModel, which fetches on demand: never all rows in widgets.
#include "DataPage.h"

#include "BrowseQuery.h"

#include "CurationPanel.h"
#include "DataStatsPanel.h"
#include "project/Project.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSqlError>
#include <QSqlQuery>
#include <QSqlQueryModel>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

namespace fts {
namespace {

QString quoteIdentifier(const QString& name)
{
    return QStringLiteral("\"%1\"").arg(QString(name).replace('"', QLatin1String("\"\"")));
}
} // namespace

DataPage::DataPage(QWidget* parent)
    : QWidget(parent), m_summary(new QLabel(this)), m_search(new QLineEdit(this)),
      m_split(new QComboBox(this)), m_table(new QTableView(this)), m_model(new QSqlQueryModel(this)),
      m_searchDelay(new QTimer(this)), m_tools(new QTabWidget(this)), m_curation(new CurationPanel(this)),
      m_stats(new DataStatsPanel(this))
{
    setObjectName(QStringLiteral("dataPage"));
    m_summary->setObjectName(QStringLiteral("dataSummary"));
    m_summary->setTextFormat(Qt::RichText);
    m_summary->setWordWrap(true);

    m_search->setObjectName(QStringLiteral("dataSearch"));
    m_search->setPlaceholderText(tr("Search text (Ctrl+F)"));
    m_search->setClearButtonEnabled(true);
    m_split->setObjectName(QStringLiteral("dataSplitFilter"));
    m_split->addItem(tr("All splits"), QString());
    m_split->addItem(tr("Train"), QStringLiteral("train"));
    m_split->addItem(tr("Validation"), QStringLiteral("val"));
    m_split->addItem(tr("Test"), QStringLiteral("test"));
    m_split->addItem(tr("No split"), QStringLiteral("-"));
    auto* importButton = new QPushButton(tr("Import…"), this);
    importButton->setToolTip(tr("Add rows from a CSV or TSV file (Ctrl+I)."));
    connect(importButton, &QPushButton::clicked, this, &DataPage::importRequested);

    m_searchDelay->setSingleShot(true);
    m_searchDelay->setInterval(kSearchDelayMs);
    connect(m_search, &QLineEdit::textChanged, m_searchDelay, qOverload<>(&QTimer::start));
    connect(m_searchDelay, &QTimer::timeout, this, &DataPage::requery);
    connect(m_split, &QComboBox::currentIndexChanged, this, &DataPage::requery);

    m_table->setObjectName(QStringLiteral("dataTable"));
    m_table->setModel(m_model);
    m_table->setAlternatingRowColors(true);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setWordWrap(false);
    m_table->verticalHeader()->setVisible(false);
    m_table->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 8);
    m_table->horizontalHeader()->setHighlightSections(false);

    auto* filters = new QHBoxLayout;
    filters->addWidget(m_search, 1);
    filters->addWidget(m_split);
    filters->addWidget(importButton);
    auto* rowsSide = new QWidget(this);
    auto* rowsLayout = new QVBoxLayout(rowsSide);
    rowsLayout->setContentsMargins(0, 0, 0, 0);
    rowsLayout->addWidget(m_summary);
    rowsLayout->addLayout(filters);
    rowsLayout->addWidget(m_table, 1);
    m_tools->addTab(m_curation, tr("Clean"));
    m_tools->addTab(m_stats, tr("Statistics"));
    auto* splitter = new QSplitter(this);
    splitter->addWidget(rowsSide);
    splitter->addWidget(m_tools);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 1);
    splitter->setSizes({700, 340});
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(splitter);
    connect(m_curation, &CurationPanel::dataChanged, this, &DataPage::refresh);
    connect(m_tools, &QTabWidget::currentChanged, this, [this](int index) {
        if (m_tools->widget(index) == m_stats)
            m_stats->refresh(m_project);
    });
}

void DataPage::setJobRunner(JobRunner* jobs)
{
    m_jobs = jobs;
    m_curation->setContext(m_project, m_jobs);
}

void DataPage::setProject(Project* project)
{
    m_project = project;
    m_curation->setContext(m_project, m_jobs);
    refresh();
}

void DataPage::refresh()
{
    if (!m_project) {
        // Not QSqlQueryModel::clear(): in Qt 6.4 it dereferences the moved-from query that
        // setQuery(QSqlQuery&&) leaves behind and crashes. A fresh model is safe.
        auto* fresh = new QSqlQueryModel(this);
        m_table->setModel(fresh);
        delete m_model;
        m_model = fresh;
        m_summary->clear();
        m_stats->refresh(nullptr);
        return;
    }
    const ProjectSummary s = m_project->summary();
    QStringList splitParts;
    for (const auto& [key, label] : {std::pair{"train", "train"}, {"val", "validation"},
                                     {"test", "test"}, {"", "no split"}})
        if (s.rowsPerSplit.value(QLatin1String(key)) > 0)
            splitParts << tr("%1 %2").arg(s.rowsPerSplit.value(QLatin1String(key))).arg(label);
    QString html = tr("<b>%1 rows</b>").arg(s.totalRows);
    if (!splitParts.isEmpty())
        html += QStringLiteral(" — ") + splitParts.join(QStringLiteral(", "));
    for (const QString& task : s.tasks) {
        QStringList counts;
        for (const LabelCount& c : s.labels)
            if (c.task == task)
                counts << QStringLiteral("%1 %2").arg(c.label.toHtmlEscaped()).arg(c.count);
        html += tr("<br>Labels (<i>%1</i>): %2").arg(task.toHtmlEscaped(), counts.join(QStringLiteral(", ")));
    }
    if (s.totalRows == 0)
        html += tr("<br>This project has no data yet. Use <b>Import…</b> to add a CSV file with a "
                   "header line; the text and label columns are detected for you.");
    else if (s.unlabeledRows > 0)
        html += tr("<br>%1 rows have no label yet.").arg(s.unlabeledRows);
    m_summary->setText(html);
    m_curation->refreshRecipe();
    if (m_tools->currentWidget() == m_stats)
        m_stats->refresh(m_project);
    requery();
}

void DataPage::requery()
{
    if (!m_project)
        return;
    // The gold label per task, as the gold_labels view defines it, but as an indexed lookup per
    // row: the view's window function would be evaluated over every label for each row.
    QStringList columns = {QStringLiteral("r.id AS \"#\""), QStringLiteral("r.text AS \"Text\"")};
    for (const QString& task : m_project->tasks())
        columns << QStringLiteral("(SELECT value FROM labels l WHERE l.row_id = r.id AND l.task = "
                                  "'%1' AND l.superseded_at IS NULL ORDER BY l.annotator = 'adjudicator' DESC, "
                                  "l.created_at DESC, l.id DESC LIMIT 1) AS %2")
                       .arg(QString(task).replace('\'', QLatin1String("''")), quoteIdentifier(task));
    columns << QStringLiteral("COALESCE(r.split, '') AS \"Split\"");
    QStringList where = {QStringLiteral("r.removed_by_step IS NULL")};
    const QString split = m_split->currentData().toString();
    if (split == QLatin1String("-"))
        where << QStringLiteral("r.split IS NULL");
    else if (!split.isEmpty())
        where << QStringLiteral("r.split = :split");
    const QString needle = m_search->text().trimmed();
    if (!needle.isEmpty())
        where << QStringLiteral("r.text LIKE :needle ESCAPE '\\'");
    QString sql = QStringLiteral("SELECT %1 FROM rows r").arg(columns.join(QStringLiteral(", ")));
    sql += QStringLiteral(" WHERE ") + where.join(QStringLiteral(" AND "));
    sql += QStringLiteral(" ORDER BY r.id");

    QSqlQuery q(m_project->browseDb());
    q.prepare(sql);
    if (sql.contains(QLatin1String(":split")))
        q.bindValue(QStringLiteral(":split"), split);
    if (!needle.isEmpty()) {
        QString escaped = needle;
        escaped.replace('\\', QLatin1String("\\\\")).replace('%', QLatin1String("\\%")).replace('_', QLatin1String("\\_"));
        q.bindValue(QStringLiteral(":needle"), QStringLiteral("%%1%").arg(escaped));
    }
    runBrowseQuery(m_model, std::move(q));
    if (m_model->lastError().isValid())
        m_summary->setText(tr("Could not read the rows: %1").arg(m_model->lastError().text()));
    QHeaderView* header = m_table->horizontalHeader();
    header->setSectionResizeMode(QHeaderView::ResizeToContents);
    header->setSectionResizeMode(1, QHeaderView::Stretch);
}

int DataPage::loadedRowCount() const
{
    return m_model->rowCount();
}

} // namespace fts
