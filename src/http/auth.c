/*
 * auth.c - argon2id via libsodium's crypto_pwhash_str.
 *
 * Costs are libsodium's INTERACTIVE limits (64 MiB, 2 passes): about 0.1 s
 * per hash here, affordable at login and ruinous for an offline guesser.
 */
#include "auth.h"

#include <sodium.h>
#include <string.h>

#include "core/domain.h"

pl_status auth_init(pl_err *err)
{
    if (sodium_init() < 0)
        return pl_err_set(err, PL_IO, "libsodium failed to initialise");
    return PL_OK;
}

pl_status auth_password_hash(const char *password, char out[AUTH_HASH_MAX], pl_err *err)
{
    _Static_assert(AUTH_HASH_MAX >= crypto_pwhash_STRBYTES, "hash buffer too small");
    if (password_validate(password, err) != PL_OK)
        return PL_INVALID;
    if (crypto_pwhash_str(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return pl_err_set(err, PL_NOMEM, "not enough memory to hash the password");
    return PL_OK;
}

bool auth_password_verify(const char *hash, const char *password)
{
    return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}
