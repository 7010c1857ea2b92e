// Fields are line edits or combo boxes built from the catalog, so a knob added to the engine shows
// up here with its help text and range without GUI changes.
#include "HyperparameterEditor.h"

#include "Error.h"

#include <QComboBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QVBoxLayout>

namespace fts {

HyperparameterEditor::HyperparameterEditor(QWidget* parent) : QWidget(parent), m_problems(new QLabel(this))
{
    setObjectName(QStringLiteral("hyperparameterEditor"));
    auto* form = new QFormLayout;
    for (const HyperparameterInfo& info : Hyperparameters::catalog()) {
        QWidget* field;
        if (!info.choices.isEmpty()) {
            auto* combo = new QComboBox(this);
            combo->addItems(info.choices);
            connect(combo, &QComboBox::currentTextChanged, this, [this, key = info.key](const QString& text) { setField(key, text); });
            field = combo;
        } else {
            auto* edit = new QLineEdit(this);
            connect(edit, &QLineEdit::editingFinished, this, [this, edit, key = info.key] { setField(key, edit->text()); });
            field = edit;
        }
        field->setObjectName(info.key);
        const bool textValued = info.key == QLatin1String("lora_targets") || info.key == QLatin1String("task_weights");
        const QString range = info.choices.isEmpty() && !textValued
                                  ? tr(" Allowed: %1 to %2.").arg(info.min).arg(info.max)
                                  : QString();
        field->setToolTip(info.help + range);
        form->addRow(info.key, field);
        m_fields.insert(info.key, field);
    }
    m_problems->setObjectName(QStringLiteral("hyperparameterProblems"));
    m_problems->setWordWrap(true);
    m_problems->setStyleSheet(QStringLiteral("color: #b00020"));
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_problems);
    setValues(Hyperparameters());
}

void HyperparameterEditor::setValues(const Hyperparameters& values)
{
    m_values = values;
    for (auto it = m_fields.begin(); it != m_fields.end(); ++it) {
        const QSignalBlocker block(it.value());
        if (auto* combo = qobject_cast<QComboBox*>(it.value()))
            combo->setCurrentText(m_values.get(it.key()));
        else if (auto* edit = qobject_cast<QLineEdit*>(it.value()))
            edit->setText(m_values.get(it.key()));
    }
    m_problems->clear();
}

bool HyperparameterEditor::setField(const QString& key, const QString& text)
{
    try {
        m_values.set(key, text);
    } catch (const Error& e) {
        m_problems->setText(e.message());
        if (auto* edit = qobject_cast<QLineEdit*>(m_fields.value(key)))
            edit->setText(m_values.get(key)); // back to the last good value
        return false;
    }
    m_problems->clear();
    if (auto* edit = qobject_cast<QLineEdit*>(m_fields.value(key)))
        edit->setText(m_values.get(key));
    Q_EMIT changed();
    return true;
}

QString HyperparameterEditor::problems() const
{
    return m_problems->text();
}

} // namespace fts
