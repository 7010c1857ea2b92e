// QSettings keys that more than one page reads or writes.
#pragma once

#include <QString>

namespace fts {

// The name a person labels and judges under (Label and Feedback pages), kept between sessions.
inline const QString kAnnotatorKey = QStringLiteral("label/annotator");

} // namespace fts
