/*
 * fhir_export.c - the kick-off parameters of a Bulk Data $export
 * (fhir_export.h): _type, _since, _outputFormat.
 *
 * _type is walked item by item between commas without copying; each item
 * is compared with the known names by length and bytes, so an item longer
 * than any name or holding a NUL-free oddity is simply unknown and named
 * back (truncated to 64 bytes) in the message.
 */
#include "fhir_export.h"

#include <string.h>

pl_status fhir_export_types_parse(const char *list, const char *const *names, int n, uint32_t *mask,
                                  pl_err *err)
{
    *mask = 0;
    if (!list || !*list)
        return pl_err_set(err, PL_INVALID, "_type must name at least one resource type");
    size_t total = strlen(list);
    if (total > FHIR_EXPORT_TYPE_LIST_MAX)
        return pl_err_set(err, PL_INVALID, "_type is longer than %d characters",
                          FHIR_EXPORT_TYPE_LIST_MAX);
    const char *p = list;
    for (;;) {
        size_t len = strcspn(p, ",");
        if (len == 0)
            return pl_err_set(err, PL_INVALID, "_type has an empty item: give Type,Type");
        int found = -1;
        for (int i = 0; i < n && i < FHIR_EXPORT_TYPES_MAX && found < 0; i++)
            if (strlen(names[i]) == len && memcmp(names[i], p, len) == 0)
                found = i;
        if (found < 0)
            return pl_err_set(err, PL_INVALID,
                              "_type names %.*s, which this server does not export",
                              (int)(len > 64 ? 64 : len), p);
        *mask |= 1u << found;
        p += len;
        if (*p == '\0')
            return PL_OK;
        p++; /* the comma */
        if (*p == '\0')
            return pl_err_set(err, PL_INVALID, "_type has an empty item: give Type,Type");
    }
}

pl_status fhir_export_since_parse(const char *s, pl_time *out, pl_err *err)
{
    if (!s || !strchr(s, 'T') || pl_time_parse(s, out) != PL_OK)
        return pl_err_set(err, PL_INVALID,
                          "_since must be an instant such as 2024-05-01T10:00:00Z (a date and a "
                          "time with a time zone)");
    return PL_OK;
}

pl_status fhir_export_format_check(const char *s, pl_err *err)
{
    if (s && (strcmp(s, "application/fhir+ndjson") == 0 || strcmp(s, "application/ndjson") == 0 ||
              strcmp(s, "ndjson") == 0))
        return PL_OK;
    return pl_err_set(err, PL_INVALID,
                      "_outputFormat must be application/fhir+ndjson (ndjson is the only format)");
}
