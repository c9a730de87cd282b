#include "e2_overload.h"

void e2_overload_cfg_default(struct e2_overload_cfg *c)
{
    *c = (struct e2_overload_cfg){.occupancy_high = 0.5,
                                  .occupancy_low = 0.1,
                                  .delay_high = 1e-3,
                                  .delay_low = 2e-4,
                                  .util_high = 0.9,
                                  .util_low = 0.7,
                                  .idle_util = 0.2,
                                  .enter_hot = 3,
                                  .leave_cool = 5,
                                  .idle_intervals = 30};
}

void e2_overload_init(struct e2_overload *d, const struct e2_overload_cfg *cfg)
{
    *d = (struct e2_overload){.cfg = *cfg, .state = E2_LOAD_NORMAL};
}

/* A counter went backwards or time did not advance: not an interval. */
static bool restarted(const struct e2_load_sample *a, const struct e2_load_sample *b)
{
    return b->t <= a->t || b->delivered < a->delivered || b->full_drops < a->full_drops ||
           b->busy_cycles < a->busy_cycles;
}

static double utilization(const struct e2_load_sample *a, const struct e2_load_sample *b)
{
    if (b->busy_cycles > 0 && b->cpu_hz > 0) {
        double u = (double)(b->busy_cycles - a->busy_cycles) / ((b->t - a->t) * b->cpu_hz);
        return u > 1 ? 1 : u;
    }
    return b->reported;
}

static struct e2_load_interval measure(const struct e2_overload_cfg *c,
                                       const struct e2_load_sample *a,
                                       const struct e2_load_sample *b)
{
    struct e2_load_interval m = {0};
    double dt = b->t - a->t;
    m.rate = (double)(b->delivered - a->delivered) / dt;
    m.drops = b->full_drops - a->full_drops;
    m.occupancy = b->capacity ? (double)b->depth / b->capacity : 0;
    /* what the NF drained: arrivals minus the queue's growth */
    double drained = (double)(b->delivered - a->delivered) - ((double)b->depth - (double)a->depth);
    double drain_rate = drained > 0 ? drained / dt : 0;
    m.delay = b->depth == 0 ? 0 : drain_rate > 0 ? b->depth / drain_rate : dt;
    m.util = utilization(a, b);
    m.hot = m.drops > 0 || m.occupancy > c->occupancy_high || m.delay > c->delay_high ||
            m.util > c->util_high;
    m.cool = m.drops == 0 && m.occupancy < c->occupancy_low && m.delay < c->delay_low &&
             m.util < c->util_low;
    return m;
}

/* Advance a streak counter: +1 while @cond holds, else back to 0. */
static unsigned streak(unsigned n, bool cond)
{
    return cond ? n + 1 : 0;
}

enum e2_load_event e2_overload_update(struct e2_overload *d, const struct e2_load_sample *s)
{
    bool have = d->have_prev && !restarted(&d->prev, s);
    struct e2_load_sample prev = d->prev;
    d->prev = *s;
    d->have_prev = true;
    if (!have) {
        d->hot_streak = d->cool_streak = d->idle_streak = 0;
        return E2_LOAD_EV_NONE;
    }
    const struct e2_overload_cfg *c = &d->cfg;
    struct e2_load_interval m = measure(c, &prev, s);
    d->last = m;
    d->hot_streak = streak(d->hot_streak, m.hot);
    d->cool_streak = streak(d->cool_streak, m.cool);
    d->idle_streak = streak(d->idle_streak, m.util >= 0 && m.util < c->idle_util && s->depth == 0);
    switch (d->state) {
    case E2_LOAD_OVERLOADED:
        if (d->cool_streak < c->leave_cool) return E2_LOAD_EV_NONE;
        d->state = E2_LOAD_NORMAL;
        return E2_LOAD_EV_RECOVERED;
    case E2_LOAD_UNDERLOADED:
        if (d->hot_streak >= c->enter_hot) {
            d->state = E2_LOAD_OVERLOADED;
            return E2_LOAD_EV_OVERLOAD;
        }
        if (d->idle_streak > 0) return E2_LOAD_EV_NONE;
        d->state = E2_LOAD_NORMAL;
        return E2_LOAD_EV_BUSY;
    case E2_LOAD_NORMAL: break;
    }
    if (d->hot_streak >= c->enter_hot) {
        d->state = E2_LOAD_OVERLOADED;
        return E2_LOAD_EV_OVERLOAD;
    }
    if (d->idle_streak >= c->idle_intervals) {
        d->state = E2_LOAD_UNDERLOADED;
        return E2_LOAD_EV_UNDERLOAD;
    }
    return E2_LOAD_EV_NONE;
}

const char *e2_load_state_name(enum e2_load_state s)
{
    static const char *const names[] = {"normal", "overloaded", "underloaded"};
    return names[s];
}

const char *e2_load_event_name(enum e2_load_event e)
{
    static const char *const names[] = {"none", "overload", "recovered", "underload", "busy"};
    return names[e];
}
