// Finding rows whose given label is probably wrong: out-of-fold predictions from a classifier
// trained K times on the other folds, then confident learning (Northcutt, Jiang & Chuang 2021).
#pragma once

#include "jobs/Job.h"

#include <QList>
#include <QString>
#include <QStringList>

#include <vector>

namespace fts {

class Project;

struct ConfidentLearning
{
    std::vector<double> thresholds;         // per class: mean p(class) over rows given that class
    std::vector<std::vector<qint64>> joint; // [given][confident class] counts
    std::vector<int> likely;                // per row: its likely true class, -1 when none
    std::vector<int> flagged;               // rows whose label looks wrong, least self-confident first
};

// `probabilities[i]` are out-of-fold class probabilities of row i, `given[i]` its label. Row i
// counts in joint[given][j*], j* its most probable class among those whose probability reaches
// that class's threshold. Then, as cleanlab's default "prune by noise rate": for each given class
// i and other class j, the joint's share of i-rows that are really j, times the i-rows, is how
// many i-rows are flagged, those with the largest p(j) - p(i); rows the model predicts as their
// given label are never flagged.
ConfidentLearning confidentLearning(const std::vector<std::vector<double>>& probabilities,
                                    const std::vector<int>& given, int classes);

// Fold (0..folds-1) of each row: every class spread evenly over the folds, order seeded.
std::vector<int> stratifiedFolds(const std::vector<int>& labels, int folds, quint64 seed);

struct LabelIssueOptions
{
    // "words" (0/1 word features), "model" (the project's model, frozen, mean-pooled) or "auto"
    // (the model when the project has one that loads, else words).
    QString features = QStringLiteral("auto");
    int folds = 5;
    quint64 seed = 17;
    int maxLength = 128;
};

struct LabelIssue
{
    qint64 rowId = 0;
    QString text, split, given, likely;
    double givenProbability = 0;  // out-of-fold p(given label): low = suspicious
    double likelyProbability = 0; // out-of-fold p(likely label)
};

struct LabelIssueReport
{
    QString task;
    QStringList labels;
    QString features; // "words" or the model folder used
    int rows = 0, folds = 0;
    double outOfFoldAccuracy = 0; // how well the fold classifiers agree with the given labels
    // Set when that agreement is too low for the flags to mean much (most are then hard rows).
    QString caution;
    ConfidentLearning learning;
    QList<LabelIssue> issues; // most suspicious first
};

// Every labeled active row of `task` (empty: the first task), whatever its split. Throws fts::Error when fewer than two classes
// or ten rows are labeled, or the model cannot be read.
LabelIssueReport findLabelIssues(Project& project, const QString& task,
                                 const LabelIssueOptions& options = {}, JobContext* ctx = nullptr);

class LabelIssueJob : public Job
{
public:
    LabelIssueJob(QString projectPath, QString task, LabelIssueOptions options = {});
    QString title() const override;
    void run(JobContext& ctx) override;
    QString summary() const override;
    const LabelIssueReport& result() const { return m_result; }

private:
    QString m_projectPath, m_task;
    LabelIssueOptions m_options;
    LabelIssueReport m_result;
};

} // namespace fts
