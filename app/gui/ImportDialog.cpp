// The import dialog's preview and column mapping; the import itself runs as an ImportJob.
#include "ImportDialog.h"

#include "Error.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

namespace fts {
namespace {
constexpr int kPreviewRows = 20;
}

ImportDialog::ImportDialog(QWidget* parent)
    : QDialog(parent), m_path(new QLineEdit(this)), m_format(new QComboBox(this)), m_encoding(new QComboBox(this)),
      m_previewTable(new QTableWidget(this)), m_text(new QComboBox(this)),
      m_labels(new QListWidget(this)), m_split(new QComboBox(this)), m_mapping(new QTableWidget(this)),
      m_redact(new QCheckBox(tr("Redact personal data while importing (e-mails, phones, URLs, IPs, cards, IBANs); the originals are never written"), this)),
      m_detected(new QLabel(this)), m_error(new QLabel(this)),
      m_buttons(new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this))
{
    setObjectName(QStringLiteral("importDialog"));
    setWindowTitle(tr("Import data"));
    resize(820, 600);

    m_path->setObjectName(QStringLiteral("importPath"));
    m_path->setPlaceholderText(tr("A CSV or TSV file with a header line"));
    auto* browse = new QPushButton(tr("Browse…"), this);
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString f = QFileDialog::getOpenFileName(this, tr("Import data"), m_path->text(),
                                                       tr("Data files (*.csv *.tsv *.tab *.jsonl *.ndjson *.json *.txt);;All files (*)"));
        if (!f.isEmpty())
            setFile(f);
    });
    connect(m_path, &QLineEdit::editingFinished, this, &ImportDialog::reloadPreview);
    m_format->addItem(tr("Detect from name"), QString());
    m_format->addItem(QStringLiteral("CSV"), QStringLiteral("csv"));
    m_format->addItem(QStringLiteral("TSV"), QStringLiteral("tsv"));
    m_format->addItem(QStringLiteral("JSON Lines"), QStringLiteral("jsonl"));
    m_format->addItem(QStringLiteral("JSON array"), QStringLiteral("json"));
    m_format->addItem(tr("Plain text (one example per line)"), QStringLiteral("txt"));
    connect(m_format, &QComboBox::currentIndexChanged, this, &ImportDialog::reloadPreview);
    m_encoding->setObjectName(QStringLiteral("importEncoding"));
    m_encoding->addItem(tr("Detect encoding"), QString());
    for (const char* e : {"UTF-8", "UTF-16LE", "UTF-16BE", "windows-1252", "ISO-8859-1"})
        m_encoding->addItem(QLatin1String(e), QLatin1String(e));
    m_encoding->setToolTip(tr("If accents look wrong in the preview, choose the file's encoding here."));
    connect(m_encoding, &QComboBox::currentIndexChanged, this, &ImportDialog::reloadPreview);

    m_previewTable->setObjectName(QStringLiteral("importPreview"));
    m_previewTable->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_previewTable->verticalHeader()->setVisible(false);
    m_text->setObjectName(QStringLiteral("importTextColumn"));
    m_labels->setObjectName(QStringLiteral("importLabelColumns"));
    m_labels->setMaximumHeight(90);
    m_split->setObjectName(QStringLiteral("importSplit"));
    m_error->setObjectName(QStringLiteral("importError"));
    m_detected->setObjectName(QStringLiteral("importDetected"));
    m_error->setWordWrap(true);
    m_error->setStyleSheet(QStringLiteral("color: #b00020"));
    m_buttons->button(QDialogButtonBox::Ok)->setText(tr("Import"));
    connect(m_buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto* fileRow = new QHBoxLayout;
    fileRow->addWidget(m_path, 1);
    fileRow->addWidget(m_format);
    fileRow->addWidget(m_encoding);
    fileRow->addWidget(browse);
    auto* mapping = new QFormLayout;
    mapping->addRow(tr("Text column:"), m_text);
    mapping->addRow(tr("Label columns (one task each):"), m_labels);
    mapping->addRow(tr("Split:"), m_split);
    mapping->addRow(tr("Label values (edit the right column to rename or merge):"), m_mapping);
    m_mapping->setObjectName(QStringLiteral("importLabelMapping"));
    m_mapping->setColumnCount(2);
    m_mapping->setHorizontalHeaderLabels({tr("In the file"), tr("Becomes")});
    m_mapping->verticalHeader()->setVisible(false);
    m_mapping->setMaximumHeight(110);
    m_mapping->horizontalHeader()->setStretchLastSection(true);
    m_redact->setObjectName(QStringLiteral("importRedact"));
    connect(m_labels, &QListWidget::itemChanged, this, &ImportDialog::updateLabelMapping);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(fileRow);
    layout->addWidget(new QLabel(tr("Preview (first %1 rows):").arg(kPreviewRows), this));
    layout->addWidget(m_previewTable, 1);
    layout->addWidget(m_detected);
    layout->addWidget(m_redact);
    layout->addLayout(mapping);
    layout->addWidget(m_error);
    layout->addWidget(m_buttons);
    reloadPreview();
}

