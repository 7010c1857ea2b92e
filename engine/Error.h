// The engine's one exception type: thrown inside the engine, caught at job and CLI boundaries.
#pragma once

#include <QString>
#include <stdexcept>

namespace fts {

// A failure the user can act on: the message says what was wrong and, where possible, how to fix it.
class Error : public std::runtime_error
{
public:
    explicit Error(const QString& message)
        : std::runtime_error(message.toStdString()), m_message(message) {}
    const QString& message() const { return m_message; }

private:
    QString m_message;
};

// Thrown by JobContext::checkCancelled(); a job that sees it stops cleanly and reports "cancelled".
class Cancelled : public std::exception
{
public:
    const char* what() const noexcept override { return "cancelled"; }
};

} // namespace fts
