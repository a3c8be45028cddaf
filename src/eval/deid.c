/*
 * deid.c - de-identification keyed by the installation secret
 * (docs/PRIVACY.md): the participant pseudonym, the per-participant date
 * shift and the birth year with 90+. The API's evaluator view and the
 * research exports both call these, so a pseudonym in an export is the one
 * the evaluator sees in the API.
 */
#include <sodium.h>
#include <stdio.h>

#include "core/time.h"
#include "eval.h"

void eval_deid_hmac(const unsigned char secret[EVAL_SECRET_BYTES], const char *label, int64_t id,
                    unsigned char out[32])
{
    char msg[96];
    int n = snprintf(msg, sizeof msg, "%s:%lld", label, (long long)id);
    if (n < 0 || n >= (int)sizeof msg)
        n = (int)sizeof msg - 1;
    crypto_auth_hmacsha256(out, (const unsigned char *)msg, (unsigned long long)n, secret);
}

void eval_pseudonym(const unsigned char secret[EVAL_SECRET_BYTES], pl_id participant_id,
                    char out[EVAL_PSEUDONYM_LEN])
{
    unsigned char mac[32];
    eval_deid_hmac(secret, "participant", participant_id, mac);
    static const char hex[] = "0123456789ABCDEF";
    out[0] = 'P';
    for (int i = 0; i < 8; i++) {
        out[1 + 2 * i] = hex[mac[i] >> 4];
        out[2 + 2 * i] = hex[mac[i] & 15];
    }
    out[17] = '\0';
}

int eval_date_shift(const unsigned char secret[EVAL_SECRET_BYTES], pl_id participant_id)
{
    unsigned char mac[32];
    eval_deid_hmac(secret, "shift", participant_id, mac);
    uint32_t v = (uint32_t)mac[0] << 24 | (uint32_t)mac[1] << 16 | (uint32_t)mac[2] << 8 | mac[3];
    return (int)(v % 61) - 30;
}

int eval_birth_year(pl_date birth, pl_date today)
{
    if (birth == PL_DATE_NONE)
        return 0;
    int by, bm, bd, ty, tm, td;
    pl_date_to_ymd(birth, &by, &bm, &bd);
    pl_date_to_ymd(today, &ty, &tm, &td);
    int age = ty - by - (tm < bm || (tm == bm && td < bd));
    return age >= 90 ? EVAL_BIRTH_90PLUS : by;
}