void ImportDialog::setFile(const QString& path)
{
    m_path->setText(path);
    reloadPreview();
}

QString ImportDialog::errorText() const
{
    return m_error->text();
}

void ImportDialog::reloadPreview()
{
    m_preview.reset();
    m_previewTable->clear();
    m_previewTable->setRowCount(0);
    m_previewTable->setColumnCount(0);
    m_error->clear();
    m_detected->clear();
    const QString path = m_path->text().trimmed();
    if (!path.isEmpty()) {
        try {
            ImportOptions o;
            o.file = path;
            o.format = formatForFile(path, m_format->currentData().toString());
            o.encoding = m_encoding->currentData().toString();
            m_preview = previewTable(o, kPreviewRows);
        } catch (const Error& e) {
            m_error->setText(e.message());
        }
    }
    if (m_preview) {
        m_detected->setText(tr("Detected: %1.").arg(m_preview->info.describe()));
        m_previewTable->setColumnCount(int(m_preview->header.size()));
        m_previewTable->setHorizontalHeaderLabels(m_preview->header);
        m_previewTable->setRowCount(int(m_preview->rows.size()));
        for (int r = 0; r < m_preview->rows.size(); ++r)
            for (int c = 0; c < m_preview->rows[r].size() && c < m_preview->header.size(); ++c)
                m_previewTable->setItem(r, c, new QTableWidgetItem(m_preview->rows[r][c]));
        m_previewTable->resizeColumnsToContents();
        for (int c = 0; c < m_previewTable->columnCount(); ++c)
            m_previewTable->setColumnWidth(c, std::min(m_previewTable->columnWidth(c), 360));
    }
    updateMapping();
}

void ImportDialog::updateMapping()
{
    m_text->clear();
    m_labels->clear();
    m_split->clear();
    m_split->addItem(tr("Leave unassigned (split later)"), QStringLiteral("none"));
    m_split->addItem(tr("All rows: train"), QStringLiteral("train"));
    m_split->addItem(tr("All rows: validation"), QStringLiteral("val"));
    m_split->addItem(tr("All rows: test"), QStringLiteral("test"));
    const bool ok = m_preview.has_value();
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(ok);
    if (!ok)
        return;
    const ColumnMapping& d = m_preview->detected;
    for (int i = 0; i < m_preview->header.size(); ++i) {
        const QString& name = m_preview->header[i];
        m_text->addItem(name);
        auto* item = new QListWidgetItem(name, m_labels);
        item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
        item->setCheckState(d.labels.contains(i) ? Qt::Checked : Qt::Unchecked);
        if (i == d.split)
            m_split->insertItem(0, tr("From column '%1'").arg(name), QStringLiteral("column:") + name);
    }
    if (d.text >= 0)
        m_text->setCurrentIndex(d.text);
    m_split->setCurrentIndex(0);
    if (d.text < 0)
        m_error->setText(tr("Choose which column holds the text."));
    updateLabelMapping();
}

void ImportDialog::updateLabelMapping()
{
    m_mapping->setRowCount(0);
    if (!m_preview)
        return;
    QList<int> columns;
    for (int i = 0; i < m_labels->count(); ++i)
        if (m_labels->item(i)->checkState() == Qt::Checked)
            columns << i;
    const QMap<QString, QString> suggested = suggestLabelMapping(m_preview->rows, columns);
    for (auto it = suggested.begin(); it != suggested.end(); ++it) {
        const int row = m_mapping->rowCount();
        m_mapping->insertRow(row);
        auto* raw = new QTableWidgetItem(it.key());
        raw->setFlags(raw->flags() & ~Qt::ItemIsEditable);
        m_mapping->setItem(row, 0, raw);
        m_mapping->setItem(row, 1, new QTableWidgetItem(it.value()));
    }
}

ImportOptions ImportDialog::options() const
{
    ImportOptions o;
    o.file = m_path->text().trimmed();
    o.format = m_preview ? m_preview->format : TableFormat::Csv;
    if (m_preview) { // import exactly what the preview showed
        o.encoding = m_preview->info.encoding;
        o.delimiter = m_preview->info.delimiter;
        o.header = m_preview->info.hasHeader ? 1 : 0;
    }
    o.textColumn = m_text->currentText();
    for (int i = 0; i < m_labels->count(); ++i)
        if (m_labels->item(i)->checkState() == Qt::Checked && m_labels->item(i)->text() != o.textColumn)
            o.labelColumns << m_labels->item(i)->text();
    if (o.labelColumns.isEmpty())
        o.labelColumns = {QStringLiteral("-")};
    for (int r = 0; r < m_mapping->rowCount(); ++r)
        o.labelMapping.insert(m_mapping->item(r, 0)->text(), m_mapping->item(r, 1)->text());
    o.redact = m_redact->isChecked();
    const QString split = m_split->currentData().toString();
    if (split.startsWith(QLatin1String("column:")))
        o.splitColumn = split.mid(7);
    else if (split == QLatin1String("none"))
        o.splitColumn = QStringLiteral("-");
    else
        o.fixedSplit = split;
    return o;
}

} // namespace fts
