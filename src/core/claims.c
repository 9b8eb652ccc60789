/*
 * Claims by scope, by request and by dialect.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <apr_strings.h>
#include <apr_time.h>

#include "oidp_claims.h"
#include "oidp_util.h"
#include "oidp_json.h"
#include "oidp_scope.h"
#include "oidp_utf8.h"

typedef enum {
    C_STR,
    C_BOOL,
    C_TIME,
    C_ADDRESS,
    C_GROUPS,
    C_USERNAME
} ckind_e;

typedef struct claim_def_t {
    const char *name;
    const char *scope;
    ckind_e kind;
    size_t off; /* offset of the value in oidp_user_t (unused for C_ADDRESS, C_USERNAME) */
    size_t dep; /* C_BOOL: the string it qualifies (email, phone_number) */
} claim_def_t;

#define U(f) offsetof(oidp_user_t, f)

/* OIDC Core 5.1 and 5.4; groups is not standard and goes with profile. */
static const claim_def_t standard[] = {
    {"name", "profile", C_STR, U(name), 0},
    {"given_name", "profile", C_STR, U(given_name), 0},
    {"family_name", "profile", C_STR, U(family_name), 0},
    {"preferred_username", "profile", C_USERNAME, 0, 0},
    {"picture", "profile", C_STR, U(picture), 0},
    {"locale", "profile", C_STR, U(locale), 0},
    {"updated_at", "profile", C_TIME, U(updated_at), 0},
    {"groups", "profile", C_GROUPS, U(groups), 0},
    {"email", "email", C_STR, U(email), 0},
    {"email_verified", "email", C_BOOL, U(email_verified), U(email)},
    {"phone_number", "phone", C_STR, U(phone_number), 0},
    {"phone_number_verified", "phone", C_BOOL, U(phone_number_verified), U(phone_number)},
    {"address", "address", C_ADDRESS, 0, 0},
};

/* Casdoor's names (casdoor.md 4): name is the username there. */
static const claim_def_t casdoor[] = {
    {"name", "profile", C_USERNAME, 0, 0},
    {"preferred_username", "profile", C_USERNAME, 0, 0},
    {"displayName", "profile", C_STR, U(name), 0},
    {"display_name", "profile", C_STR, U(name), 0},
    {"firstName", "profile", C_STR, U(given_name), 0},
    {"lastName", "profile", C_STR, U(family_name), 0},
    {"avatar", "profile", C_STR, U(picture), 0},
    {"groups", "profile", C_GROUPS, U(groups), 0},
    {"email", "email", C_STR, U(email), 0},
    {"email_verified", "email", C_BOOL, U(email_verified), U(email)},
    {"phone", "phone", C_STR, U(phone_number), 0},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *str_at(const oidp_user_t *u, size_t off)
{
    return *(const char *const *)((const char *)u + off);
}

static json_t *address_of(const oidp_user_t *u)
{
    json_t *a = json_object();
    const struct {
        const char *k;
        const char *v;
    } f[] = {{"formatted", u->address_formatted},     {"street_address", u->address_street},
             {"locality", u->address_locality},       {"region", u->address_region},
             {"postal_code", u->address_postal_code}, {"country", u->address_country}};
    size_t i;

    for (i = 0; i < COUNT(f); i++) {
        if (f[i].v && *f[i].v) {
            json_object_set_new(a, f[i].k, json_string(f[i].v));
        }
    }
    if (json_object_size(a) == 0) {
        json_decref(a);
        return NULL;
    }
    return a;
}

static json_t *groups_of(const char *text)
{
    json_t *g = text ? json_loads(text, 0, NULL) : NULL;
    json_t *out;
    size_t i;

    if (!json_is_array(g) || json_array_size(g) == 0) {
        json_decref(g);
        return NULL;
    }
    out = json_array();
    for (i = 0; i < json_array_size(g); i++) {
        json_t *v = json_array_get(g, i);
        if (json_is_string(v) && json_string_length(v) > 0) {
            json_array_append(out, v);
        }
    }
    json_decref(g);
    return out;
}

/* The value of a claim for a user, or NULL when it is empty. */
static json_t *claim_value(const claim_def_t *d, const oidp_user_t *u)
{
    const char *s;

    switch (d->kind) {
    case C_STR:
        s = str_at(u, d->off);
        return s && *s ? json_string(s) : NULL;
    case C_USERNAME:
        return u->username && *u->username ? json_string(u->username) : NULL;
    case C_BOOL:
        s = str_at(u, d->dep);
        return s && *s ? json_boolean(*(const int *)((const char *)u + d->off)) : NULL;
    case C_TIME:
        return u->updated_at > 0 ? json_integer(u->updated_at) : NULL;
    case C_ADDRESS:
        return address_of(u);
    case C_GROUPS:
        return groups_of(u->groups);
    }
    return NULL;
}

static const claim_def_t *find(const claim_def_t *defs, size_t n, const char *name)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (strcmp(defs[i].name, name) == 0) {
            return &defs[i];
        }
    }
    return NULL;
}

