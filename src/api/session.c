/*
 * session.c - signing in and out, and recognising a signed-in request.
 *
 * A session token is 32 random bytes (libsodium), sent to the client as 43
 * base64url characters and stored only as its BLAKE2b-256 hash, so a copy
 * of the database holds no usable token. A request carries it as
 * "Authorization: Bearer <token>" or in the HttpOnly, SameSite=Strict
 * cookie pl_session. Sessions end after session_idle_seconds without a
 * request or session_max_seconds after login; activity is recorded with an
 * asynchronous write at most every few seconds, so reads stay reads.
 *
 * Failed logins are throttled per username and per client address
 * (throttle.h); unknown usernames cost the same argon2id work as known
 * ones, so timing does not reveal which accounts exist.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "core/time.h"
#include "http/auth.h"

#define TOKEN_BYTES 32
#define COOKIE      "pl_session"

pl_status api_context_init(api_context *app, store *s, const api_options *opt, pl_err *err)
{
    memset(app, 0, sizeof *app);
    pthread_mutex_init(&app->counts_mu, NULL);
    app->store = s;
    app->started_at = time(NULL);
    app->session_idle_seconds = opt && opt->session_idle_seconds ? opt->session_idle_seconds : 1800;
    app->session_max_seconds = opt && opt->session_max_seconds ? opt->session_max_seconds : 43200;
    pl_status st = store_install_secret(s, app->secret, err);
    if (st != PL_OK)
        return st;
    /* a real hash of a random password: failed logins for unknown names cost the same */
    unsigned char random[24];
    char password[sodium_base64_ENCODED_LEN(24, sodium_base64_VARIANT_ORIGINAL)];
    randombytes_buf(random, sizeof random);
    sodium_bin2base64(password, sizeof password, random, sizeof random,
                      sodium_base64_VARIANT_ORIGINAL);
    st = auth_password_hash(password, app->dummy_hash, err);
    sodium_memzero(password, sizeof password);
    if (st != PL_OK)
        return st;
    /* 5 failures per name or 20 per address in 15 minutes lock for 30 s, doubling to 15 min */
    throttle_options user = {5, 900, 30, 900, 4096};
    throttle_options addr = {20, 900, 30, 900, 4096};
    app->login_by_user = throttle_new(&user);
    app->login_by_addr = throttle_new(&addr);
    app->reports = api_report_cache_new();
    if (!app->login_by_user || !app->login_by_addr || !app->reports) {
        api_context_free(app);
        return pl_err_set(err, PL_NOMEM, "out of memory");
    }
    if ((st = api_fhir_exports_start(app, opt ? opt->export_dir : NULL, err)) != PL_OK)
        api_context_free(app);
    return st;
}

void api_context_free(api_context *app)
{
    api_fhir_exports_stop(app);
    throttle_free(app->login_by_user);
    throttle_free(app->login_by_addr);
    app->login_by_user = app->login_by_addr = NULL;
    api_report_cache_free(app->reports);
    app->reports = NULL;
    sodium_memzero(app->secret, sizeof app->secret);
    pthread_mutex_destroy(&app->counts_mu);
}

static void token_hash(const char *token, unsigned char out[STORE_TOKEN_HASH_BYTES])
{
    crypto_generichash(out, STORE_TOKEN_HASH_BYTES, (const unsigned char *)token, strlen(token),
                       NULL, 0);
}

static bool unauthorized(http_response *res, const char *detail)
{
    http_problem(res, 401, detail, NULL);
    http_header(res, "WWW-Authenticate", "Bearer realm=\"peerlink\"");
    return false;
}

bool api_authenticate(http_request *req, http_response *res)
{
    api_context *app = req->app;
    const char *token = NULL;
    const char *auth = http_header_get(req, "Authorization");
    if (auth && strncasecmp(auth, "Bearer ", 7) == 0)
        token = auth + 7;
    else
        token = http_cookie_get(req, COOKIE);
    if (!token || !*token)
        return unauthorized(res, "sign in first: no session token was sent");
    token_hash(token, req->session_hash);
    store_session se;
    pl_err err;
    pl_err_clear(&err);
    pl_status st =
        store_session_get(app->store, req->session_hash, &req->arena, &se, &req->account, &err);
    if (st == PL_NOTFOUND)
        return unauthorized(res, "the session has ended or never existed; sign in again");
    if (st != PL_OK) {
        api_fail(res, &err);
        return false;
    }
    pl_time now = (pl_time)time(NULL);
    if (now >= se.expires_at || now - se.last_seen_at >= app->session_idle_seconds)
        return unauthorized(res, "the session has expired; sign in again");
    if (req->account.disabled)
        return unauthorized(res, "this account is disabled");
    req->signed_in = true;
    int every = app->session_idle_seconds / 4;
    if (every > 30)
        every = 30;
    if (now - se.last_seen_at >= (every > 0 ? every : 1))
        store_session_touch(app->store, req->session_hash, now);
    return true;
}

