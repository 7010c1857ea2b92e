// Shared plumbing for ftstudio-cli verbs: usage errors, JSON output, progress on stderr.
#pragma once

#include "Error.h"
#include "jobs/Job.h"
#include "train/Hyperparameters.h"

#include <QCommandLineParser>
#include <QJsonObject>
#include <QStringList>

namespace fts::cli {

// Bad usage: printed with the verb's help hint, exit code 2.
struct UsageError
{
    QString message;
};

// `method` and every "--set KEY=VALUE" applied over `base`; any refusal is a UsageError.
Hyperparameters hyperparametersFromOptions(const QString& method, const QStringList& sets,
                                           Hyperparameters base = {});

// Parses `args` (verb first) with the verb's options; prints help and exits 0 on --help.
void parseOrThrow(QCommandLineParser& parser, const QStringList& args, const QString& verb,
                  const QString& description);
// Exactly `count` positional arguments (named in `names` for the message), or UsageError.
QStringList positionals(const QCommandLineParser& parser, const QStringList& names);

// --json, which every verb that reports accepts.
extern const QCommandLineOption kJson;
void printJson(const QJsonObject& object);
void printLine(const QString& line);
// Draws "stage 42% ETA 0:13" on stderr when it is a terminal; silent otherwise.
JobContext::ProgressSink terminalProgress();

QString projectPathArgument(const QString& path); // adds .ftproj when no suffix is given

int cmdNew(const QStringList& args);
int cmdInfo(const QStringList& args);
int cmdImport(const QStringList& args);
int cmdModels(const QStringList& args);
int cmdClean(const QStringList& args);
int cmdSplit(const QStringList& args);
int cmdData(const QStringList& args);
int cmdLabels(const QStringList& args);
int cmdDownload(const QStringList& args);
int cmdInspect(const QStringList& args);
int cmdTrain(const QStringList& args);
int cmdEval(const QStringList& args);
int cmdReport(const QStringList& args);
int cmdSweep(const QStringList& args);
int cmdFewShot(const QStringList& args);
int cmdSft(const QStringList& args);
int cmdReward(const QStringList& args);
int cmdDpo(const QStringList& args);
int cmdPpo(const QStringList& args);
int cmdFeedback(const QStringList& args);
int cmdPredict(const QStringList& args);
int cmdExport(const QStringList& args);
int cmdServe(const QStringList& args);
int cmdPretrain(const QStringList& args);

} // namespace fts::cli
