// The Deploy page's playground for decoders: a chat, or a document to summarize, answered by the
// chosen run with the text streamed as it is written and every sampling setting at hand —
// optionally beside the base model or another run, so the effect of fine-tuning shows.
#pragma once

#include "deploy/TextGenerator.h"

#include <QPointer>
#include <QWidget>

#include <array>
#include <memory>

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;
class QTextBrowser;

namespace fts {

class GenerateJob;
class JobRunner;
struct JobOutcome;

// Something to compare with: a model folder (runId 0, e.g. the run's base model) or a run.
struct CompareChoice
{
    QString name;
    QString source; // the folder, or the project file
    qint64 runId = 0;
};

class GeneratePanel : public QWidget
{
    Q_OBJECT
public:
    enum class Mode { Chat, Summarize };

    explicit GeneratePanel(QWidget* parent = nullptr);
    ~GeneratePanel() override;
    void setJobRunner(JobRunner* jobs);
    // The model on the left; starts a new conversation. `choices` fill the "Compare with" list.
    void setGenerator(std::shared_ptr<TextGenerator> generator, const QString& name,
                      const QList<CompareChoice>& choices);
    // 0: nothing; i > 0: choices[i - 1], loaded on the engine thread (comparisonReady when done).
    bool chooseComparison(int index);
    bool hasComparison() const { return m_sides[1].generator != nullptr; }
    void setMode(Mode mode);
    Mode mode() const;

    // The next user turn (Chat) or a document (Summarize), answered by both sides in turn. False,
    // with the reason in statusText(), when busy, empty or nothing is loaded.
    bool send(const QString& text);
    void stop();
    void newConversation();
    bool isGenerating() const { return m_jobId != 0; }

    // The sampling settings as a request without prompt or messages.
    GenerateRequest sampling() const;
    void setSampling(const GenerateRequest& request);
    QString lastAnswer(int side) const;
    QString transcript(int side) const; // as shown, in plain text
    int streamedPieces(int side) const { return m_sides[size_t(side)].pieces; }
    QString statusText() const;

Q_SIGNALS:
    void answered(); // every side has finished (or was stopped)
    void comparisonReady();

private:
    struct Side
    {
        std::shared_ptr<TextGenerator> generator;
        QString name;
        QList<ChatMessage> history;
        QString pending; // the answer being written
        QString lastAnswer;
        int pieces = 0;
        QWidget* column = nullptr; // title and view; hidden as one, so the other side takes the width
        QLabel* title = nullptr;
        QTextBrowser* view = nullptr;
    };
    QWidget* buildSettings();
    void render(int side);
    // Streamed pieces redraw at most every 40 ms: a whole-transcript redraw per token would
    // grow with the conversation on the GUI thread.
    void queueRender();
    void appendPiece(qint64 ticket, int side, const QString& piece);
    void finish(qint64 ticket, const std::shared_ptr<GenerateJob>& job, const JobOutcome& outcome);
    void setStatus(const QString& text);

    // The runner may go first when the window closes (it is the window's first child).
    QPointer<JobRunner> m_jobs;
    std::array<Side, 2> m_sides;
    QList<CompareChoice> m_choices;
    int m_jobId = 0;
    qint64 m_loadTicket = 0;
    qint64 m_answerTicket = 0;  // a new conversation makes a late answer's pieces stale
    qint64 m_runningTicket = 0; // the ticket of the answer being written (0: none)
    bool m_renderQueued = false;
    QString m_userTurn;        // the message being answered, as the model reads it
    QString m_shownTurn;       // ... and as the transcript shows it (the document, not the prompt)

    QComboBox* m_mode;
    QComboBox* m_compare;
    QPlainTextEdit* m_input;
    QPushButton* m_send;
    QPushButton* m_stop;
    QLabel* m_status;
    QDoubleSpinBox* m_temperature;
    QSpinBox* m_topK;
    QDoubleSpinBox* m_topP;
    QSpinBox* m_maxNew;
    QDoubleSpinBox* m_repetition;
    QLineEdit* m_stops;
    QSpinBox* m_seed;
};

} // namespace fts
