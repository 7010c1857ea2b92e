// Step dialogs are built from a small parameter table per step kind.
#include "CurationPanel.h"

#include "data/Curation.h"
#include "jobs/JobRunner.h"
#include "project/Project.h"

#include <QCheckBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QShortcut>
#include <QSpinBox>
#include <QVBoxLayout>

namespace fts {
namespace {

enum class Kind { Flag, Number, Integer, List };

struct ParamSpec
{
    const char* key;
    Kind kind;
    const char* label;
    double value; // default (1/0 for flags)
    double min;
    double max;
    const char* tip;
};

struct StepSpec
{
    const char* kind;
    const char* title;
    const char* explanation;
    QList<ParamSpec> params;
};

const QList<StepSpec>& stepSpecs()
{
    static const QList<StepSpec> specs = {
        {"normalize", "Normalize text", "Unicode NFKC, whitespace, HTML tags and entities, repaired mojibake (CafÃ© → Café).",
         {{"nfkc", Kind::Flag, "Unicode NFKC", 1, 0, 1, "Full-width letters, ligatures and similar become plain characters."},
          {"whitespace", Kind::Flag, "Collapse whitespace", 1, 0, 1, "Runs of spaces, tabs and newlines become one space."},
          {"html", Kind::Flag, "Strip HTML", 1, 0, 1, "Tags removed, &amp; and similar decoded."},
          {"mojibake", Kind::Flag, "Repair mojibake", 1, 0, 1, "Text that was UTF-8 read as Windows-1252 is repaired."}}},
        {"drop-empty", "Remove empty rows", "Rows whose text is empty or only spaces.", {}},
        {"dedupe", "Remove duplicates", "Exact duplicates after normalisation; duplicates with different labels are kept and listed.", {}},
        {"near-dedupe", "Remove near-duplicates", "Texts that are almost the same (MinHash over character 5-grams).",
         {{"threshold", Kind::Number, "Similarity threshold", 0.7, 0.3, 1.0, "1.0 = identical; 0.7 catches small edits; lower finds more (and more false matches)."}}},
        {"length", "Filter by length", "Remove texts shorter or longer than the limits (0 = no limit). The Statistics tab shows the length histogram to choose the cut.",
         {{"min_chars", Kind::Integer, "Minimum characters", 0, 0, 1e6, ""}, {"max_chars", Kind::Integer, "Maximum characters", 0, 0, 1e6, ""},
          {"min_words", Kind::Integer, "Minimum words", 0, 0, 1e5, ""}, {"max_words", Kind::Integer, "Maximum words", 0, 0, 1e5, ""}}},
        {"redact", "Redact personal data", "Replace e-mails, phones, URLs, IPs, card numbers and IBANs with placeholders like [EMAIL]. Nothing leaves this computer.",
         {{"emails", Kind::Flag, "E-mail addresses", 1, 0, 1, ""}, {"phones", Kind::Flag, "Phone numbers", 1, 0, 1, ""},
          {"urls", Kind::Flag, "URLs", 1, 0, 1, ""}, {"ips", Kind::Flag, "IP addresses", 1, 0, 1, ""},
          {"cards", Kind::Flag, "Credit-card numbers (Luhn-checked)", 1, 0, 1, ""}, {"ibans", Kind::Flag, "IBANs (checksum-checked)", 1, 0, 1, ""},
          {"words", Kind::List, "Words or names (comma-separated)", 0, 0, 0, "Each is replaced by [REDACTED], whole words, any case."},
          {"patterns", Kind::List, "Regular expressions (comma-separated)", 0, 0, 0, "Each match is replaced by [REDACTED]."}}},
        {"augment", "Augment training data", "Make variants of training rows (synonyms, swaps, deletions, insertions); marked synthetic, never in validation or test.",
         {{"per_row", Kind::Integer, "Variants per row", 1, 1, 20, ""}, {"alpha", Kind::Number, "Share of words changed", 0.1, 0.01, 0.5, ""},
          {"seed", Kind::Integer, "Seed", 13, 0, 1e9, "The same seed gives the same variants."}}},
        {"split", "Split into train / validation / test", "Rows without a split get one, keeping each label's proportions.",
         {{"train", Kind::Number, "Train", 0.8, 0, 1, ""}, {"val", Kind::Number, "Validation", 0.1, 0, 1, ""},
          {"test", Kind::Number, "Test", 0.1, 0, 1, ""}, {"seed", Kind::Integer, "Seed", 13, 0, 1e9, ""},
          {"stratify", Kind::Flag, "Stratify by label", 1, 0, 1, ""}}},
    };
    return specs;
}

const StepSpec* specFor(const QString& kind)
{
    for (const StepSpec& s : stepSpecs())
        if (kind == QLatin1String(s.kind))
            return &s;
    return nullptr;
}

} // namespace

CurationPanel::CurationPanel(QWidget* parent)
    : QWidget(parent), m_recipe(new QListWidget(this)), m_undo(new QPushButton(tr("Undo last step"), this))
{
    setObjectName(QStringLiteral("curationPanel"));
    auto* layout = new QVBoxLayout(this);
    for (const StepSpec& s : stepSpecs()) {
        auto* b = new QPushButton(tr(s.title), this);
        b->setObjectName(QStringLiteral("step-%1").arg(QLatin1String(s.kind)));
        b->setToolTip(tr(s.explanation));
        connect(b, &QPushButton::clicked, this, [this, kind = QString::fromLatin1(s.kind)] { openStep(kind); });
        layout->addWidget(b);
    }
    layout->addSpacing(8);
    layout->addWidget(new QLabel(tr("<b>Recipe</b> (replayable, in order)"), this));
    m_recipe->setObjectName(QStringLiteral("recipeList"));
    layout->addWidget(m_recipe, 1);
    m_undo->setObjectName(QStringLiteral("undoStep"));
    m_undo->setToolTip(tr("Revert the most recent step exactly (Ctrl+Z)."));
    layout->addWidget(m_undo);
    connect(m_undo, &QPushButton::clicked, this, &CurationPanel::undoLast);
    auto* shortcut = new QShortcut(QKeySequence::Undo, this);
    shortcut->setContext(Qt::WidgetWithChildrenShortcut);
    connect(shortcut, &QShortcut::activated, this, &CurationPanel::undoLast);
}

void CurationPanel::setContext(Project* project, JobRunner* jobs)
{
    m_project = project;
    m_jobs = jobs;
    refreshRecipe();
}

void CurationPanel::refreshRecipe()
{
    m_recipe->clear();
    if (!m_project)
        return;
    const QList<RecipeStep> steps = curationRecipe(*m_project);
    for (const RecipeStep& s : steps)
        m_recipe->addItem(QStringLiteral("%1. %2 — %3").arg(s.seq).arg(s.kind, s.effect.describe()));
    m_undo->setEnabled(!steps.isEmpty() && !m_project->isReadOnly());
    setEnabled(!m_project->isReadOnly());
}

CurationStepDialog* CurationPanel::openStep(const QString& kind)
{
    if (!m_project || !m_jobs)
        return nullptr;
    auto* dialog = new CurationStepDialog(kind, m_project->path(), m_jobs, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &CurationStepDialog::applied, this, [this] {
        refreshRecipe();
        Q_EMIT dataChanged();
    });
    dialog->show();
    return dialog;
}

void CurationPanel::undoLast()
{
    if (!m_project || !m_jobs || m_project->isReadOnly())
        return;
    const int id = m_jobs->submit(std::make_shared<UndoCurationJob>(m_project->path()));
    connect(m_jobs, &JobRunner::jobFinished, this, [this, id](int finished, const JobOutcome&) {
        if (finished != id)
            return;
        refreshRecipe();
        Q_EMIT dataChanged();
    });
}

CurationStepDialog::CurationStepDialog(const QString& kind, const QString& projectPath, JobRunner* jobs, QWidget* parent)
    : QWidget(parent, Qt::Dialog), m_kind(kind), m_projectPath(projectPath), m_jobs(jobs), m_result(new QLabel(this)),
      m_previewButton(new QPushButton(tr("Preview"), this)), m_applyButton(new QPushButton(tr("Apply"), this))
{
    const StepSpec* spec = specFor(kind);
    setObjectName(QStringLiteral("curationStepDialog"));
    setWindowTitle(spec ? tr(spec->title) : kind);
    setWindowModality(Qt::WindowModal);
    auto* layout = new QVBoxLayout(this);
    auto* explanation = new QLabel(spec ? tr(spec->explanation) : QString(), this);
    explanation->setWordWrap(true);
    layout->addWidget(explanation);
    auto* form = new QFormLayout;
    for (const ParamSpec& p : spec ? spec->params : QList<ParamSpec>()) {
        QWidget* field = nullptr;
        if (p.kind == Kind::Flag) {
            auto* box = new QCheckBox(this);
            box->setChecked(p.value != 0);
            field = box;
        } else if (p.kind == Kind::Number) {
            auto* box = new QDoubleSpinBox(this);
            box->setRange(p.min, p.max);
            box->setSingleStep(0.05);
            box->setValue(p.value);
            field = box;
        } else if (p.kind == Kind::Integer) {
            auto* box = new QSpinBox(this);
            box->setRange(int(p.min), int(p.max));
            box->setValue(int(p.value));
            field = box;
        } else {
            field = new QLineEdit(this);
        }
        field->setObjectName(QLatin1String(p.key));
        field->setToolTip(tr(p.tip));
        form->addRow(tr(p.label), field);
        m_fields.append({QString::fromLatin1(p.key), field});
    }
    layout->addLayout(form);
    m_result->setObjectName(QStringLiteral("stepResult"));
    m_result->setWordWrap(true);
    m_result->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_result, 1);
    auto* buttons = new QHBoxLayout;
    auto* close = new QPushButton(tr("Close"), this);
    buttons->addStretch(1);
    buttons->addWidget(m_previewButton);
    buttons->addWidget(m_applyButton);
    buttons->addWidget(close);
    layout->addLayout(buttons);
    m_applyButton->setDefault(true);
    connect(m_previewButton, &QPushButton::clicked, this, &CurationStepDialog::preview);
    connect(m_applyButton, &QPushButton::clicked, this, &CurationStepDialog::apply);
    connect(close, &QPushButton::clicked, this, &QWidget::close);
    connect(m_jobs, &JobRunner::jobFinished, this, [this](int id, const JobOutcome& out) {
        if (id != m_job)
            return;
        m_previewButton->setEnabled(true);
        m_applyButton->setEnabled(true);
        if (out.status != JobStatus::Succeeded) {
            m_result->setText(QStringLiteral("<span style='color:#b00020'>%1</span>").arg(out.message.toHtmlEscaped()));
            return;
        }
        const StepEffect& e = m_running->effect();
        QString html = QStringLiteral("<b>%1</b>").arg(out.message.toHtmlEscaped());
        for (const auto& [before, after] : e.examples)
            html += after.isEmpty() ? QStringLiteral("<br>− %1").arg(before.toHtmlEscaped())
                                    : QStringLiteral("<br>%1 → %2").arg(before.toHtmlEscaped(), after.toHtmlEscaped());
        if (e.details.contains(QLatin1String("conflicts")) && !e.details.value(QLatin1String("conflicts")).toArray().isEmpty())
            html += tr("<br><i>%1 groups of duplicates have different labels; they were kept for you to review "
                       "(row numbers: %2).</i>")
                        .arg(e.details.value(QLatin1String("conflicts")).toArray().size())
                        .arg(QString::fromUtf8(QJsonDocument(e.details.value(QLatin1String("conflicts")).toArray()).toJson(QJsonDocument::Compact)));
        const QJsonArray groups = e.details.value(QLatin1String("groups")).toArray();
        if (!groups.isEmpty()) {
            QStringList shown;
            for (int g = 0; g < std::min<qsizetype>(groups.size(), 20); ++g) {
                QStringList ids;
                for (const QJsonValue& id : groups[g].toArray())
                    ids << QString::number(id.toInteger());
                shown << QStringLiteral("(%1)").arg(ids.join(QStringLiteral(", ")));
            }
            html += tr("<br>%1 groups (row numbers; the first labeled row of each is kept): %2%3")
                        .arg(groups.size()).arg(shown.join(QLatin1Char(' ')))
                        .arg(groups.size() > 20 ? QStringLiteral(" …") : QString());
        }
        if (e.details.contains(QLatin1String("found")))
            html += tr("<br>Found: %1").arg(QString::fromUtf8(QJsonDocument(e.details.value(QLatin1String("found")).toObject()).toJson(QJsonDocument::Compact)).toHtmlEscaped());
        m_result->setText(html);
        if (m_running && !m_runningPreview)
            Q_EMIT applied();
    });
}

