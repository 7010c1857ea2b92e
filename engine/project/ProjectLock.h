// One writer per project: a lock file beside it, shared by every connection inside this process.
#pragma once

#include "Error.h"

#include <QString>

namespace fts {

// Thrown when another process has the project open for writing; the GUI offers read-only instead.
class ProjectLockedError : public Error
{
public:
    using Error::Error;
};

// Holds "<project>.lock" while alive. Connections of the same process share one lock (the GUI and
// its engine-thread jobs open the same project); another process is refused. A lock left by a
// process that died (crash, SIGKILL) is detected as stale and taken over.
class ProjectLock
{
public:
    explicit ProjectLock(const QString& projectPath); // throws ProjectLockedError
    ~ProjectLock();
    ProjectLock(const ProjectLock&) = delete;
    ProjectLock& operator=(const ProjectLock&) = delete;

private:
    QString m_key;
};

} // namespace fts