static void add_set(json_t *j, const claim_def_t *defs, size_t n, const oidp_user_t *u,
                    const apr_array_header_t *scopes, json_t *requested)
{
    size_t i;

    for (i = 0; i < n; i++) {
        json_t *v;
        if (!oidp_scope_has(scopes, defs[i].scope)
            && !(requested && json_object_get(requested, defs[i].name))) {
            continue;
        }
        v = claim_value(&defs[i], u);
        if (v) {
            json_object_set_new(j, defs[i].name, v);
        }
    }
}

void oidp_claims_user(json_t *j, const oidp_user_t *u, const apr_array_header_t *scopes,
                      const char *claims_request, const char *target, const char *dialect)
{
    json_t *req = claims_request && *claims_request ? json_loads(claims_request, 0, NULL) : NULL;
    json_t *requested = req ? json_object_get(req, target) : NULL;
    int id_token = strcmp(target, "id_token") == 0;
    int cd = dialect && strcmp(dialect, OIDP_DIALECT_CASDOOR) == 0;

    /* scope claims go to userinfo; the ID token gets only what was asked
     * for by name (OIDC Core 5.4, an access token is always issued here) */
    add_set(j, standard, COUNT(standard), u, id_token ? NULL : scopes, requested);
    if (cd) {
        json_object_set_new(j, "id", json_string(u->id));
        json_object_set_new(j, "owner", json_string("built-in"));
        add_set(j, casdoor, COUNT(casdoor), u, scopes, requested);
    }
    json_decref(req);
}

const char *oidp_claims_request_parse(apr_pool_t *p, const char *json,
                                      const apr_array_header_t *allowed,
                                      apr_array_header_t **implied, const char **err)
{
    json_t *in = oidp_json_bind(p, json_loads(json, JSON_REJECT_DUPLICATES, NULL));
    json_t *out = oidp_json_bind(p, json_object());
    static const char *const targets[] = {"userinfo", "id_token"};
    size_t t;

    *implied = apr_array_make(p, 4, sizeof(const char *));
    if (strlen(json) > OIDP_CLAIMS_MAX_LEN) {
        *err = "claims is too long";
        return NULL;
    }
    if (!oidp_utf8_valid_str(json)) {
        *err = "claims must be UTF-8";
        return NULL;
    }
    if (!json_is_object(in)) {
        *err = "claims must be a JSON object";
        return NULL;
    }
    for (t = 0; t < COUNT(targets); t++) {
        json_t *members = json_object_get(in, targets[t]), *kept = NULL, *v;
        const char *name;
        if (!members) {
            continue;
        }
        if (!json_is_object(members)) {
            *err = "claims members must be JSON objects";
            return NULL;
        }
        if (json_object_size(members) > OIDP_CLAIMS_MAX_NAMES) {
            *err = "too many claims requested";
            return NULL;
        }
        json_object_foreach(members, name, v)
        {
            const claim_def_t *d = find(standard, COUNT(standard), name);
            if (!json_is_null(v) && !json_is_object(v)) {
                *err = "a claim request must be null or an object";
                return NULL;
            }
            if (!d) {
                d = find(casdoor, COUNT(casdoor), name);
            }
            if (!d || !oidp_scope_has(allowed, d->scope)) {
                continue; /* unknown or not for this client: ignored (5.5) */
            }
            if (!kept) {
                kept = json_object();
                json_object_set_new(out, targets[t], kept);
            }
            json_object_set(kept, name, v);
            if (!oidp_scope_has(*implied, d->scope)) {
                APR_ARRAY_PUSH(*implied, const char *) = d->scope;
            }
        }
    }
    return json_object_size(out) ? oidp_json_dump(p, out, NULL) : "";
}

