// Shared by baselines now and by trained runs later: the same rows, the same report.
#include "train/Evaluation.h"

#include "Error.h"
#include "label/LexiconSuggester.h"
#include "project/Project.h"

#include <algorithm>

namespace fts {

Evaluation evaluateOnSplit(Project& project, const QString& task, const QString& split, const QStringList& labels,
                           const QString& predictorName, const Predictor& predict)
{
    Evaluation e;
    e.task = task;
    e.split = split;
    e.predictor = predictorName;
    SqlQuery q(project.db(), QStringLiteral("SELECT r.id, r.text, g.value FROM rows r JOIN gold_labels g ON g.row_id = r.id "
                                            "WHERE g.task = ? AND r.split = ? AND r.removed_by_step IS NULL ORDER BY r.id"));
    q.bind(task).bind(split).exec("read the evaluation rows");
    std::vector<int> truth, predicted;
    std::vector<std::vector<double>> probabilities;
    while (q.next()) {
        RowPrediction p;
        p.rowId = q.value(0).toLongLong();
        p.text = q.value(1).toString();
        p.truth = int(labels.indexOf(q.value(2).toString()));
        if (p.truth < 0)
            throw Error(QStringLiteral("Row %1 has the label '%2', which is not one of %3; fix the label or the label set.")
                            .arg(p.rowId).arg(q.value(2).toString(), labels.join(QStringLiteral(", "))));
        p.probabilities = predict(p.text);
        p.predicted = int(std::max_element(p.probabilities.begin(), p.probabilities.end()) - p.probabilities.begin());
        truth.push_back(p.truth);
        predicted.push_back(p.predicted);
        probabilities.push_back(p.probabilities);
        e.rows << p;
    }
    if (e.rows.isEmpty())
        throw Error(QStringLiteral("The %1 split has no rows labeled in '%2': nothing to evaluate. Assign splits on the "
                                   "Data page (Split) or label some rows.").arg(split, task));
    e.report = classificationReport(labels, truth, predicted, probabilities);
    return e;
}

Predictor lexiconPredictor(const QStringList& labels)
{
    const LexiconSuggester suggester(labels);
    if (!suggester.isApplicable())
        throw Error(QStringLiteral("The lexicon baseline needs sentiment labels (negative, positive, optionally neutral); "
                                   "these are: %1.").arg(labels.join(QStringLiteral(", "))));
    return [suggester](const QString& text) { return suggester.suggest(text).probabilities; };
}

} // namespace fts
