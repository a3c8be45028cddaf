/*
 * auth.h - password hashing and verification (libsodium argon2id).
 *
 * Passwords never reach the store: only the argon2id string, which embeds
 * its own salt and cost parameters, so the costs can be raised later
 * without invalidating existing hashes. Call auth_init() once per process.
 */
#ifndef PL_HTTP_AUTH_H
#define PL_HTTP_AUTH_H

#include <stdbool.h>

#include "core/status.h"

#define AUTH_HASH_MAX 128

pl_status auth_init(pl_err *err);
/* Validates the password's rules, then hashes it into out. */
pl_status auth_password_hash(const char *password, char out[AUTH_HASH_MAX], pl_err *err);
/* Constant-time check of a password against a stored hash. */
bool auth_password_verify(const char *hash, const char *password);

#endif
