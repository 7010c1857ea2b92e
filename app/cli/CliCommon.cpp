// Argument parsing, output and progress helpers for ftstudio-cli.
#include "CliCommon.h"

#include <QFileInfo>
#include <QJsonDocument>
#include <QTextStream>

#include <cstdio>
#include <unistd.h>

namespace fts::cli {

const QCommandLineOption kJson(QStringLiteral("json"), QStringLiteral("Print one JSON object."));

Hyperparameters hyperparametersFromOptions(const QString& method, const QStringList& sets,
                                           Hyperparameters base)
{
    try {
        base.set(QStringLiteral("method"), method);
        for (const QString& kv : sets) {
            const qsizetype eq = kv.indexOf(QLatin1Char('='));
            if (eq <= 0)
                throw UsageError{QStringLiteral("--set needs KEY=VALUE, got '%1'").arg(kv)};
            base.set(kv.left(eq).trimmed(), kv.mid(eq + 1).trimmed());
        }
    } catch (const Error& e) {
        throw UsageError{e.message()};
    }
    return base;
}

void parseOrThrow(QCommandLineParser& parser, const QStringList& args, const QString& verb,
                  const QString& description)
{
    parser.setApplicationDescription(description);
    const QCommandLineOption help({QStringLiteral("h"), QStringLiteral("help")},
                                  QStringLiteral("Show this help."));
    parser.addOption(help);
    QStringList argv = args;
    argv[0] = QStringLiteral("ftstudio-cli %1").arg(verb);
    if (!parser.parse(argv))
        throw UsageError{parser.errorText()};
    if (parser.isSet(help)) {
        QTextStream(stdout) << parser.helpText();
        std::exit(0);
    }
}

QStringList positionals(const QCommandLineParser& parser, const QStringList& names)
{
    const QStringList given = parser.positionalArguments();
    if (given.size() < names.size())
        throw UsageError{QStringLiteral("missing %1").arg(names.mid(given.size()).join(' '))};
    if (given.size() > names.size())
        throw UsageError{QStringLiteral("unexpected argument '%1'").arg(given[names.size()])};
    return given;
}

void printJson(const QJsonObject& object)
{
    QTextStream(stdout) << QJsonDocument(object).toJson(QJsonDocument::Compact) << '\n';
}

void printLine(const QString& line)
{
    QTextStream(stdout) << line << '\n';
}

JobContext::ProgressSink terminalProgress()
{
    if (!isatty(fileno(stderr)))
        return {};
    return [](const JobProgress& p) {
        QString line = p.stage;
        if (p.total > 0)
            line += QStringLiteral(" %1%").arg(int(100.0 * double(p.done) / double(p.total)));
        if (p.etaSeconds >= 0)
            line += QStringLiteral("  ETA %1:%2")
                        .arg(int(p.etaSeconds) / 60)
                        .arg(int(p.etaSeconds) % 60, 2, 10, QLatin1Char('0'));
        std::fprintf(stderr, "\r%-70s", line.toLocal8Bit().constData());
        if (p.total > 0 && p.done >= p.total)
            std::fprintf(stderr, "\n");
        std::fflush(stderr);
    };
}

QString projectPathArgument(const QString& path)
{
    if (QFileInfo(path).suffix().isEmpty())
        return path + QStringLiteral(".ftproj");
    return path;
}

} // namespace fts::cli
