// Few-shot prompting of a decoder as a classifier: k labeled examples from the training split in
// a completion prompt, the model's answer parsed back into the label set, and the accuracy on a
// split kept as a run of method "few_shot" so it sits beside the fine-tuned runs it is compared to.
#pragma once

#include "train/Evaluation.h"
#include "train/RunStore.h"

#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <atomic>
#include <functional>
#include <vector>

namespace fts {

class Project;
class TextGenerator;

enum class ShotSelection { Random, Balanced, Similar };
QString shotSelectionName(ShotSelection selection);            // "random", "balanced", "similar"
ShotSelection shotSelectionFromName(const QString& name);       // throws fts::Error naming the choices

struct Shot
{
    QString text;
    int label = 0; // index into the label list
};

struct FewShotOptions
{
    int k = 4;                       // examples in each prompt, 0..32 (0: zero-shot)
    ShotSelection selection = ShotSelection::Balanced;
    quint64 seed = 1;
    int maxNewTokens = 8;            // the answer is a label name: a few tokens, 1..64
    int maxShotChars = 400;          // longer example texts are cut (with "…"), 20..4000
    // Throws fts::Error naming the setting and its allowed range.
    void validate() const;
    // "k", "selection", "seed", "max_new_tokens", "max_shot_chars" (a seed above 2^53, which a
    // JSON number cannot hold exactly, as a string).
    QJsonObject toJson() const;
};

// Chooses `options.k` shots from `pool` for `query`: Random draws uniformly; Balanced takes the
// labels in turn (each label's examples drawn at random, the label order too) so every label
// appears when k allows and no label has two more shots than another that had examples left;
// Similar takes the k pool texts nearest to `query` by TF-IDF cosine of lower-cased words (ties by
// pool order) and returns them nearest last, i.e. next to the query in the prompt (Liu et al. 2022,
// "What makes good in-context examples for GPT-3"). Never the query itself (same text, ignoring
// surrounding spaces). Texts longer than options.maxShotChars come back cut. Fewer than k when the
// pool is smaller. Deterministic for a seed and query (the same in every process).
std::vector<Shot> chooseShots(const std::vector<Shot>& pool, int labelCount, const QString& query,
                              const FewShotOptions& options);

// The completion prompt: an instruction naming the labels, then "Text: …\nLabel: <label>" blocks,
// then the query's block ending in "Label:". Line breaks inside texts become spaces, so a text
// cannot start a block of its own.
QString fewShotPrompt(const QStringList& labels, const std::vector<Shot>& shots, const QString& query);

// The label a model's answer names, or -1: first non-empty line only, case-, quote- and
// punctuation-insensitive; a whole label name wins over a prefix of at least 3 letters that only
// one label starts with ("Positive." "positive!" "'neg'" "Label: positive"); when several labels
// are named, the earliest in the answer (at the same place, the longer label).
int parseFewShotAnswer(const QString& answer, const QStringList& labels);

struct FewShotEvaluation
{
    // Unparsed answers count as wrong: their rows have predicted -1 (shown as "—"), which the
    // report counts in `unanswered` and in no confusion column. No probabilities: a parsed label
    // is not a confidence, so the report has no loss or calibration.
    Evaluation evaluation;
    int unparsed = 0;
    QStringList answers;    // the raw answer of each evaluated row, in evaluation.rows order
    QString examplePrompt;  // the first row's prompt, to show the user what the model read
    // Prompts that lost shots (or, with none left, the end of the text) to fit the model's
    // context, and the shots a prompt held on average: a short-context model gets fewer than k.
    int trimmedPrompts = 0;
    double meanShots = 0;
    double seconds = 0;     // wall time of the prompting
    qint64 runId = 0;       // the run it was kept as (0 when not kept)
};

struct FewShotRequest
{
    QString task;           // empty: the project's first task
    QString split = QStringLiteral("val");
    QString modelDir;       // a decoder folder, or…
    qint64 decoderRunId = 0; // …a decoder run (SFT, DPO, PPO) of the project
    FewShotOptions options;
    int maxRows = 0;        // 0: every row of the split; else the first maxRows (row id order)
    bool keepAsRun = true;  // record a "few_shot" run with its metrics and stored evaluation
};

// Loads the decoder, prompts it for each row of the split (shots from the training split), parses
// and scores. `progress(done, total)` after each row; `cancel` stops within the row being answered
// (throws fts::Cancelled, nothing kept). Throws fts::Error for a missing split/task/model, for
// both or neither of modelDir and decoderRunId, and, when keepAsRun, for a read-only project
// (before any prompting).
FewShotEvaluation evaluateFewShot(Project& project, const FewShotRequest& request,
                                  const std::function<void(int, int)>& progress = {},
                                  const std::atomic<bool>* cancel = nullptr);

// Runs evaluateFewShot keeps: "few_shot". They have scores but no weights or checkpoint.
bool isFewShotRunMethod(const QString& method);
// What a report shows for a few-shot run, which cannot be evaluated again without its decoder and
// prompts: the newest evaluation kept with it (its report; no per-row predictions), whatever split
// a report asks for. report.total is 0 when none was kept.
Evaluation keptFewShotEvaluation(Project& project, const RunRecord& run);
// Throws fts::Error ("Run 5 is a few-shot evaluation: it has no trained weights to export …") when
// `run` is one; `use` completes the sentence ("export", "predict with", "evaluate").
void requireTrainedWeights(const RunRecord& run, const QString& use);

} // namespace fts
