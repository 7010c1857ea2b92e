// ftstudio-cli: the headless front end. Verbs and flags are fixed in shared/CLI.md.
#include "CliCommon.h"

#include "Error.h"
#include "runtime/TorchRuntime.h"

#include <QCoreApplication>
#include <QGuiApplication>
#include <QTextStream>

#include <functional>
#include <map>
#include <memory>
#include <string_view>

namespace {

const char* kUsage =
    "Usage: ftstudio-cli VERB [options]\n"
    "\n"
    "Verbs:\n"
    "  new PROJECT                 create an empty project (.ftproj)\n"
    "  info PROJECT [--json]       rows per split, label counts, runs\n"
    "  import PROJECT FILE         add the rows of a CSV/TSV file\n"
    "  clean PROJECT STEP          a curation step (normalize, dedupe, redact...), undo, recipe\n"
    "  split PROJECT               assign train/val/test (stratified, seeded)\n"
    "  data PROJECT --export FILE  write the current rows as CSV or JSONL\n"
    "  labels PROJECT ...          --import/--export labels (with annotator, time), --agreement\n"
    "  models [--json]             recommended and recently used models\n"
    "  inspect MODEL_DIR [--json]  architecture, layers, parameter counts, tokenizer\n"
    "  download MODEL_ID           fetch a model from the Hub (resumable, checked)\n"
    "  train PROJECT --model DIR --method M   fine-tune a classifier (or --resume RUN_ID)\n"
    "  eval PROJECT --run ID       a run's metrics on the test or val split\n"
    "  report PROJECT --run ID     a run's report (HTML or PDF); several --run: a comparison\n"
    "  sweep PROJECT --model DIR --method M --grid lr=1e-5,3e-5   grid or random search, best marked\n"
    "  fewshot PROJECT (--model DIR | --run ID) [--k 4] [--select random|balanced|similar]\n"
    "                              a decoder prompted with k labeled examples, scored on val, kept as a run\n"
    "  sft PROJECT --model DIR --data FILE     chat / summarization fine-tuning of a decoder\n"
    "  reward PROJECT --model DIR --data FILE  a reward model from pairs, ratings or rankings\n"
    "  dpo PROJECT --model DIR --data FILE     direct preference optimisation of a decoder\n"
    "  ppo PROJECT --model DIR --data FILE --reward-run ID   PPO against a reward model\n"
    "  feedback PROJECT            prompts, answers, judgements: --import/--export JSONL, --generate\n"
    "                              (reward/dpo/ppo --from-feedback, or train --objective, use them)\n"
    "  predict MODEL_OR_RUN INPUT --out FILE   batch predictions (or generations) for a file\n"
    "  export PROJECT --run ID --out DIR       a run as a Hugging Face folder with model card\n"
    "  serve MODEL_OR_RUN [--port N]           local HTTP inference server (127.0.0.1)\n"
    "  pretrain --corpus PATH --out DIR   pre-train (MLM / causal LM), from scratch or --model\n"
    "\n"
    "Run 'ftstudio-cli VERB --help' for a verb's options.\n"
    "Exit codes: 0 success, 1 failure (one line on stderr), 2 bad usage.\n";

} // namespace

int main(int argc, char** argv)
{
    // Reports draw their charts with fonts, which needs a QGuiApplication; the CLI never shows a
    // window, so it takes the offscreen platform unless one is set.
    std::unique_ptr<QCoreApplication> app;
    if (argc >= 2 && std::string_view(argv[1]) == "report") {
        if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
            qputenv("QT_QPA_PLATFORM", "offscreen");
        app = std::make_unique<QGuiApplication>(argc, argv);
    } else {
        app = std::make_unique<QCoreApplication>(argc, argv);
    }
    // Same names as the GUI, so both share settings (recent models) and the models folder.
    QCoreApplication::setOrganizationName(QStringLiteral("FinetuneStudio"));
    QCoreApplication::setApplicationName(QStringLiteral("Finetune Studio"));
    QCoreApplication::setApplicationVersion(QStringLiteral(FTS_VERSION));
    QTextStream err(stderr);

    const std::map<QString, std::function<int(const QStringList&)>> verbs = {
        {QStringLiteral("new"), fts::cli::cmdNew},
        {QStringLiteral("info"), fts::cli::cmdInfo},
        {QStringLiteral("import"), fts::cli::cmdImport},
        {QStringLiteral("clean"), fts::cli::cmdClean},
        {QStringLiteral("split"), fts::cli::cmdSplit},
        {QStringLiteral("data"), fts::cli::cmdData},
        {QStringLiteral("labels"), fts::cli::cmdLabels},
        {QStringLiteral("models"), fts::cli::cmdModels},
        {QStringLiteral("download"), fts::cli::cmdDownload},
        {QStringLiteral("inspect"), fts::cli::cmdInspect},
        {QStringLiteral("train"), fts::cli::cmdTrain},
        {QStringLiteral("eval"), fts::cli::cmdEval},
        {QStringLiteral("report"), fts::cli::cmdReport},
        {QStringLiteral("sweep"), fts::cli::cmdSweep},
        {QStringLiteral("fewshot"), fts::cli::cmdFewShot},
        {QStringLiteral("sft"), fts::cli::cmdSft},
        {QStringLiteral("reward"), fts::cli::cmdReward},
        {QStringLiteral("dpo"), fts::cli::cmdDpo},
        {QStringLiteral("ppo"), fts::cli::cmdPpo},
        {QStringLiteral("feedback"), fts::cli::cmdFeedback},
        {QStringLiteral("predict"), fts::cli::cmdPredict},
        {QStringLiteral("export"), fts::cli::cmdExport},
        {QStringLiteral("serve"), fts::cli::cmdServe},
        {QStringLiteral("pretrain"), fts::cli::cmdPretrain},
    };
    const QStringList args = QCoreApplication::arguments().mid(1);
    if (args.isEmpty()) {
        err << kUsage;
        return 2;
    }
    const QString verb = args[0];
    if (verb == QLatin1String("--help") || verb == QLatin1String("-h") || verb == QLatin1String("help")) {
        QTextStream(stdout) << kUsage;
        return 0;
    }
    if (verb == QLatin1String("--version")) {
        QTextStream(stdout) << "ftstudio-cli " << FTS_VERSION << "\n";
        return 0;
    }
    const auto it = verbs.find(verb);
    if (it == verbs.end()) {
        err << "ftstudio-cli: unknown verb '" << verb << "'\n\n" << kUsage;
        return 2;
    }
    try {
        fts::runtime::configureThreads();
        return it->second(args);
    } catch (const fts::cli::UsageError& e) {
        err << "ftstudio-cli " << verb << ": " << e.message << " (see 'ftstudio-cli " << verb
            << " --help')\n";
        return 2;
    } catch (const fts::Error& e) {
        err << "error: " << e.message() << "\n";
        return 1;
    } catch (const std::exception& e) {
        err << "error: internal error: " << e.what() << "\n";
        return 1;
    }
}
