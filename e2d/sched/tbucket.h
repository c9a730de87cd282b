/*
 * e2_tbucket — a token bucket over any resource, in integer arithmetic.
 *
 * Tokens are kept scaled by the clock rate so that refilling needs no
 * division: every clock tick adds `rate` scaled tokens and every unit used
 * costs `hz` scaled tokens. The bucket may go into debt (one batch can cost
 * more than what is left); the owner waits until the debt is paid.
 *
 * Used by the scheduler's rate_limit traffic classes and by modules that pace
 * themselves (Source). Not thread-safe: one owner updates it.
 */
#ifndef E2_TBUCKET_H
#define E2_TBUCKET_H

#include <stdbool.h>
#include <stdint.h>

struct e2_tbucket {
    uint64_t rate;   /**< units per second; 0 = unlimited */
    uint64_t hz;     /**< clock ticks per second */
    __int128 tokens; /**< scaled: units * hz; negative = debt */
    __int128 cap;    /**< scaled burst size */
    uint64_t last;   /**< clock at the last refill */
};

/**
 * Set up a bucket that allows @rate units per second with bursts of up to
 * @burst units (at least one unit), starting full at clock @now.
 */
void e2_tbucket_init(struct e2_tbucket *tb, uint64_t rate, uint64_t burst, uint64_t hz,
                     uint64_t now);

/**
 * Add what the time since the last refill earned, up to the burst size.
 * Call before deciding whether to start work.
 */
void e2_tbucket_refill(struct e2_tbucket *tb, uint64_t now);

/**
 * Charge @units used by work that ended at @now. What the time spent on the
 * work earned is credited first, without the burst cap, so a small burst
 * does not lose the time of the run itself. The bucket may go into debt.
 */
void e2_tbucket_charge(struct e2_tbucket *tb, uint64_t now, uint64_t units);

/**
 * After a refill: 0 when the bucket holds at least one unit and may be used
 * now, otherwise the clock value at which it will.
 */
uint64_t e2_tbucket_ready_at(const struct e2_tbucket *tb, uint64_t now);

/** How many whole units may be used now without going into debt. */
uint64_t e2_tbucket_available(const struct e2_tbucket *tb);

#endif