/* ---- login -------------------------------------------------------------- */

typedef struct login_ctx {
    http_request *req;
    unsigned char hash[STORE_TOKEN_HASH_BYTES];
    store_session se;
} login_ctx;

static pl_status login_write(store_tx *tx, void *p, pl_err *err)
{
    login_ctx *l = p;
    pl_status st = store_session_insert(tx, l->hash, &l->se, l->req->client_addr, err);
    if (st != PL_OK)
        return st;
    return api_audit_tx(tx, l->req, "login", "staff_account", l->se.account_id, 0, 200, err);
}

static void retry_after(http_request *req, http_response *res, int64_t wait)
{
    char detail[96];
    snprintf(detail, sizeof detail, "too many failed sign-ins; try again in %lld seconds",
             (long long)wait);
    http_problem(res, 429, detail, NULL);
    http_header(res, "Retry-After", pl_arena_printf(&req->arena, "%lld", (long long)wait));
}

void api_login(http_request *req, http_response *res)
{
    api_context *app = req->app;
    const char *username = api_body_str(req, "username");
    const char *password = api_body_str(req, "password");
    char user_key[96], addr_key[80];
    snprintf(user_key, sizeof user_key, "u:%s", username);
    snprintf(addr_key, sizeof addr_key, "a:%s", req->client_addr);
    int64_t now = (int64_t)time(NULL);
    int64_t wait = throttle_wait(app->login_by_user, user_key, now);
    int64_t wait_addr = throttle_wait(app->login_by_addr, addr_key, now);
    if (wait_addr > wait)
        wait = wait_addr;
    if (wait > 0) {
        retry_after(req, res, wait);
        api_audit(req, "login_failed", "staff_account", 0, 0, 429);
        return;
    }
    pl_staff_account account;
    char *hash = NULL;
    pl_err err;
    pl_err_clear(&err);
    pl_status st = store_staff_account_get_by_username(app->store, username, &req->arena, &account,
                                                       &hash, &err);
    if (st != PL_OK && st != PL_NOTFOUND) {
        api_fail(res, &err);
        return;
    }
    /* the same argon2id work whether or not the account exists */
    bool ok = auth_password_verify(st == PL_OK ? hash : app->dummy_hash, password);
    if (st != PL_OK || !ok || account.disabled) {
        throttle_failure(app->login_by_user, user_key, now);
        throttle_failure(app->login_by_addr, addr_key, now);
        http_problem(res, 401, "wrong username or password", NULL);
        http_header(res, "WWW-Authenticate", "Bearer realm=\"peerlink\"");
        api_audit(req, "login_failed", "staff_account", st == PL_OK ? account.id : 0, 0, 401);
        return;
    }
    throttle_success(app->login_by_user, user_key);

    unsigned char raw[TOKEN_BYTES];
    char token[sodium_base64_ENCODED_LEN(TOKEN_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(token, sizeof token, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
    login_ctx l = {.req = req, .se = {account.id, now, now, now + app->session_max_seconds}};
    token_hash(token, l.hash);
    req->account = account;
    req->signed_in = true;
    if (store_write(app->store, login_write, &l, &err) != PL_OK) {
        sodium_memzero(token, sizeof token);
        api_fail(res, &err);
        return;
    }
    json_object *o = json_object_new_object();
    json_object_object_add(o, "token", json_object_new_string(token));
    json_object_object_add(o, "expires_at", api_json_time(l.se.expires_at));
    json_object_object_add(o, "idle_timeout_seconds",
                           json_object_new_int(app->session_idle_seconds));
    json_object_object_add(o, "account", api_staff_json(&account));
    api_send(res, 200, o);
    http_header(res, "Set-Cookie",
                pl_arena_printf(&req->arena,
                                COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict; "
                                       "Max-Age=%d",
                                token, app->session_max_seconds));
    sodium_memzero(token, sizeof token);
}

static pl_status logout_write(store_tx *tx, void *p, pl_err *err)
{
    http_request *req = p;
    pl_status st = store_session_delete(tx, req->session_hash, err);
    if (st == PL_OK)
        st = api_audit_tx(tx, req, "logout", "staff_account", req->account.id, 0, 204, err);
    return st;
}

void api_logout(http_request *req, http_response *res)
{
    api_context *app = req->app;
    pl_err err;
    pl_err_clear(&err);
    if (store_write(app->store, logout_write, req, &err) != PL_OK) {
        api_fail(res, &err);
        return;
    }
    res->status = 204;
    http_header(res, "Set-Cookie", COOKIE "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
}

void api_me_get(http_request *req, http_response *res)
{
    api_send(res, 200, api_staff_json(&req->account));
}
