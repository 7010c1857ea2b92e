// The Feedback page: people judge a decoder's answers, and the studio learns from it.
// Collect: prompts (typed or imported), candidate answers (written by a decoder as a job, typed or
// imported), then one of three keyboard-first ways to judge — rate each answer 1-5, rank them, or
// choose the better of two — each judgement on disk before the next shows, with progress and
// agreement between annotators. Train: a reward model, DPO or PPO on these judgements, live.
#pragma once

#include "feedback/Feedback.h"

#include <QWidget>

class QLabel;
class QLineEdit;
class QListWidget;
class QProgressBar;
class QPushButton;
class QShortcut;
class QTimer;
class QTabWidget;
class QTextBrowser;

namespace fts {

class FeedbackTrainPanel;
class JobRunner;
class Project;
struct CandidateSettings;
struct JobOutcome;

class FeedbackPage : public QWidget
{
    Q_OBJECT
public:
    enum class Mode { Rate, Rank, Choose };

    explicit FeedbackPage(QWidget* parent = nullptr);
    void setContext(Project* project, JobRunner* jobs);
    // Re-reads prompts and judgements (after an import or a job).
    void reload();

    // What the keys and buttons do, callable from tests and menus as well.
    QString annotator() const;
    void setAnnotator(const QString& name);
    Mode mode() const;
    void setMode(Mode mode);
    int promptCount() const;
    int currentPromptIndex() const;
    void selectPrompt(int index);
    void nextPrompt();
    void previousPrompt();
    QList<FeedbackCandidate> currentCandidates() const { return m_candidates; }
    // Rate mode: rates the selected answer (1-5) and moves on to the next unrated one.
    bool rateSelected(int rating);
    void selectAnswer(int index);
    // Rank mode: moves the selected answer up (-1) or down (+1); saveRanking commits the order.
    bool moveSelected(int delta);
    bool saveRanking();
    QList<qint64> rankingOrder() const; // the order shown, best first
    // Choose mode: the pair shown (A, B) and the verdict on it.
    QPair<qint64, qint64> currentPair() const;
    bool choose(PairChoice choice);
    bool undo();

    bool addPrompts(const QStringList& texts);
    bool addAnswer(const QString& text);
    // `form` as importFeedbackFile takes it; empty: told by the file's first line.
    bool importFile(const QString& path, const QString& form = {});
    bool exportFile(const QString& path, PreferenceKind form);
    bool writeAnswers(const CandidateSettings& settings); // a job; false when it cannot start
    bool isWritingAnswers() const { return m_generateJobId != 0; }

    QString statusText() const;
    QString progressText() const;
    FeedbackTrainPanel* trainPanel() const { return m_trainPanel; }

Q_SIGNALS:
    void runsChanged();

protected:
    void showEvent(QShowEvent* event) override;

private:
    void buildCollectTab(QWidget* tab);
    void showPrompt();
    void showRate();
    void showRank();
    void showChoose();
    void updateProgress();
    void updatePromptStates();
    bool promptDone(const FeedbackPrompt& prompt) const;
    void advanceAfterJudgement();
    void report(const QString& message, bool error = false);
    bool ready(); // a project and an annotator, or a message saying what is missing
    void onJobFinished(int id, const JobOutcome& outcome);
    void openWriteAnswersDialog();
    void openImportDialog();
    void openExportDialog();
    void openAddPromptsDialog();
    void openAddAnswerDialog();
    QList<QPair<int, int>> pairsOfCurrent() const;
    void enableModeKeys();
    void focusModeList();
    void refreshJudged(); // m_judged from the project
    void pushUndo(qint64 promptId, const JudgementChange& change);

    Project* m_project = nullptr;
    JobRunner* m_jobs = nullptr;
    QList<FeedbackPrompt> m_prompts;
    QList<FeedbackCandidate> m_candidates; // of the current prompt
    int m_current = -1;
    int m_pair = 0; // index into pairsOfCurrent()
    struct UndoEntry
    {
        qint64 promptId;
        Mode mode;
        JudgementChange change;
    };
    QList<UndoEntry> m_undo;
    int m_generateJobId = 0;
    QHash<qint64, int> m_judged; // this annotator's current judgements per prompt, in this mode
    QTimer* m_agreementTimer;    // agreement is recomputed once typing pauses, not per key
    // Keys that mean something in one mode only (digits rate, arrows choose): enabled with it, so
    // elsewhere the arrows still move through lists.
    QList<QPair<Mode, QShortcut*>> m_modeKeys;

    QLineEdit* m_annotator;
    QTabWidget* m_outer;
    QListWidget* m_promptList;
    QLabel* m_promptHeader;
    QLabel* m_promptText;
    QTabWidget* m_modes;
    QListWidget* m_rateList;
    QLineEdit* m_rubric;
    QListWidget* m_rankList;
    QLabel* m_rankState;
    QTextBrowser* m_choiceA;
    QTextBrowser* m_choiceB;
    QLabel* m_pairLabel;
    QLabel* m_guide;
    QProgressBar* m_progress;
    QLabel* m_agreement;
    QLabel* m_status;
    QProgressBar* m_jobProgress;
    QPushButton* m_cancelJob;
    FeedbackTrainPanel* m_trainPanel;
};

} // namespace fts
