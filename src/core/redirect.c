/*
 * Redirect URI matching and response URLs.
 */
#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>
#include <apr_uri.h>

#include "oidp_form.h"
#include "oidp_redirect.h"

static int is_loopback(const char *host)
{
    return host
           && (strcmp(host, "127.0.0.1") == 0 || strcmp(host, "::1") == 0
               || strcasecmp(host, "localhost") == 0);
}

static int str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* A port as RFC 3986 3.2.3 writes it and a socket can use: 1 to 5
 * digits, 1 to 65535 (apr_uri_parse takes whatever strtol takes: blanks,
 * a sign). No port at all is fine. */
static int port_ok(const char *port)
{
    apr_size_t n = port ? strlen(port) : 0, i;
    long v = 0;

    if (!port) {
        return 1;
    }
    if (n < 1 || n > 5) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (port[i] < '0' || port[i] > '9') {
            return 0;
        }
        v = v * 10 + (port[i] - '0');
    }
    return v >= 1 && v <= 65535;
}

/* RFC 8252 7.3: same URI but for the port, for http loopback URIs. */
static int loopback_match(apr_pool_t *p, const char *registered, const char *uri)
{
    apr_uri_t a, b;

    if (apr_uri_parse(p, registered, &a) != APR_SUCCESS || apr_uri_parse(p, uri, &b) != APR_SUCCESS
        || !a.scheme || !b.scheme || strcmp(a.scheme, "http") != 0 || strcmp(b.scheme, "http") != 0
        || !is_loopback(a.hostname) || !b.hostname || strcmp(a.hostname, b.hostname) != 0
        || !port_ok(a.port_str) || !port_ok(b.port_str)) {
        return 0;
    }
    return !a.user && !b.user && !a.password && !b.password && !b.fragment
           && str_eq(a.path ? a.path : "/", b.path ? b.path : "/") && str_eq(a.query, b.query);
}

int oidp_redirect_uri_allowed(apr_pool_t *p, const oidp_client_t *c, const char *uri)
{
    int i, public_client = c->auth_method && strcmp(c->auth_method, OIDP_AUTH_NONE) == 0;

    if (!uri || !*uri || strchr(uri, '#')) {
        return 0;
    }
    for (i = 0; c->redirect_uris && i < c->redirect_uris->nelts; i++) {
        const char *reg = APR_ARRAY_IDX(c->redirect_uris, i, const char *);
        if (strcmp(reg, uri) == 0) {
            return 1;
        }
        if (public_client && loopback_match(p, reg, uri)) {
            return 1;
        }
    }
    return 0;
}

int oidp_redirect_post_logout_allowed(const oidp_client_t *c, const char *uri)
{
    int i;

    for (i = 0; uri && c->post_logout_uris && i < c->post_logout_uris->nelts; i++) {
        if (strcmp(APR_ARRAY_IDX(c->post_logout_uris, i, const char *), uri) == 0) {
            return 1;
        }
    }
    return 0;
}

oidp_params_t *oidp_redirect_params_make(apr_pool_t *p)
{
    oidp_params_t *ps = apr_palloc(p, sizeof(*ps));

    ps->names = apr_array_make(p, 6, sizeof(const char *));
    ps->values = apr_array_make(p, 6, sizeof(const char *));
    return ps;
}

void oidp_redirect_params_add(oidp_params_t *ps, const char *name, const char *value)
{
    if (value) {
        APR_ARRAY_PUSH(ps->names, const char *) = name;
        APR_ARRAY_PUSH(ps->values, const char *) = value;
    }
}