int oidp_claims_amr_has(const char *amr, const char *value)
{
    size_t n = strlen(value);
    const char *s = amr;

    while (s && *s) {
        const char *e = strchr(s, ' ');
        size_t len = e ? (size_t)(e - s) : strlen(s);

        if (len == n && n && strncmp(s, value, n) == 0) {
            return 1;
        }
        s = e ? e + 1 : NULL;
    }
    return 0;
}

const char *oidp_claims_amr_add(apr_pool_t *p, const char *amr, const char *value)
{
    /* a set of space-separated words, as a scope is */
    apr_array_header_t *set = oidp_scope_parse(p, amr ? amr : "");

    if (*value && !oidp_scope_has(set, value)) {
        APR_ARRAY_PUSH(set, const char *) = value;
    }
    return oidp_scope_join(p, set);
}

json_t *oidp_claims_id_token(const oidp_id_token_t *t)
{
    json_t *j = json_pack("{s:s, s:s, s:s, s:I, s:I}", "iss", t->issuer, "sub", t->sub, "aud",
                          t->aud, "exp", (json_int_t)t->exp, "iat", (json_int_t)t->iat);
    int bad = !j;

    /* json_object_set_new fails (-1) when the value is NULL: a string that
     * is not UTF-8 */
    if (!bad && t->auth_time) {
        bad |= json_object_set_new(j, "auth_time", json_integer(t->auth_time));
    }
    if (!bad && t->nonce) {
        bad |= json_object_set_new(j, "nonce", json_string(t->nonce));
    }
    if (!bad && t->at_hash) {
        bad |= json_object_set_new(j, "at_hash", json_string(t->at_hash));
    }
    if (!bad) {
        bad |= json_object_set_new(j, "azp", json_string(t->aud));
    }
    if (!bad && t->sid) {
        bad |= json_object_set_new(j, "sid", json_string(t->sid));
    }
    if (!bad && t->acr && *t->acr) {
        bad |= json_object_set_new(j, "acr", json_string(t->acr));
    }
    if (!bad && t->amr && *t->amr) {
        json_t *a = json_array();
        const char *s = t->amr, *e;

        bad |= !a || json_object_set_new(j, "amr", a);
        while (!bad && *s) {
            for (e = s; *e && *e != ' '; e++) {
            }
            if (e > s) {
                bad |= json_array_append_new(a, json_stringn(s, (size_t)(e - s)));
            }
            s = *e ? e + 1 : e;
        }
    }
    if (bad) {
        json_decref(j);
        return NULL;
    }
    return j;
}

