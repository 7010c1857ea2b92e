// Running a table view's query on the project's browse connection (Project::browseDb).
#pragma once

class QSqlQuery;
class QSqlQueryModel;

namespace fts {

// Typing in a table's search box pauses this long before the table is filtered: one query per
// pause, not per key.
constexpr int kSearchDelayMs = 250;

// Executes `query` (prepared on the browse connection, values bound) and gives it to `model`.
// The model's previous statement is released first: while it is open, the connection stays in
// the read snapshot it started, and the new query would not see what was written since.
void runBrowseQuery(QSqlQueryModel* model, QSqlQuery&& query);

} // namespace fts
