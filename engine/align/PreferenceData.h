// Preference data in the common JSONL forms: pairs {"prompt","chosen","rejected"}, ratings
// {"prompt","response","rating"} and rankings {"prompt","responses": [best first...]}.
#pragma once

#include <QString>
#include <QStringList>

#include <utility>
#include <vector>

namespace fts {

enum class PreferenceKind { Pairs, Ratings, Rankings };
QString preferenceKindName(PreferenceKind kind);            // "pairs", "ratings", "rankings"
PreferenceKind preferenceKindFromName(const QString& name); // throws fts::Error for others

// One line of any form. Pairs fill `responses` = {chosen, rejected}; rankings list the responses
// best first; ratings hold one response and its rating.
struct PreferenceRecord
{
    QString prompt;
    QStringList responses;
    double rating = 0;
    QString split; // train (default), val, test
    bool splitGiven = false; // the line named its split
    int line = 0;
};

// Throws fts::Error naming the file, the line and the field at fault (a missing field, a ranking
// of fewer than two responses, a rating that is not a number).
std::vector<PreferenceRecord> readPreferenceJsonl(const QString& path, PreferenceKind kind);

// Every (better, worse) pair the records imply, as indices into responses: each pair, all pairs of
// a ranking, and within a prompt every two ratings that differ (the higher one better).
struct ResponsePair
{
    int betterRecord = 0, betterResponse = 0;
    int worseRecord = 0, worseResponse = 0;
};
std::vector<ResponsePair> impliedPairs(const std::vector<PreferenceRecord>& records,
                                       PreferenceKind kind);

} // namespace fts
