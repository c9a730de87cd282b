/*
 * e2_overload — is an NF instance overloaded, or idle enough to contract?
 * (E2 paper §5.3: "E2 detects overload from queue growth and queueing delay
 * at the instance's vport, and from the NF's own load reports.")
 *
 * The agent samples each instance every interval (e2d's `nfs` report: the
 * packets e2d delivered to the instance's input rings, those it dropped
 * because a ring was full, the rings' depth and size, the NF's busy cycles
 * and its own load estimate) and feeds the samples here. From two samples
 * the detector derives, for the interval: the arrival rate, ring occupancy,
 * the queueing delay (depth over the drain rate), ring-full drops and the
 * NF's CPU utilization.
 *
 * The verdict has hysteresis, like a Schmitt trigger with a debounce: an
 * interval is "hot" when drops occurred or occupancy, delay or utilization
 * is above its high mark, "cool" when all are below their low marks, and
 * neither in between. The instance becomes OVERLOADED after enter_hot hot
 * intervals in a row and leaves it after leave_cool cool ones; it becomes
 * UNDERLOADED after idle_intervals intervals in a row with utilization under
 * idle_util and an empty ring, and leaves it at the first interval that is
 * not. So a load that wanders around one threshold does not flap. Counters
 * that go backwards (the NF restarted, e2d re-created the vport) restart the
 * baseline and the streaks without a verdict.
 *
 * Pure C, no clock of its own: sample times come from the caller.
 */
#ifndef E2_OVERLOAD_H
#define E2_OVERLOAD_H

#include <stdbool.h>
#include <stdint.h>

/** One reading of an instance's counters. */
struct e2_load_sample {
    double t;             /**< seconds, monotonic */
    uint64_t delivered;   /**< packets e2d put in the instance's input rings, cumulative */
    uint64_t full_drops;  /**< packets dropped because an input ring was full, cumulative */
    uint32_t depth;       /**< packets waiting in the input rings now */
    uint32_t capacity;    /**< packets the input rings hold together */
    uint64_t busy_cycles; /**< cycles the NF spent working, cumulative (0: not reported) */
    double cpu_hz;        /**< the NF core's clock, to turn cycles into utilization */
    double reported;      /**< the NF's own load estimate 0..1, or < 0 if none */
};

struct e2_overload_cfg {
    double occupancy_high, occupancy_low; /**< of capacity, 0..1 */
    double delay_high, delay_low;         /**< seconds of queueing */
    double util_high, util_low;           /**< CPU utilization 0..1 */
    double idle_util;                     /**< below this (and an empty ring): idle */
    unsigned enter_hot, leave_cool, idle_intervals;
};

/** Defaults: occupancy 0.5/0.1, delay 1 ms/0.2 ms, utilization 0.9/0.7, idle 0.2; 3, 5, 30. */
void e2_overload_cfg_default(struct e2_overload_cfg *c);

enum e2_load_state { E2_LOAD_NORMAL, E2_LOAD_OVERLOADED, E2_LOAD_UNDERLOADED };

enum e2_load_event {
    E2_LOAD_EV_NONE,
    E2_LOAD_EV_OVERLOAD,  /**< NORMAL or UNDERLOADED -> OVERLOADED: split */
    E2_LOAD_EV_RECOVERED, /**< OVERLOADED -> NORMAL */
    E2_LOAD_EV_UNDERLOAD, /**< NORMAL -> UNDERLOADED: a contraction candidate */
    E2_LOAD_EV_BUSY,      /**< UNDERLOADED -> NORMAL */
};

/** What one interval looked like (for reports and metrics). */
struct e2_load_interval {
    double rate;      /**< packets/s delivered */
    double occupancy; /**< depth / capacity at the end */
    double delay;     /**< seconds a packet arriving now would wait */
    double util;      /**< CPU utilization (busy cycles, else the NF's own estimate; -1: unknown) */
    uint64_t drops;   /**< ring-full drops */
    bool hot, cool;
};

struct e2_overload {
    struct e2_overload_cfg cfg;
    enum e2_load_state state;
    struct e2_load_sample prev;
    bool have_prev;
    unsigned hot_streak, cool_streak, idle_streak;
    struct e2_load_interval last; /**< the last interval measured */
};

void e2_overload_init(struct e2_overload *d, const struct e2_overload_cfg *cfg);

/** Feed a sample; returns the state change it caused, if any. */
enum e2_load_event e2_overload_update(struct e2_overload *d, const struct e2_load_sample *s);

const char *e2_load_state_name(enum e2_load_state s);
const char *e2_load_event_name(enum e2_load_event e);

#endif
