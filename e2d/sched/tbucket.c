#include "tbucket.h"

void e2_tbucket_init(struct e2_tbucket *tb, uint64_t rate, uint64_t burst, uint64_t hz,
                     uint64_t now)
{
    tb->rate = rate;
    tb->hz = hz;
    tb->cap = (__int128)(burst ? burst : 1) * hz;
    tb->tokens = tb->cap;
    tb->last = now;
}

static void earn(struct e2_tbucket *tb, uint64_t now)
{
    if (now <= tb->last) return;
    tb->tokens += (__int128)(now - tb->last) * tb->rate;
    tb->last = now;
}

void e2_tbucket_refill(struct e2_tbucket *tb, uint64_t now)
{
    earn(tb, now);
    if (tb->tokens > tb->cap) tb->tokens = tb->cap;
}

void e2_tbucket_charge(struct e2_tbucket *tb, uint64_t now, uint64_t units)
{
    if (tb->rate == 0) return;
    earn(tb, now);
    tb->tokens -= (__int128)units * tb->hz;
}

uint64_t e2_tbucket_ready_at(const struct e2_tbucket *tb, uint64_t now)
{
    if (tb->rate == 0 || tb->tokens >= (__int128)tb->hz) return 0;
    __int128 wait = ((__int128)tb->hz - tb->tokens + tb->rate - 1) / tb->rate;
    return now + (uint64_t)(wait ? wait : 1);
}

uint64_t e2_tbucket_available(const struct e2_tbucket *tb)
{
    if (tb->rate == 0) return UINT64_MAX;
    return tb->tokens <= 0 ? 0 : (uint64_t)(tb->tokens / tb->hz);
}
