// ftstudio-cli sft / reward / dpo: decoder fine-tuning on JSONL files, run to the end as a job.
#include "CliCommon.h"

#include "align/AlignJob.h"
#include "align/PpoTrainer.h"
#include "feedback/Feedback.h"
#include "project/Project.h"

#include <QFileInfo>
#include <QTextStream>

namespace fts::cli {
namespace {

struct AlignVerb
{
    AlignKind kind;
    QString name;
    QString description;
    QString taskHelp;
    QString defaultTask;
};

int runAlignVerb(const AlignVerb& verb, const QStringList& args)
{
    QCommandLineParser parser;
    const QCommandLineOption model(QStringLiteral("model"),
                                   QStringLiteral("Model folder (Hugging Face layout)."),
                                   QStringLiteral("DIR"));
    const QCommandLineOption data(QStringLiteral("data"), QStringLiteral("JSONL training file."),
                                  QStringLiteral("FILE"));
    const QCommandLineOption fromFeedback(
        QStringLiteral("from-feedback"),
        QStringLiteral("Train on the project's own feedback (the Feedback page, 'ftstudio-cli "
                       "feedback') instead of --data; it is frozen into a JSONL file in the "
                       "project's artifacts folder, which the run names and hashes."));
    const QCommandLineOption task(QStringLiteral("task"), verb.taskHelp, QStringLiteral("TASK"),
                                  verb.defaultTask);
    const QCommandLineOption method(QStringLiteral("method"),
                                    QStringLiteral("full (default), freeze or lora."),
                                    QStringLiteral("METHOD"), QStringLiteral("full"));
    const QCommandLineOption beta(QStringLiteral("beta"),
                                  QStringLiteral("DPO: how strongly the policy stays near the "
                                                 "reference (default 0.1; usually 0.05-0.5)."),
                                  QStringLiteral("BETA"), QStringLiteral("0.1"));
    const QCommandLineOption set(QStringLiteral("set"),
                                 QStringLiteral("A hyperparameter, e.g. lr=1e-4 (repeatable)."),
                                 QStringLiteral("KEY=VALUE"));
    const QCommandLineOption resume(QStringLiteral("resume"),
                                    QStringLiteral("Continue an interrupted run."),
                                    QStringLiteral("RUN_ID"));
    const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Print one JSON object."));
    const QCommandLineOption rewardRun(QStringLiteral("reward-run"),
                                       QStringLiteral("PPO: the reward model run that scores "
                                                      "answers (from 'ftstudio-cli reward')."),
                                       QStringLiteral("RUN_ID"));
    const QCommandLineOption ppo(QStringLiteral("ppo"),
                                 QStringLiteral("A PPO setting (repeatable): rollout_prompts, "
                                                "ppo_epochs, mini_batch, max_new_tokens, "
                                                "temperature, kl_coef, kl_target, kl_horizon, "
                                                "clip_epsilon, value_clip, value_coef, "
                                                "entropy_coef, gamma, lambda."),
                                 QStringLiteral("KEY=VALUE"));
    parser.addOptions({model, data, task, method, set, resume, json});
    if (verb.kind != AlignKind::Sft)
        parser.addOption(fromFeedback);
    if (verb.kind == AlignKind::Dpo)
        parser.addOption(beta);
    if (verb.kind == AlignKind::Ppo)
        parser.addOptions({rewardRun, ppo});
    parseOrThrow(parser, args, verb.name, verb.description);
    const QString path =
        projectPathArgument(positionals(parser, {QStringLiteral("PROJECT")}).at(0));

    AlignOptions options;
    qint64 resumeId = 0;
    if (parser.isSet(resume)) {
        bool ok = false;
        resumeId = parser.value(resume).toLongLong(&ok);
        if (!ok || resumeId <= 0)
            throw UsageError{QStringLiteral("--resume needs a run id (a number)")};
        if (parser.isSet(model) || parser.isSet(data) || parser.isSet(set) ||
            (verb.kind != AlignKind::Sft && parser.isSet(fromFeedback)))
            throw UsageError{QStringLiteral("--resume continues with the run's own model, data "
                                            "and settings; leave out --model, --data, "
                                            "--from-feedback and --set")};
    } else {
        const bool feedback = verb.kind != AlignKind::Sft && parser.isSet(fromFeedback);
        if (!parser.isSet(model) || parser.isSet(data) == feedback)
            throw UsageError{verb.kind == AlignKind::Sft
                                 ? QStringLiteral("sft needs --model DIR and --data FILE")
                                 : QStringLiteral("%1 needs --model DIR and either --data FILE or "
                                                  "--from-feedback")
                                       .arg(verb.name)};
        options.modelDir = parser.value(model);
        options.task = parser.value(task);
        options.dataFile = parser.value(data);
        if (!feedback && !QFileInfo(options.dataFile).isFile())
            throw UsageError{QStringLiteral("--data %1 is not a file").arg(options.dataFile)};
        bool ok = true;
        if (verb.kind == AlignKind::Dpo)
            options.beta = parser.value(beta).toDouble(&ok);
        if (!ok)
            throw UsageError{QStringLiteral("--beta needs a number such as 0.1")};
        if (verb.kind == AlignKind::Ppo) {
            options.rewardRunId = parser.value(rewardRun).toLongLong(&ok);
            if (!ok || options.rewardRunId <= 0)
                throw UsageError{QStringLiteral("ppo needs --reward-run RUN_ID (a reward model)")};
            for (const QString& kv : parser.values(ppo)) {
                const qsizetype eq = kv.indexOf(QLatin1Char('='));
                if (eq <= 0)
                    throw UsageError{QStringLiteral("--ppo needs KEY=VALUE, got '%1'").arg(kv)};
                try {
                    setPpoSetting(options.ppo, kv.left(eq).trimmed(), kv.mid(eq + 1).trimmed());
                } catch (const Error& e) {
                    throw UsageError{e.message()};
                }
            }
        }
        options.hp =
            hyperparametersFromOptions(parser.value(method), parser.values(set), options.hp);
        // Frozen only once every option checked out, so a refused command leaves no file behind.
        if (feedback) {
            auto project = Project::open(path);
            if (verb.kind == AlignKind::Ppo) {
                options.dataFile = writeFeedbackPromptSnapshot(*project);
            } else {
                const QString form = options.task == QLatin1String("rankings-pairs")
                                         ? QStringLiteral("rankings")
                                         : options.task;
                options.dataFile = writeFeedbackSnapshot(*project, preferenceKindFromName(form));
            }
        }
    }
    AlignJob job(verb.kind, path, options, resumeId);
    const bool asJson = parser.isSet(json);
    JobContext ctx(nullptr, terminalProgress(), [asJson](const QString& line) {
        if (!asJson)
            QTextStream(stderr) << line << "\n";
    });
    job.run(ctx);
    const AlignResult& r = job.result();
    if (asJson) {
        QJsonObject before, after;
        for (auto it = r.before.cbegin(); it != r.before.cend(); ++it)
            before.insert(it.key(), it.value());
        for (auto it = r.after.cbegin(); it != r.after.cend(); ++it)
            after.insert(it.key(), it.value());
        printJson({{"run_id", r.runId},
                   {"status", r.status},
                   {"steps", r.steps},
                   {"val_before", before},
                   {"val_after", after}});
    } else {
        printLine(job.summary());
    }
    return 0;
}

} // namespace

int cmdSft(const QStringList& args)
{
    return runAlignVerb(
        {AlignKind::Sft, QStringLiteral("sft"),
         QStringLiteral("Supervised fine-tuning of a decoder on a JSONL file; the loss is on the "
                        "answers only.\n"
                        "chat: {\"messages\": [{\"role\", \"content\"}...]} or {\"instruction\", "
                        "\"response\"} per line; summarization: {\"document\", \"summary\"}.\n"
                        "An optional \"split\" (train/val/test) per line; val lines give the "
                        "held-out perplexity before and after. Recorded as method sft-chat or "
                        "sft-summarization."),
         QStringLiteral("chat (default) or summarization."), QStringLiteral("chat")},
        args);
}

int cmdReward(const QStringList& args)
{
    return runAlignVerb(
        {AlignKind::Reward, QStringLiteral("reward"),
         QStringLiteral("Train a reward model (a score head on the model) from preferences.\n"
                        "pairs: {\"prompt\", \"chosen\", \"rejected\"} (Bradley-Terry); "
                        "ratings: {\"prompt\", \"response\", \"rating\"} (regression); "
                        "rankings: {\"prompt\", \"responses\": [best first...]} (ListMLE), or "
                        "rankings-pairs (every pair of each ranking, Bradley-Terry).\n"
                        "val lines give the held-out pairwise accuracy before and after."),
         QStringLiteral("pairs (default), ratings, rankings or rankings-pairs."),
         QStringLiteral("pairs")},
        args);
}

int cmdDpo(const QStringList& args)
{
    return runAlignVerb(
        {AlignKind::Dpo, QStringLiteral("dpo"),
         QStringLiteral("Direct preference optimisation of a decoder on {\"prompt\", \"chosen\", "
                        "\"rejected\"} JSONL, against a frozen copy of the model as reference.\n"
                        "val lines report loss, implicit reward margin and accuracy before and "
                        "after. Dropout is 0 unless --set dropout=... says otherwise."),
         QStringLiteral("pairs (the only form DPO reads)."), QStringLiteral("pairs")},
        args);
}

int cmdPpo(const QStringList& args)
{
    return runAlignVerb(
        {AlignKind::Ppo, QStringLiteral("ppo"),
         QStringLiteral("PPO fine-tuning of a decoder against a trained reward model.\n"
                        "--data: prompts JSONL, {\"prompt\"} per line (optional \"split\"; val "
                        "prompts measure mean reward and win rate against the starting model).\n"
                        "Each step samples rollout_prompts answers, scores them, subtracts a "
                        "per-token KL penalty (kl_coef; kl_target > 0 adapts it) so the model "
                        "cannot drift into text the reward model misjudges, and runs ppo_epochs "
                        "passes of clipped updates (clip_epsilon keeps each update small). "
                        "--set max_steps=N counts rollout batches."),
         QStringLiteral("prompts (the only form PPO reads)."), QStringLiteral("prompts")},
        args);
}

} // namespace fts::cli