char *oidp_redirect_build(apr_pool_t *p, const char *uri, int fragment, const oidp_params_t *ps)
{
    apr_array_header_t *parts = apr_array_make(p, ps->names->nelts * 4 + 2, sizeof(const char *));
    int i;

    APR_ARRAY_PUSH(parts, const char *) = uri;
    for (i = 0; i < ps->names->nelts; i++) {
        const char *sep;
        if (i > 0) {
            sep = "&";
        }
        else if (fragment) {
            sep = "#";
        }
        else {
            sep = strchr(uri, '?')
                      ? (uri[strlen(uri) - 1] == '?' || uri[strlen(uri) - 1] == '&' ? "" : "&")
                      : "?";
        }
        APR_ARRAY_PUSH(parts, const char *) = sep;
        APR_ARRAY_PUSH(parts, const char *) = oidp_form_urlencode(p, APR_ARRAY_IDX(ps->names, i,
                                                                                   const char *));
        APR_ARRAY_PUSH(parts, const char *) = "=";
        APR_ARRAY_PUSH(parts, const char *) = oidp_form_urlencode(p, APR_ARRAY_IDX(ps->values, i,
                                                                                   const char *));
    }
    return apr_array_pstrcat(p, parts, '\0');
}

const char *oidp_redirect_origin(apr_pool_t *p, const char *uri)
{
    apr_uri_t u;
    const char *colon = uri ? strchr(uri, ':') : NULL;

    if (!colon) {
        return NULL;
    }
    if (apr_uri_parse(p, uri, &u) == APR_SUCCESS && u.scheme && u.hostinfo
        && (strcasecmp(u.scheme, "http") == 0 || strcasecmp(u.scheme, "https") == 0)) {
        return apr_pstrcat(p, u.scheme, "://", u.hostinfo, NULL);
    }
    /* a private-use scheme of a native app (RFC 8252 7.1) */
    return apr_pstrmemdup(p, uri, (apr_size_t)(colon - uri + 1));
}

const char *oidp_redirect_uri_check(apr_pool_t *p, const char *uri, int allow_http)
{
    static const char *const refused[] = {"javascript", "data",  "vbscript",   "file",
                                          "blob",       "about", "filesystem", NULL};
    const char *const *r;
    const char *q, *colon;
    apr_uri_t u;
    char *scheme;

    if (!uri || !*uri) {
        return "is empty";
    }
    for (q = uri; *q; q++) {
        if ((unsigned char)*q <= 0x20 || (unsigned char)*q >= 0x7f) {
            return "has a control character, a space or a byte outside ASCII";
        }
    }
    if (strchr(uri, '#')) {
        return "has a fragment (RFC 6749 3.1.2)";
    }
    /* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" (RFC 3986 3.1) */
    colon = strchr(uri, ':');
    if (!colon || colon == uri || !apr_isalpha(*uri)) {
        return "is not an absolute URI (no scheme)";
    }
    for (q = uri; q < colon; q++) {
        if (!apr_isalnum(*q) && *q != '+' && *q != '-' && *q != '.') {
            return "is not an absolute URI (no scheme)";
        }
    }
    scheme = apr_pstrmemdup(p, uri, (apr_size_t)(colon - uri));
    for (r = refused; *r; r++) {
        if (strcasecmp(scheme, *r) == 0) {
            return "has a scheme that runs or embeds content (javascript:, data:, file:, ...)";
        }
    }
    if (!colon[1]) {
        return "has nothing after its scheme";
    }
    if (strcasecmp(scheme, "http") != 0 && strcasecmp(scheme, "https") != 0) {
        return NULL; /* a native app's private-use scheme (RFC 8252 7.1) */
    }
    if (strncmp(colon, "://", 3) != 0 || apr_uri_parse(p, uri, &u) != APR_SUCCESS || !u.hostname
        || !*u.hostname) {
        return "has no host";
    }
    if (u.user || u.password) {
        return "has user information (user@host)";
    }
    if (u.port_str
        && (!*u.port_str || u.port == 0 || strlen(u.port_str) > 5
            || apr_atoi64(u.port_str) > 65535)) {
        return "has an invalid port";
    }
    if (strcasecmp(scheme, "http") == 0 && !allow_http && !is_loopback(u.hostname)) {
        return "uses plain http off loopback (codes and tokens would cross the network in "
               "clear): use https, or --allow-http-redirect";
    }
    return NULL;
}
