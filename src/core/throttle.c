/*
 * The throttling policy: delays from failure counters (see
 * include/core/oidp_throttle.h). Pure.
 */
#include "oidp_throttle.h"

apr_int64_t oidp_throttle_delay(const oidp_throttle_policy_t *p, apr_int64_t n)
{
    apr_int64_t d = 1;
    apr_int64_t k;

    if (n <= p->free_attempts) {
        return 0;
    }
    for (k = n - p->free_attempts - 1; k > 0 && d < p->max_delay; k--) {
        d *= 2;
    }
    return d < p->max_delay ? d : p->max_delay;
}

apr_int64_t oidp_throttle_forget_before(const oidp_throttle_policy_t *p, apr_int64_t now)
{
    return now - (p->window > p->max_delay ? p->window : p->max_delay);
}

apr_int64_t oidp_throttle_live(const oidp_throttle_policy_t *p, const oidp_throttle_count_t *c,
                               apr_int64_t now)
{
    if (c->failures <= 0 || c->last_at < oidp_throttle_forget_before(p, now)) {
        return 0;
    }
    return c->failures;
}

apr_int64_t oidp_throttle_wait(const oidp_throttle_policy_t *p, const oidp_throttle_count_t *c,
                               apr_int64_t now)
{
    apr_int64_t n = oidp_throttle_live(p, c, now);
    apr_int64_t until = c->last_at + oidp_throttle_delay(p, n);

    return n && until > now ? until - now : 0;
}

apr_int64_t oidp_throttle_attempt_wait(const oidp_throttle_policy_t *p,
                                       const oidp_throttle_count_t *subject,
                                       const oidp_throttle_count_t *address, apr_int64_t now)
{
    apr_int64_t w = oidp_throttle_wait(p, address, now);
    apr_int64_t s;

    if (!oidp_throttle_live(p, address, now)) {
        return w; /* a clean address: failures made elsewhere do not hold it */
    }
    s = oidp_throttle_wait(p, subject, now);
    return s > w ? s : w;
}
