/* JSON output for `uipsec --json`: a small streaming writer (objects,
 * arrays, escaped strings, numbers) and the JSON forms of states,
 * policies and counters. Keys are never written: `uipsec keys` is the one
 * command that exports them.
 *
 * The writer inserts commas itself; nesting is bounded by JSON_MAX_DEPTH
 * (deeper calls are ignored, so output stays well-formed only if callers
 * stay within it, which ours do). */
#ifndef UIPSEC_CTL_JSON_H
#define UIPSEC_CTL_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16

struct json {
	FILE *f;
	int depth;
	bool first[JSON_MAX_DEPTH + 1];   /* nothing written yet at this level */
	bool key_pending;                 /* a key was written; its value follows */
};

struct sad_sa;
struct sad_sa_stats;
struct spd_policy;
struct xfrm_stats;
struct dp_counters;

void json_init(struct json *j, FILE *f);
void json_obj_begin(struct json *j);
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j);
void json_arr_end(struct json *j);
/* Inside an object: the key of the next value. */
void json_key(struct json *j, const char *k);
void json_str(struct json *j, const char *s);
void json_u64(struct json *j, uint64_t v);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);
/* key + value shortcuts */
void json_kstr(struct json *j, const char *k, const char *s);
void json_ku64(struct json *j, const char *k, uint64_t v);

/* The traffic and error counters of a state (sa->stats) as keys of the
 * object being written. */
void json_sa_stats(struct json *j, const struct sad_sa_stats *st);
/* A state, without keys: addresses, spi, reqid, mode, algorithms, encap,
 * replay window, flags, sequence numbers, lifetime use, counters. */
void json_state(struct json *j, const struct sad_sa *sa);
/* A policy: selector, dir, action, priority, index, templates, hits. */
void json_policy(struct json *j, const struct spd_policy *pol);
/* {"XfrmInError": 0, ...} in the kernel's order. */
void json_xfrm_stat(struct json *j, const struct xfrm_stats *st);

#endif
