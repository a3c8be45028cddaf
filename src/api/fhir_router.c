/*
 * fhir_router.c - the before_send hook (api_before_send): every answer
 * under /fhir is FHIR.
 *
 * The router answers some requests itself before any handler runs: 401
 * without a valid token, 403 for a role, 404 for an unknown path, 405 for a
 * known path with another method, 413 for a body over --max-body, 503 while
 * stopping, and the API's shared helpers answer a few failures (a scope that
 * cannot be worked out) the same way. All of them are RFC 9457
 * application/problem+json. Just before a response is sent, this hook turns
 * such a body into an OperationOutcome with application/fhir+json when the
 * path is under /fhir, keeping the status and the headers (Allow,
 * WWW-Authenticate, Retry-After); the JSON API keeps problem+json.
 */
#include <string.h>

#include "fhir_int.h"

void api_before_send(http_request *req, http_response *res)
{
    if (!api_is_fhir(req) || !res->content_type ||
        strcmp(res->content_type, "application/problem+json") != 0)
        return;
    json_object *p = json_tokener_parse(res->body.data ? res->body.data : "");
    json_object *detail = NULL;
    const char *text = "the request was refused";
    if (p && json_object_object_get_ex(p, "detail", &detail) &&
        json_object_is_type(detail, json_type_string))
        text = pl_arena_strdup(&req->arena, json_object_get_string(detail));
    json_object_put(p);
    fhir_api_outcome(res, res->status, text ? text : "the request was refused");
}