QJsonObject CurationStepDialog::params() const
{
    QJsonObject out;
    for (const auto& [key, field] : m_fields) {
        if (auto* box = qobject_cast<QCheckBox*>(field))
            out.insert(key, box->isChecked());
        else if (auto* d = qobject_cast<QDoubleSpinBox*>(field))
            out.insert(key, d->value());
        else if (auto* i = qobject_cast<QSpinBox*>(field)) {
            const bool zeroMeansNoLimit = key.startsWith(QLatin1String("min_")) || key.startsWith(QLatin1String("max_"));
            if (i->value() != 0 || !zeroMeansNoLimit)
                out.insert(key, i->value());
        } else if (auto* line = qobject_cast<QLineEdit*>(field)) {
            QJsonArray items;
            for (const QString& s : line->text().split(QLatin1Char(','), Qt::SkipEmptyParts))
                items.append(s.trimmed());
            out.insert(key, items);
        }
    }
    return out;
}

void CurationStepDialog::setParam(const QString& key, const QVariant& value)
{
    for (const auto& [k, field] : m_fields)
        if (k == key) {
            if (auto* box = qobject_cast<QCheckBox*>(field))
                box->setChecked(value.toBool());
            else if (auto* d = qobject_cast<QDoubleSpinBox*>(field))
                d->setValue(value.toDouble());
            else if (auto* i = qobject_cast<QSpinBox*>(field))
                i->setValue(value.toInt());
            else if (auto* line = qobject_cast<QLineEdit*>(field))
                line->setText(value.toString());
        }
}

void CurationStepDialog::preview()
{
    run(true);
}

void CurationStepDialog::apply()
{
    run(false);
}

QString CurationStepDialog::resultText() const
{
    return m_result->text();
}

void CurationStepDialog::run(bool preview)
{
    m_runningPreview = preview;
    m_running = std::make_shared<CurationJob>(m_projectPath, m_kind, params(), preview);
    m_result->setText(preview ? tr("Previewing…") : tr("Applying…"));
    m_previewButton->setEnabled(false);
    m_applyButton->setEnabled(false);
    m_job = m_jobs->submit(m_running);
}

} // namespace fts
