// Layout of a not-yet-available page: heading, purpose, and an honest status line.
#include "PlannedPage.h"

#include <QLabel>
#include <QVBoxLayout>

namespace fts {

PlannedPage::PlannedPage(const QString& title, const QString& purpose, const QString& status,
                         QWidget* parent)
    : QWidget(parent)
{
    auto* label = new QLabel(
        QStringLiteral("<h2>%1</h2><p>%2</p><p style='color:#8a5a00'><b>%3</b></p>")
            .arg(title.toHtmlEscaped(), purpose.toHtmlEscaped(), status.toHtmlEscaped()),
        this);
    label->setObjectName(QStringLiteral("plannedStatus"));
    label->setWordWrap(true);
    label->setTextFormat(Qt::RichText);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(label);
    layout->addStretch(1);
}

} // namespace fts
