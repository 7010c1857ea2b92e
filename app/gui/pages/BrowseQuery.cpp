#include "BrowseQuery.h"

#include <QSqlDriver>
#include <QSqlQuery>
#include <QSqlQueryModel>

namespace fts {

void runBrowseQuery(QSqlQueryModel* model, QSqlQuery&& query)
{
    // An inactive query on the same connection: the model drops (finalises) its old statement.
    // Not QSqlQueryModel::clear(), which crashes in Qt 6.4 after setQuery(QSqlQuery&&).
    model->setQuery(QSqlQuery(query.driver()->createResult()));
    query.exec();
    model->setQuery(std::move(query));
}

} // namespace fts
