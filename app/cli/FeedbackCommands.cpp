// ftstudio-cli feedback: the project's human feedback in and out as JSONL, candidate answers
// from a decoder, and where the annotators stand (progress and agreement).
#include "CliCommon.h"

#include "feedback/CandidateJob.h"
#include "feedback/CompareJob.h"
#include "feedback/Feedback.h"
#include "project/Project.h"

#include <QJsonArray>
#include <QTextStream>

namespace fts::cli {
namespace {

const QStringList kForms = {QStringLiteral("pairs"), QStringLiteral("ratings"),
                            QStringLiteral("rankings"), QStringLiteral("prompts")};

QJsonObject statusJson(Project& project)
{
    QJsonObject kinds;
    for (FeedbackKind kind : {FeedbackKind::Rating, FeedbackKind::Ranking, FeedbackKind::Choice}) {
        const FeedbackAgreement a = feedbackAgreement(project, kind);
        QJsonObject o{{"items", feedbackProgress(project, kind, QString()).items},
                      {"annotators", a.annotators},
                      {"items_with_two_or_more_annotators", a.items}};
        if (a.items > 0) {
            o.insert(QStringLiteral("percent_agreement"), a.percent);
            o.insert(QStringLiteral("krippendorff_alpha"), a.alpha);
        }
        kinds.insert(feedbackKindName(kind), o);
    }
    qint64 candidates = 0;
    const QList<FeedbackPrompt> prompts = feedbackPrompts(project);
    for (const FeedbackPrompt& p : prompts)
        candidates += p.candidates;
    // Blind verdicts on the answers of tuned runs against their starting models.
    QJsonObject compared;
    for (qint64 run : comparedRuns(project)) {
        const HumanVerdicts v = humanVerdicts(project, run);
        compared.insert(QString::number(run), QJsonObject{{"pairs", v.pairs}, {"wins", v.wins}, {"ties", v.ties},
                                                          {"losses", v.losses},
                                                          {"win_rate", v.total() > 0 ? QJsonValue(v.winRate()) : QJsonValue()}});
    }
    return {{"prompts", qint64(prompts.size())},
            {"candidates", candidates},
            {"pairs", qint64(feedbackRecords(project, PreferenceKind::Pairs).size())},
            {"judgements", kinds},
            {"human_verdicts_by_run", compared}};
}

} // namespace

int cmdFeedback(const QStringList& args)
{
    QCommandLineParser parser;
    const QCommandLineOption importOpt(QStringLiteral("import"),
                                       QStringLiteral("Add the records of a JSONL file (all or "
                                                      "nothing: a bad line changes nothing)."),
                                       QStringLiteral("FILE"));
    const QCommandLineOption exportOpt(QStringLiteral("export"),
                                       QStringLiteral("Write the current judgements as JSONL."),
                                       QStringLiteral("FILE"));
    const QCommandLineOption form(QStringLiteral("form"),
                                  QStringLiteral("pairs {prompt, chosen, rejected}, ratings "
                                                 "{prompt, response, rating}, rankings {prompt, "
                                                 "responses: [best first]}, or prompts (import "
                                                 "only: {prompt} or plain lines). Default: told "
                                                 "by the first line (import), pairs (export)."),
                                  QStringLiteral("FORM"));
    const QCommandLineOption generate(QStringLiteral("generate"),
                                      QStringLiteral("Write candidate answers for every prompt "
                                                     "with the decoder in DIR."),
                                      QStringLiteral("DIR"));
    const QCommandLineOption k(QStringLiteral("k"), QStringLiteral("Answers per prompt (2-16, default 4)."),
                               QStringLiteral("N"), QStringLiteral("4"));
    const QCommandLineOption temperature(QStringLiteral("temperature"),
                                         QStringLiteral("Sampling temperature (default 0.9)."),
                                         QStringLiteral("T"), QStringLiteral("0.9"));
    const QCommandLineOption topP(QStringLiteral("top-p"), QStringLiteral("Nucleus sampling (default 0.95)."),
                                  QStringLiteral("P"), QStringLiteral("0.95"));
    const QCommandLineOption maxNew(QStringLiteral("max-new-tokens"),
                                    QStringLiteral("Answer length limit (default 48)."),
                                    QStringLiteral("N"), QStringLiteral("48"));
    const QCommandLineOption seed(QStringLiteral("seed"), QStringLiteral("Sampling seed (default 1)."),
                                  QStringLiteral("N"), QStringLiteral("1"));
    const QCommandLineOption compare(QStringLiteral("compare"),
                                     QStringLiteral("A tuned run (SFT, DPO, PPO) and its starting model "
                                                    "answer the held-out prompts; both answers are stored "
                                                    "for people to judge blind (greedy unless --temperature)."),
                                     QStringLiteral("RUN_ID"));
    const QCommandLineOption rewardRun(QStringLiteral("reward-run"),
                                       QStringLiteral("With --compare: a reward model that judges each pair too."),
                                       QStringLiteral("RUN_ID"));
    const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Print one JSON object."));
    parser.addOptions({importOpt, exportOpt, form, generate, compare, rewardRun, k, temperature, topP, maxNew,
                       seed, json});
    parseOrThrow(parser, args, QStringLiteral("feedback"),
                 QStringLiteral("Human feedback for reward models, DPO and PPO: import or export "
                                "it as JSONL, write candidate answers with a decoder, or (with no "
                                "action) show prompts, judgements, progress and agreement."));
    const QString path = projectPathArgument(positionals(parser, {QStringLiteral("PROJECT")}).at(0));
    const int actions = int(parser.isSet(importOpt)) + int(parser.isSet(exportOpt)) + int(parser.isSet(generate))
                        + int(parser.isSet(compare));
    if (actions > 1)
        throw UsageError{QStringLiteral("give one of --import, --export, --generate and --compare")};
    if (parser.isSet(rewardRun) && !parser.isSet(compare))
        throw UsageError{QStringLiteral("--reward-run goes with --compare")};
    for (const QCommandLineOption* o : {&k, &topP})
        if (parser.isSet(*o) && !parser.isSet(generate))
            throw UsageError{QStringLiteral("--%1 goes with --generate").arg(o->names().constFirst())};
    QString formName = parser.value(form);
    if (formName.isEmpty())
        formName = parser.isSet(importOpt) ? guessFeedbackForm(parser.value(importOpt))
                                           : QStringLiteral("pairs");
    if (!kForms.contains(formName))
        throw UsageError{QStringLiteral("--form must be pairs, ratings, rankings or prompts, not '%1'").arg(formName)};
    const bool asJson = parser.isSet(json);

    if (parser.isSet(generate)) {
        CandidateSettings s;
        s.modelDir = parser.value(generate);
        bool ok1 = false, ok2 = false, ok3 = false, ok4 = false, ok5 = false;
        s.perPrompt = parser.value(k).toInt(&ok1);
        s.temperature = parser.value(temperature).toDouble(&ok2);
        s.topP = parser.value(topP).toDouble(&ok3);
        s.maxNewTokens = parser.value(maxNew).toInt(&ok4);
        s.seed = parser.value(seed).toULongLong(&ok5);
        if (!(ok1 && ok2 && ok3 && ok4 && ok5))
            throw UsageError{QStringLiteral("--k, --temperature, --top-p, --max-new-tokens and --seed need numbers")};
        try {
            validateCandidateSettings(s);
        } catch (const Error& e) {
            throw UsageError{e.message()};
        }
        Project::open(path); // a missing or locked project fails here, before the model loads
        GenerateCandidatesJob job(path, s);
        JobContext ctx(nullptr, terminalProgress(), [asJson](const QString& line) {
            if (!asJson)
                QTextStream(stderr) << line << "\n";
        });
        job.run(ctx);
        if (asJson)
            printJson({{"generated", job.generated()}});
        else
            printLine(job.summary());
        return 0;
    }

    if (parser.isSet(compare)) {
        CompareSettings c;
        bool ok1 = false, ok2 = true, ok3 = true, ok4 = false, ok5 = false;
        c.runId = parser.value(compare).toLongLong(&ok1);
        if (parser.isSet(rewardRun))
            c.rewardRunId = parser.value(rewardRun).toLongLong(&ok2);
        if (parser.isSet(temperature))
            c.temperature = parser.value(temperature).toDouble(&ok3);
        c.maxNewTokens = parser.value(maxNew).toInt(&ok4);
        c.seed = parser.value(seed).toULongLong(&ok5);
        if (!(ok1 && ok2 && ok3 && ok4 && ok5) || c.runId <= 0)
            throw UsageError{QStringLiteral("--compare and --reward-run need run ids; --temperature, "
                                            "--max-new-tokens and --seed need numbers")};
        ComparePolicyJob job(path, c);
        JobContext ctx(nullptr, terminalProgress(), [asJson](const QString& line) {
            if (!asJson)
                QTextStream(stderr) << line << "\n";
        });
        job.run(ctx);
        const CompareResult& r = job.result();
        if (asJson) {
            QJsonObject o{{"run_id", c.runId}, {"prompts", r.prompts}, {"identical", r.identical}};
            if (c.rewardRunId > 0)
                o.insert(QStringLiteral("reward_model"), QJsonObject{{"run_id", c.rewardRunId},
                                                                     {"wins", r.rewardWins},
                                                                     {"ties", r.rewardTies},
                                                                     {"losses", r.rewardLosses},
                                                                     {"win_rate", r.rewardWinRate()}});
            printJson(o);
        } else {
            printLine(job.summary());
        }
        return 0;
    }

    auto project = Project::open(path, parser.isSet(importOpt) ? Project::Access::ReadWrite
                                                               : Project::Access::ReadOnly);
    if (parser.isSet(importOpt)) {
        const FeedbackImport r = importFeedbackFile(*project, parser.value(importOpt), formName);
        if (asJson)
            printJson({{"prompts", r.prompts}, {"candidates", r.candidates}, {"judgements", r.judgements}});
        else
            printLine(QStringLiteral("Imported %1 new prompt(s), %2 new answer(s), %3 judgement(s).")
                          .arg(r.prompts)
                          .arg(r.candidates)
                          .arg(r.judgements));
        return 0;
    }
    if (parser.isSet(exportOpt)) {
        if (formName == QLatin1String("prompts"))
            throw UsageError{QStringLiteral("--export writes pairs, ratings or rankings")};
        const int n = exportFeedbackJsonl(*project, parser.value(exportOpt), preferenceKindFromName(formName));
        if (asJson)
            printJson({{"records", n}, {"file", parser.value(exportOpt)}});
        else
            printLine(QStringLiteral("Wrote %1 %2 to %3.").arg(n).arg(formName, parser.value(exportOpt)));
        return 0;
    }
    const QJsonObject status = statusJson(*project);
    if (asJson) {
        printJson(status);
        return 0;
    }
    printLine(QStringLiteral("%1 prompt(s), %2 candidate answer(s), %3 preference pair(s).")
                  .arg(status.value("prompts").toInt())
                  .arg(status.value("candidates").toInt())
                  .arg(status.value("pairs").toInt()));
    const QJsonObject kinds = status.value("judgements").toObject();
    for (const QString& kind : kinds.keys()) {
        const QJsonObject o = kinds.value(kind).toObject();
        QString line = QStringLiteral("%1: %2 annotator(s)").arg(kind).arg(o.value("annotators").toInt());
        if (o.contains(QStringLiteral("percent_agreement")))
            line += QStringLiteral(", agreement %1% on %2 item(s), Krippendorff's alpha %3")
                        .arg(o.value("percent_agreement").toDouble(), 0, 'f', 1)
                        .arg(o.value("items_with_two_or_more_annotators").toInt())
                        .arg(o.value("krippendorff_alpha").toDouble(), 0, 'f', 3);
        printLine(line);
    }
    const QJsonObject compared = status.value("human_verdicts_by_run").toObject();
    for (const QString& run : compared.keys()) {
        const QJsonObject v = compared.value(run).toObject();
        printLine(QStringLiteral("run %1 vs its starting model, people's blind verdicts on %5 pair(s): %2 won, %3 tied, %4 lost")
                      .arg(run)
                      .arg(v.value("wins").toInt())
                      .arg(v.value("ties").toInt())
                      .arg(v.value("losses").toInt())
                      .arg(v.value("pairs").toInt()));
    }
    return 0;
}

} // namespace fts::cli
