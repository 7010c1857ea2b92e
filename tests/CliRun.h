// Running ftstudio-cli from the CLI test suites: exit code, stdout, stderr, and the JSON it printed.
#pragma once

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

namespace fts::test {

struct CliRun
{
    int code = -1;
    QByteArray out;
    QByteArray err;
    QJsonObject json() const { return QJsonDocument::fromJson(out).object(); }
};

// Settings and downloads go to a scratch folder, never the developer's own.
inline QProcessEnvironment cliEnvironment()
{
    static QTemporaryDir home;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("XDG_CONFIG_HOME", home.filePath("config"));
    env.insert("XDG_DATA_HOME", home.filePath("data"));
    return env;
}

inline CliRun cli(const QStringList& args, int timeoutMs = 120000)
{
    QProcess p;
    p.setProcessEnvironment(cliEnvironment());
    p.start(QStringLiteral(FTS_BIN_DIR "/ftstudio-cli"), args);
    if (!p.waitForFinished(timeoutMs))
        qFatal("ftstudio-cli did not finish");
    return {p.exitCode(), p.readAllStandardOutput(), p.readAllStandardError()};
}

// For verbs that talk to a server in this process: keep the event loop running while waiting.
inline CliRun cliWithEventLoop(const QStringList& args, int timeoutMs = 60000)
{
    QProcess p;
    p.setProcessEnvironment(cliEnvironment());
    p.start(QStringLiteral(FTS_BIN_DIR "/ftstudio-cli"), args);
    QElapsedTimer clock;
    clock.start();
    while (p.state() != QProcess::NotRunning && clock.elapsed() < timeoutMs)
        QTest::qWait(20);
    return {p.exitCode(), p.readAllStandardOutput(), p.readAllStandardError()};
}

} // namespace fts::test
