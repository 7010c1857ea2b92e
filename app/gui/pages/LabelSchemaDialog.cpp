// The table's rows are the labels in order; saving goes through saveLabelSchema's checks.
#include "LabelSchemaDialog.h"

#include "Error.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

namespace fts {

LabelSchemaDialog::LabelSchemaDialog(Project& project, const QString& task, QWidget* parent)
    : QDialog(parent), m_project(project), m_task(task), m_labels(new QTableWidget(this)),
      m_guidelines(new QPlainTextEdit(this)), m_multi(new QCheckBox(tr("Several labels per row (multi-label)"), this)),
      m_error(new QLabel(this))
{
    setObjectName(QStringLiteral("labelSchemaDialog"));
    setWindowTitle(tr("Labels of '%1'").arg(task));
    resize(640, 480);
    auto* presets = new QComboBox(this);
    presets->addItem(tr("Start from a preset…"));
    presets->addItems(LabelSchema::presetNames());
    connect(presets, &QComboBox::activated, this, [this, presets](int index) {
        if (index > 0)
            applyPreset(presets->itemText(index));
    });
    m_labels->setColumnCount(4);
    m_labels->setHorizontalHeaderLabels({tr("Label"), tr("Key"), tr("Colour"), tr("Description")});
    m_labels->horizontalHeader()->setStretchLastSection(true);
    m_labels->verticalHeader()->setVisible(false);
    auto* add = new QPushButton(tr("Add label"), this);
    auto* remove = new QPushButton(tr("Remove selected"), this);
    connect(add, &QPushButton::clicked, this, [this] {
        const int r = m_labels->rowCount();
        m_labels->insertRow(r);
        m_labels->setItem(r, 1, new QTableWidgetItem(r < 9 ? QString::number(r + 1) : QString()));
        m_labels->setItem(r, 2, new QTableWidgetItem(QStringLiteral("#4c72b0")));
    });
    connect(remove, &QPushButton::clicked, this, [this] {
        if (m_labels->currentRow() >= 0)
            m_labels->removeRow(m_labels->currentRow());
    });
    m_guidelines->setPlaceholderText(tr("Guidelines shown beside every card: what each label means, how to treat sarcasm, mixed opinions..."));
    m_error->setStyleSheet(QStringLiteral("color: #b00020"));
    m_error->setWordWrap(true);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, [this] {
        if (save())
            accept();
    });
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto* rowButtons = new QHBoxLayout;
    rowButtons->addWidget(add);
    rowButtons->addWidget(remove);
    rowButtons->addStretch(1);
    rowButtons->addWidget(presets);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_labels, 2);
    layout->addLayout(rowButtons);
    layout->addWidget(m_multi);
    layout->addWidget(new QLabel(tr("Guidelines:"), this));
    layout->addWidget(m_guidelines, 1);
    layout->addWidget(m_error);
    layout->addWidget(buttons);
    load(loadLabelSchema(project, task));
}

void LabelSchemaDialog::load(const LabelSchema& s)
{
    m_labels->setRowCount(int(s.labels.size()));
    for (int r = 0; r < s.labels.size(); ++r) {
        const LabelDef& l = s.labels[r];
        m_labels->setItem(r, 0, new QTableWidgetItem(l.name));
        m_labels->setItem(r, 1, new QTableWidgetItem(l.key));
        m_labels->setItem(r, 2, new QTableWidgetItem(l.color));
        m_labels->setItem(r, 3, new QTableWidgetItem(l.description));
    }
    m_guidelines->setPlainText(s.guidelines);
    m_multi->setChecked(s.multiLabel);
}

void LabelSchemaDialog::applyPreset(const QString& name)
{
    try {
        load(LabelSchema::preset(name, m_task));
    } catch (const Error& e) {
        m_error->setText(e.message());
    }
}

LabelSchema LabelSchemaDialog::schema() const
{
    LabelSchema s;
    s.task = m_task;
    s.guidelines = m_guidelines->toPlainText();
    s.multiLabel = m_multi->isChecked();
    auto text = [this](int r, int c) { return m_labels->item(r, c) ? m_labels->item(r, c)->text().trimmed() : QString(); };
    for (int r = 0; r < m_labels->rowCount(); ++r)
        s.labels.append({text(r, 0), text(r, 2), text(r, 1), text(r, 3)});
    return s;
}

bool LabelSchemaDialog::save()
{
    try {
        saveLabelSchema(m_project, schema());
    } catch (const Error& e) {
        m_error->setText(e.message());
        return false;
    }
    return true;
}

QString LabelSchemaDialog::errorText() const
{
    return m_error->text();
}

} // namespace fts