apr_status_t oidp_claims_hint(oidp_hint_t *h, apr_pool_t *p, const char *header,
                              const char *payload, const char *issuer, const char **err)
{
    json_t *hd = oidp_json_bind(p, json_loads(header, 0, NULL));
    json_t *j = oidp_json_bind(p, json_loads(payload, 0, NULL));
    const char *typ = NULL, *iss = NULL, *sub = NULL, *who = NULL;
    json_t *aud, *azp, *exp;

    memset(h, 0, sizeof(*h));
    if (!json_is_object(hd) || !json_is_object(j)
        || json_unpack(j, "{s:s, s:s}", "iss", &iss, "sub", &sub) != 0 || strcmp(iss, issuer) != 0
        || !*sub) {
        *err = "not a token of this issuer";
        return APR_EINVAL;
    }
    typ = json_string_value(json_object_get(hd, "typ"));
    exp = json_object_get(j, "exp");
    h->exp = json_is_integer(exp) ? (apr_int64_t)json_integer_value(exp) : 0;
    h->sub = apr_pstrdup(p, sub);
    if (typ && strcmp(typ, "JWT") == 0) {
        /* an ID token: aud the client, or an array with azp naming it */
        aud = json_object_get(j, "aud");
        azp = json_object_get(j, "azp");
        if (azp && !json_is_string(azp)) {
            *err = "an ID token's azp must be a string";
            return APR_EINVAL;
        }
        if (json_is_string(aud)) {
            who = json_string_value(aud);
            if (azp && strcmp(json_string_value(azp), who) != 0) {
                *err = "an ID token's azp must be its audience";
                return APR_EINVAL;
            }
        }
        else if (json_is_array(aud) && azp) {
            size_t i;
            for (i = 0; i < json_array_size(aud); i++) {
                const char *a = json_string_value(json_array_get(aud, i));
                if (a && strcmp(a, json_string_value(azp)) == 0) {
                    who = a;
                }
            }
        }
        if (!who || !*who || json_object_get(j, "client_id") || json_object_get(j, "scope")) {
            *err = "not an ID token";
            return APR_EINVAL;
        }
        h->kind = OIDP_HINT_ID_TOKEN;
    }
    else if (typ && strcmp(typ, "at+jwt") == 0) {
        if (json_unpack(j, "{s:s}", "client_id", &who) != 0 || !*who) {
            *err = "an access token without client_id";
            return APR_EINVAL;
        }
        h->kind = OIDP_HINT_ACCESS_TOKEN;
    }
    else {
        *err = "neither an ID token nor an access token";
        return APR_EINVAL;
    }
    h->client_id = apr_pstrdup(p, who);
    return APR_SUCCESS;
}

static const char *rfc3339(apr_pool_t *p, apr_int64_t secs)
{
    apr_time_exp_t tm;
    char buf[32];
    apr_size_t n = 0;

    apr_time_exp_gmt(&tm, apr_time_from_sec(secs));
    apr_strftime(buf, &n, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return apr_pstrmemdup(p, buf, n);
}

json_t *oidp_claims_casdoor_user(apr_pool_t *p, const oidp_user_t *u,
                                 const apr_array_header_t *scopes)
{
    int prof = oidp_scope_has(scopes, "profile");
    int mail = oidp_scope_has(scopes, "email");
    int tel = oidp_scope_has(scopes, "phone");
    int addr = oidp_scope_has(scopes, "address");
    json_t *g = groups_of(u->groups);
    json_t *address = json_array();
    json_t *j;

    if (addr && u->address_street && *u->address_street) {
        json_array_append_new(address, json_string(u->address_street));
    }
    j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:o, "
                  "s:s, s:s, s:s, s:o, s:b, s:b, s:b}",
                  "owner", "built-in", "name", u->username, "createdTime",
                  rfc3339(p, u->created_at), "updatedTime", rfc3339(p, u->updated_at), "id", u->id,
                  "type", "normal-user", "password", "", "displayName",
                  prof && u->name ? u->name : "", "firstName",
                  prof && u->given_name ? u->given_name : "", "lastName",
                  prof && u->family_name ? u->family_name : "", "avatar",
                  prof && u->picture ? u->picture : "", "email", mail && u->email ? u->email : "",
                  "emailVerified", mail && u->email_verified, "phone",
                  tel && u->phone_number ? u->phone_number : "", "address", address, "region",
                  addr && u->address_region ? u->address_region : "", "location",
                  addr && u->address_locality ? u->address_locality : "", "language",
                  prof && u->locale ? u->locale : "", "groups",
                  prof && g ? json_incref(g) : json_array(), "isAdmin", 0, "isForbidden",
                  u->disabled, "isDeleted", 0);
    json_decref(g);
    return j;
}

/* ------------------------------------------------------------------ */
/* claims from an authn provider (OIDCIdPClaim) */

#define MAP_MAX_LEN 4096   /* a value longer than this is refused */
#define MAP_MAX_GROUPS 256 /* a groups list with more values is refused */

static const claim_def_t *map_def(const char *claim)
{
    const claim_def_t *d = find(standard, COUNT(standard), claim);

    if (!d) {
        d = find(casdoor, COUNT(casdoor), claim);
    }
    return d && (d->kind == C_STR || d->kind == C_BOOL || d->kind == C_GROUPS) ? d : NULL;
}

