/*
 * sqlite_fhir_qr.c - the FHIR searches of store_fhir_qr.h, on both
 * backends (db.h; docs/POSTGRESQL.md's rules).
 *
 * As in sqlite_fhir.c, a search's optional conditions read
 * "CAST(?n AS type) IS NULL OR ...", so combinations of parameters share a
 * cached statement, kept in variants by the access path that drives it
 * (sq_fhir_variant: a participant's index, the id order); paging is
 * LIMIT/OFFSET or the keyset, through sq_fhir_page. The Observation search
 * serves measurements then scores, and the scores' offset is the page's
 * offset less the number of measurements that match
 * (store_fhir_measurement_count, beside that search in sqlite_fhir.c). The counts
 * repeat their search's conditions: the Observation search serves
 * measurements then scores, and the scores' offset is the page's offset
 * less the number of measurements that match.
 */
#include "sqlite_int.h"
#include "store_fhir_qr.h"

#define SCOPE_COND                                                                                 \
    "(?1 = 0 OR p.home_unit_id IN (SELECT unit_id FROM org_unit_ancestor WHERE ancestor_id = "     \
    "?1)) AND (?2 = 0 OR p.peer_leader_id = ?2)"

/* ?3 id, ?4 participant, ?5-?12 instruments, ?13-?16 completed_at, ?17-?18 created_at,
   ?19 scored only */
#define QR_WHERE                                                                                   \
    " FROM questionnaire_response r JOIN participant p ON p.id = r.participant_id "                \
    "WHERE " SCOPE_COND " AND (CAST(?3 AS BIGINT) IS NULL OR r.id = ?3)"                           \
    " AND (CAST(?4 AS BIGINT) IS NULL OR r.participant_id = ?4)"                                   \
    " AND (CAST(?5 AS TEXT) IS NULL OR r.instrument IN (?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12))"       \
    " AND (CAST(?13 AS BIGINT) IS NULL OR r.completed_at >= ?13)"                                  \
    " AND (CAST(?14 AS BIGINT) IS NULL OR r.completed_at < ?14)"                                   \
    " AND (CAST(?15 AS BIGINT) IS NULL OR r.completed_at < ?15 OR r.completed_at >= ?16)"          \
    " AND (CAST(?17 AS BIGINT) IS NULL OR r.created_at >= ?17)"                                    \
    " AND (CAST(?18 AS BIGINT) IS NULL OR r.created_at < ?18) AND (?19 = 0 OR r.scored = 1)"

/* ?23-?24: the key range of sq_fhir_page; four statements as sq_fhir_variant() indexes them */
#define QR_KEYS           " AND r.id > ?23 AND r.id <= ?24"
#define QR_BY_PARTICIPANT " AND r.participant_id = ?4"
#define QR_BY_ID          " ORDER BY r.id LIMIT ?21 OFFSET ?22"
#define QR_BY_DATE                                                                                 \
    " ORDER BY CASE WHEN ?20 = 1 THEN r.completed_at END ASC,"                                     \
    " CASE WHEN ?20 = -1 THEN r.completed_at END DESC, r.id LIMIT ?21 OFFSET ?22"
static const char *const SQL_QR_SEARCH[4] = {
    "SELECT r.id" QR_WHERE QR_KEYS QR_BY_ID,
    "SELECT r.id" QR_WHERE QR_BY_PARTICIPANT QR_KEYS QR_BY_ID,
    "SELECT r.id" QR_WHERE QR_KEYS QR_BY_DATE,
    "SELECT r.id" QR_WHERE QR_BY_PARTICIPANT QR_KEYS QR_BY_DATE,
};

/* ?3 id, ?4 participant, ?5-?12 statuses, ?13-?14 status_changed_at, ?15 limit, ?16 offset,
   ?17-?18 the key range; by id always, so two statements (a participant's index drives) */
#define REFERRAL_SELECT                                                                            \
    "SELECT r.id FROM referral r JOIN participant p ON p.id = r.participant_id WHERE "
#define REFERRAL_COND                                                                              \
    SCOPE_COND                                                                                     \
    " AND (CAST(?3 AS BIGINT) IS NULL OR r.id = ?3)"                                               \
    " AND (CAST(?4 AS BIGINT) IS NULL OR r.participant_id = ?4)"                                   \
    " AND (CAST(?5 AS TEXT) IS NULL OR r.status IN (?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12))"           \
    " AND (CAST(?13 AS BIGINT) IS NULL OR r.status_changed_at >= ?13)"                             \
    " AND (CAST(?14 AS BIGINT) IS NULL OR r.status_changed_at < ?14)"                              \
    " AND r.id > ?17 AND r.id <= ?18 ORDER BY r.id LIMIT ?15 OFFSET ?16"
static const char *const SQL_REFERRAL_SEARCH[2] = {
    REFERRAL_SELECT REFERRAL_COND,
    REFERRAL_SELECT "r.participant_id = ?4 AND " REFERRAL_COND,
};

/* ?1-?18 as the searches number them. */
static void bind_common(db_stmt *st, const store_fhir_query *q, bool with_dates)
{
    db_bind_int64(st, 1, q->scope.unit_id);
    db_bind_int64(st, 2, q->scope.peer_leader_id);
    sq_bind_id(st, 3, q->id);
    sq_bind_id(st, 4, q->participant_id);
    for (int i = 0; i < q->ncodes && i < STORE_FHIR_CODES_MAX; i++)
        sq_bind_text(st, 5 + i, q->codes[i]);
    if (!with_dates)
        return;
    sq_bind_time(st, 13, q->date.lo);
    sq_bind_time(st, 14, q->date.hi);
    sq_bind_time(st, 15, q->date.ne_lo);
    sq_bind_time(st, 16, q->date.ne_hi);
    if (q->date.ne_lo != PL_TIME_NONE && q->date.ne_hi == PL_TIME_NONE)
        db_bind_int64(st, 16, INT64_MAX);
    sq_bind_time(st, 17, q->updated.lo);
    sq_bind_time(st, 18, q->updated.hi);
}

pl_status store_fhir_qr_search(store *s, const store_fhir_query *q, bool scored_only, pl_arena *a,
                               pl_id **ids, int *n, bool *more, pl_err *err)
{
    *n = 0;
    *more = false;
    *ids = NULL;
    if (SQ_SCOPE_EMPTY(q->scope))
        return PL_OK;
    conn *c = sq_reader(s, err);
    if (!c)
        return err->status;
    db_stmt *st = sq_stmt(c, SQL_QR_SEARCH[sq_fhir_variant(q)], err);
    if (!st)
        return err->status;
    bind_common(st, q, true);
    db_bind_int(st, 19, scored_only ? 1 : 0);
    db_bind_int(st, 20, q->sort);
    return sq_fhir_page(c, st, q, 21, a, ids, n, more, err);
}

pl_status store_fhir_referral_search(store *s, const store_fhir_query *q, pl_arena *a, pl_id **ids,
                                     int *n, bool *more, pl_err *err)
{
    *n = 0;
    *more = false;
    *ids = NULL;
    if (SQ_SCOPE_EMPTY(q->scope))
        return PL_OK;
    conn *c = sq_reader(s, err);
    if (!c)
        return err->status;
    db_stmt *st = sq_stmt(c, SQL_REFERRAL_SEARCH[q->participant_id ? 1 : 0], err);
    if (!st)
        return err->status;
    bind_common(st, q, false);
    sq_bind_time(st, 13, q->updated.lo);
    sq_bind_time(st, 14, q->updated.hi);
    return sq_fhir_page(c, st, q, 15, a, ids, n, more, err);
}
