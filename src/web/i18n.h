/*
 * i18n.h - the message catalog (English, Spanish, Simplified Chinese) and
 * locale formatting of dates and numbers.
 *
 * Every visible string of a page is a catalog key looked up with web_t()
 * (or web_tk() for "<prefix>.<name>" keys built from an enum name). The
 * catalog is one table with a column per language; tests/unit/test_web.c
 * fails when a key the source uses is missing or a column is empty.
 */
#ifndef PL_WEB_I18N_H
#define PL_WEB_I18N_H

#include "core/arena.h"
#include "core/time.h"

typedef enum web_lang { WEB_LANG_EN, WEB_LANG_ES, WEB_LANG_ZH, WEB_LANG__COUNT } web_lang;

typedef struct web_message {
    const char *key;
    const char *text[WEB_LANG__COUNT];
} web_message;

/* "en", "es", "zh-CN". */
const char *web_lang_code(web_lang l);
/* The language's name in itself ("English", "Español", "中文"), as language pickers show it. */
const char *web_lang_name(web_lang l);
/* A language code ("es", "zh-CN", "zh", ...) to a language; -1 when not one of ours. */
int web_lang_from_code(const char *code);
/*
 * The first language of an Accept-Language header we have, by q-value
 * (ties: header order); English when none or NULL.
 */
web_lang web_lang_negotiate(const char *accept_language);

/* The message for key; the key itself when it is missing (the catalog test catches that). */
const char *web_t(web_lang l, const char *key);
/* The message for "<prefix>.<name>". */
const char *web_tk(web_lang l, const char *prefix, const char *name);

/* Dates: en "24 Nov 2026", es "24/11/2026", zh-CN "2026年11月24日". */
#define WEB_DATE_MAX 32
void web_fmt_date(web_lang l, pl_date d, char out[WEB_DATE_MAX]);
/* A number with `decimals` places; Spanish writes a decimal comma. */
#define WEB_NUM_MAX 40
void web_fmt_num(web_lang l, double v, int decimals, char out[WEB_NUM_MAX]);

/* The catalog, for the completeness test. */
int web_catalog_size(void);
const web_message *web_catalog_at(int i);

#endif