const char *oidp_claims_map_check(const char *claim)
{
    return claim && map_def(claim)
               ? NULL
               : "is not a claim of the user's profile that a provider can set (name, given_name, "
                 "family_name, picture, locale, groups, email, email_verified, phone_number, "
                 "phone_number_verified; Casdoor's displayName, display_name, firstName, "
                 "lastName, avatar, phone)";
}

static int word_is(const char *v, const char *const *words)
{
    for (; *words; words++) {
        if (strcasecmp(v, *words) == 0) {
            return 1;
        }
    }
    return 0;
}

/* "a; b;c" (mod_authnz_ldap joins the values of a multi-valued attribute
 * with "; ") as a JSON array of the non-empty trimmed values, each once;
 * NULL for none. */
static apr_status_t groups_json(const char **out, apr_pool_t *p, const char *v, const char **err)
{
    json_t *a = json_array();
    const char *s = v;
    char *dump;

    while (*s) {
        const char *e = strchr(s, ';');
        const char *end = e ? e : s + strlen(s);
        const char *b = s;
        size_t i;
        int dup = 0;

        while (b < end && (*b == ' ' || *b == '\t')) {
            b++;
        }
        while (end > b && (end[-1] == ' ' || end[-1] == '\t')) {
            end--;
        }
        if (end > b) {
            json_t *g = json_stringn(b, (size_t)(end - b));
            for (i = 0; g && i < json_array_size(a); i++) {
                dup |= json_equal(json_array_get(a, i), g);
            }
            if (!g || (!dup && json_array_size(a) >= MAP_MAX_GROUPS)) {
                json_decref(g);
                json_decref(a);
                *err = g ? "too many groups" : "a group that is not UTF-8";
                return APR_EINVAL;
            }
            if (dup) {
                json_decref(g);
            }
            else {
                json_array_append_new(a, g);
            }
        }
        s = e ? e + 1 : s + strlen(s);
    }
    if (json_array_size(a) == 0) {
        json_decref(a);
        *out = NULL;
        return APR_SUCCESS;
    }
    dump = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    if (!dump) {
        *err = "the groups could not be written as JSON";
        return APR_ENOMEM;
    }
    *out = apr_pstrdup(p, dump);
    free(dump);
    return APR_SUCCESS;
}

static int same_str(const char *a, const char *b)
{
    return (!a || !*a) ? (!b || !*b) : (b && strcmp(a, b) == 0);
}

apr_status_t oidp_claims_map_set(oidp_user_t *u, int *changed, apr_pool_t *p, const char *claim,
                                 const char *value, const char **err)
{
    static const char *const yes[] = {"true", "1", "yes", "on", NULL};
    static const char *const no[] = {"false", "0", "no", "off", "", NULL};
    const claim_def_t *d = claim ? map_def(claim) : NULL;
    const char *v = value ? value : "", *s = NULL;
    char *slot;
    apr_status_t rv;
    int flag;

    *err = NULL;
    if (!d) {
        *err = "not a claim a provider can set";
        return APR_EINVAL;
    }
    if (strlen(v) > MAP_MAX_LEN) {
        *err = "the value is too long";
        return APR_EINVAL;
    }
    if (!oidp_utf8_valid_str(v)) {
        *err = "the value is not UTF-8";
        return APR_EINVAL;
    }
    slot = (char *)u + d->off;
    switch (d->kind) {
    case C_BOOL:
        if (word_is(v, yes)) {
            flag = 1;
        }
        else if (word_is(v, no)) {
            flag = 0;
        }
        else {
            *err = "the value is not a boolean (true or false)";
            return APR_EINVAL;
        }
        if (*(int *)slot != flag) {
            *(int *)slot = flag;
            *changed = 1;
        }
        return APR_SUCCESS;
    case C_GROUPS:
        rv = groups_json(&s, p, v, err);
        if (rv != APR_SUCCESS) {
            return rv;
        }
        break;
    default:
        s = *v ? apr_pstrdup(p, v) : NULL;
        break;
    }
    if (!same_str(*(const char **)slot, s)) {
        *(const char **)slot = s;
        *changed = 1;
    }
    return APR_SUCCESS;
}
