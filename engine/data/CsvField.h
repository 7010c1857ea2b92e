// Writing one CSV field (RFC 4180), the counterpart of CsvReader: every CSV the studio writes
// (data and label exports, batch predictions, chart data) quotes the same way.
#pragma once

#include <QString>

namespace fts {

// `value` as one field: wrapped in quotes, with its quotes doubled, when it holds a comma, a quote
// or a line break (or always, when `alwaysQuote`); otherwise as it is.
QString csvField(const QString& value, bool alwaysQuote = false);

} // namespace fts
