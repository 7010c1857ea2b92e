// Durable file replacement: write a temporary file, fsync it, rename over the target, fsync the folder.
#pragma once

#include <QIODevice>
#include <QString>

#include <functional>

class QJsonObject;

namespace fts {

// Calls `write` with a device for a temporary file beside `path`; on success the file replaces
// `path` atomically and durably (a power cut leaves the old file or the new one, never a mix).
// On any failure (including `write` throwing) the old file is untouched and fts::Error is thrown.
void writeFileAtomically(const QString& path, const std::function<void(QIODevice&)>& write);

// The object as indented JSON, written as above.
void writeJsonAtomically(const QString& path, const QJsonObject& object);

} // namespace fts
