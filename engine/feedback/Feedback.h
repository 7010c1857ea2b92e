// Human feedback stored in the project: prompts, candidate answers, and each person's ratings,
// rankings and pair choices, committed one by one (synchronous=FULL) with who and when.
#pragma once

#include "align/PreferenceData.h"

#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QMap>
#include <QString>

#include <vector>

namespace fts {

class Project;

struct FeedbackPrompt
{
    qint64 id = 0;
    QString text;
    QString split; // train, val or test: fixed when the prompt is added
    QString source; // "typed", "import:<file>"
    int candidates = 0;
};

struct FeedbackCandidate
{
    qint64 id = 0;
    qint64 promptId = 0;
    QString text;
    QString origin;       // "generated", "typed", "import:<file>"
    QJsonObject settings; // generated: model and sampling settings
};

enum class FeedbackKind { Rating, Ranking, Choice };
QString feedbackKindName(FeedbackKind kind); // "rating", "ranking", "choice"

enum class PairChoice { First, Second, Tie };

// One judgement as committed, enough to undo it: `replaced` is the same annotator's earlier
// judgement on the same subject (0 when there was none).
struct JudgementChange
{
    qint64 added = 0;
    qint64 replaced = 0;
};

// Rating scale of the Feedback page; imported ratings may use any numbers.
constexpr int kMinRating = 1;
constexpr int kMaxRating = 5;

// The split a prompt gets when none is given: 80% train, 10% val, 10% test, from a hash of the
// text, so the same prompt lands in the same split in every project.
QString promptSplitFor(const QString& text);

// Returns the prompt's id; a prompt whose text is already there keeps its id and split. Empty
// text is refused with fts::Error.
qint64 addFeedbackPrompt(Project& project, const QString& text, const QString& source,
                         const QString& split = {});
qint64 addFeedbackCandidate(Project& project, qint64 promptId, const QString& text,
                            const QString& origin, const QJsonObject& settings = {});
QList<FeedbackPrompt> feedbackPrompts(Project& project);
QList<FeedbackCandidate> feedbackCandidates(Project& project, qint64 promptId);

// Each returns after the judgement is on disk; throws fts::Error for a rating outside 1-5, a
// ranking that is not a permutation of the prompt's candidates, or candidates of other prompts.
JudgementChange rateCandidate(Project& project, qint64 candidateId, int rating,
                              const QString& annotator);
JudgementChange rankCandidates(Project& project, qint64 promptId, const QList<qint64>& bestFirst,
                               const QString& annotator);
JudgementChange choosePair(Project& project, qint64 first, qint64 second, PairChoice choice,
                           const QString& annotator);
void undoJudgement(Project& project, const JudgementChange& change);

// The annotator's current judgements on one prompt.
QMap<qint64, double> ratingsBy(Project& project, qint64 promptId, const QString& annotator);
QList<qint64> rankingBy(Project& project, qint64 promptId, const QString& annotator);
// Current judgements of one annotator per prompt, in one query (ratings count answers, choices
// pairs, rankings 0 or 1).
QHash<qint64, int> judgedPerPrompt(Project& project, FeedbackKind kind, const QString& annotator);
// Which side shows which answer of a pair: the same for one person every time, different across
// pairs and people, so neither the tuned nor the first-written answer is always on the left.
bool showSwapped(qint64 first, qint64 second, const QString& annotator);
// "first", "second", "tie", or empty when this pair has no choice from the annotator yet.
QString choiceBy(Project& project, qint64 first, qint64 second, const QString& annotator);

// How far an annotator is: ratings count candidates, rankings prompts with two or more
// candidates, choices every pair of candidates of a prompt.
struct FeedbackProgress
{
    qint64 items = 0;
    qint64 judged = 0;
};
FeedbackProgress feedbackProgress(Project& project, FeedbackKind kind, const QString& annotator);

// Agreement between annotators on the items two or more of them judged: the share of annotator
// pairs that agree and Krippendorff's alpha (nominal). A ranking counts as the pairs it implies.
struct FeedbackAgreement
{
    int items = 0;      // items with two or more annotators
    int annotators = 0; // distinct annotators in this kind
    double percent = 0; // 0-100; meaningful when items > 0
    double alpha = 0;
};
FeedbackAgreement feedbackAgreement(Project& project, FeedbackKind kind);

// Every current judgement in one of the common JSONL forms, splits from the prompts.
// Pairs: each non-tie choice, every pair a ranking implies and, per prompt and annotator, every
// two ratings that differ. Ratings: each rating. Rankings: each ranking.
std::vector<PreferenceRecord> feedbackRecords(Project& project, PreferenceKind form);

// A tuned run's answer and its starting model's answer to one prompt (feedback/CompareJob.h);
// comparing the same run on the same prompt again replaces the pair.
void recordComparison(Project& project, qint64 runId, qint64 promptId, qint64 tunedId, qint64 referenceId);
// The runs with stored comparisons, oldest first.
QList<qint64> comparedRuns(Project& project);

// People's blind verdicts on a run's compared pairs: every annotator's current choice on each.
struct HumanVerdicts
{
    int pairs = 0;                      // pairs stored for the run
    int wins = 0, ties = 0, losses = 0; // from the tuned answer's side
    int total() const { return wins + ties + losses; }
    double winRate() const { return total() > 0 ? (wins + 0.5 * ties) / total() : 0; }
};
HumanVerdicts humanVerdicts(Project& project, qint64 runId);

struct FeedbackImport
{
    int prompts = 0, candidates = 0, judgements = 0;
    int repeated = 0; // lines that judged an item an earlier line of the file judged: the last counts
};
// `form`: pairs, ratings, rankings (readPreferenceJsonl's forms) or prompts ({"prompt": ...} per
// line, or plain text lines). One transaction: a bad line leaves the project unchanged, and the
// error names the line. Imported judgements have the annotator "import:<file name>".
FeedbackImport importFeedbackFile(Project& project, const QString& path, const QString& form);
// The form of a file from its first record: "pairs" (chosen/rejected), "ratings" (rating),
// "rankings" (responses) or "prompts" (a prompt alone, or plain text). Throws when unreadable.
QString guessFeedbackForm(const QString& path);
// Writes feedbackRecords atomically; returns the number of lines. Throws when there are none.
int exportFeedbackJsonl(Project& project, const QString& path, PreferenceKind form);
// The records a reward-model or DPO run trains on, frozen as a file in the artifacts folder
// (feedback/<form>-<time>.jsonl) so the run can name, hash and resume it. Throws fts::Error when
// there are no training records, saying what to judge first.
QString writeFeedbackSnapshot(Project& project, PreferenceKind form);
// The prompts as {"prompt", "split"} lines, for PPO.
QString writeFeedbackPromptSnapshot(Project& project);

} // namespace fts
