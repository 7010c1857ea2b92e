// The project file's SQLite schema: version constants and the ordered list of migrations.
#pragma once

#include <QSqlDatabase>

namespace fts::schema {

// Written into the SQLite header (PRAGMA application_id) so a project is recognised without opening it: "FTSP".
constexpr int ApplicationId = 0x46545350;
// PRAGMA user_version of a project written by this build.
constexpr int CurrentVersion = 6;

// Brings an open database from `fromVersion` to `toVersion` inside one transaction; throws
// fts::Error.
void migrate(QSqlDatabase& db, int fromVersion, int toVersion = CurrentVersion);

} // namespace fts::schema
