// The hyperparameter editor: one field per knob from Hyperparameters::catalog(), each with its
// help as tooltip; values are checked as they are typed and refused with the allowed range.
#pragma once

#include "train/Hyperparameters.h"

#include <QMap>
#include <QWidget>

class QLabel;

namespace fts {

class HyperparameterEditor : public QWidget
{
    Q_OBJECT
public:
    explicit HyperparameterEditor(QWidget* parent = nullptr);
    void setValues(const Hyperparameters& values);
    // The edited values; fields that were refused keep their last good value.
    Hyperparameters values() const { return m_values; }
    // Sets one field as a user would type it; returns false with the reason shown when refused.
    bool setField(const QString& key, const QString& text);
    QString problems() const;
    QWidget* field(const QString& key) const { return m_fields.value(key); }

Q_SIGNALS:
    void changed();

private:
    Hyperparameters m_values;
    QMap<QString, QWidget*> m_fields;
    QLabel* m_problems;
};

} // namespace fts
