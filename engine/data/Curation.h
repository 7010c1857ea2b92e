// The curation recipe: ordered, previewable, undoable steps over a project's rows.
#pragma once

#include "jobs/Job.h"

#include <QDateTime>
#include <QJsonObject>
#include <QList>

namespace fts {

class Project;

// Step kinds and their parameters (all optional, defaults in brackets):
//  normalize   {nfkc [true], whitespace [true], html [true], mojibake [true]}
//  drop-empty  {}
//  dedupe      {}                      exact duplicates after normalisation; conflicts are listed
//  near-dedupe {threshold [0.8]}       MinHash + LSH over word 3-grams, Jaccard >= threshold
//  length      {min_chars, max_chars, min_words, max_words}
//  redact      {emails, phones, urls, ips, cards, ibans [true], patterns [], words []}
//  augment     {per_row [1], ops [["synonym","swap","delete","insert"]], alpha [0.1], seed [13],
//               thesaurus [Debian mythes-en-us]}   train split only, rows marked synthetic
//  split       {train [0.8], val [0.1], test [0.1], seed [13], stratify [true]}  rows without a split
struct StepEffect
{
    qint64 removed = 0;
    qint64 changed = 0;
    qint64 added = 0;
    QJsonObject details; // per kind: redaction counts, duplicate groups, conflicts, split sizes...
    QList<QPair<QString, QString>> examples; // up to a few (before, after) or (kept, removed) texts
    QJsonObject toJson() const;
    QString describe() const; // "removed 12 rows, changed 3"
};

struct RecipeStep
{
    qint64 id = 0;
    int seq = 0;
    QString kind;
    QJsonObject params;
    StepEffect effect;
    QString createdAt;
};

QStringList curationStepKinds();

// Runs the step in one transaction. With preview = true everything is rolled back and only the
// effect is returned; otherwise the step is recorded in the recipe. Throws fts::Error for unknown
// kinds or bad parameters (the message names the parameter and its allowed range).
StepEffect applyCurationStep(Project& project, const QString& kind, const QJsonObject& params,
                             bool preview = false, JobContext* ctx = nullptr);

// Reverts the most recent step exactly (removed rows return, edits are restored, added rows go).
// Returns the undone step; throws fts::Error when the recipe is empty.
RecipeStep undoLastCurationStep(Project& project);

QList<RecipeStep> curationRecipe(Project& project);

// Re-applies every recorded step, in order, with its parameters (after a fresh import of the same
// source, say). Returns the effects.
QList<StepEffect> replayCurationRecipe(Project& project, const QList<RecipeStep>& steps, JobContext* ctx = nullptr);

class CurationJob : public Job
{
public:
    CurationJob(QString projectPath, QString kind, QJsonObject params, bool preview = false);
    QString title() const override;
    void run(JobContext& ctx) override;
    QString summary() const override;
    const StepEffect& effect() const { return m_effect; }

private:
    QString m_projectPath;
    QString m_kind;
    QJsonObject m_params;
    bool m_preview;
    StepEffect m_effect;
};

} // namespace fts

namespace fts {

// Undo of the last step, as a job (the GUI's Ctrl+Z on the Data page).
class UndoCurationJob : public Job
{
public:
    explicit UndoCurationJob(QString projectPath) : m_projectPath(std::move(projectPath)) {}
    QString title() const override { return QStringLiteral("Undoing the last curation step"); }
    void run(JobContext& ctx) override;
    QString summary() const override;

private:
    QString m_projectPath;
    RecipeStep m_undone;
};

} // namespace fts
