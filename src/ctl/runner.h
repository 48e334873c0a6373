/* The one privileged helper process of uipsecd: it runs what the daemon
 * itself may not (its sandbox allows no fork, no exec, no privileges):
 * the updown scripts (ctl/updown.h) and the resolver tool that takes the
 * DNS servers a client receives (resolvconf or resolvectl, the daemon's
 * resolve.h). It is forked once, at start-up, before any socket, device
 * or thread of the daemon exists and before the privilege drop; it keeps
 * the privileges uipsecd started with.
 *
 * The daemon sends it requests on a SOCK_SEQPACKET socketpair, one per
 * message, never blocking (a full queue drops the request; the caller
 * logs and counts it). The helper decodes each (runner_decode, a pure
 * function) and runs them one after the other, in the order sent, with one
 * spawner (runner_spawn): posix_spawn, optional text on stdin, its own
 * process group, a timeout after which the group gets SIGTERM and, some
 * seconds later, SIGKILL; its stdout and stderr logged line by line. A
 * slow updown script (up to RUNNER_UPDOWN_TIMEOUT_S) therefore delays a DNS
 * change queued after it: the order is the order of events, as charon's
 * plugins see them.
 *
 * Requests (first byte: the kind):
 *   'U' command NUL (env-string NUL)*      an updown script, /bin/sh -c
 *                                          command with exactly that
 *                                          environment ("NAME=value")
 *   'D' name NUL count (family addr[16])*  the DNS servers for record (or
 *                                          link) name; count 0: remove
 * When the daemon's end closes (it stops, or dies), the helper runs what
 * was queued, then, if the last DNS request set servers, removes them,
 * and exits. */
#ifndef UIPSEC_CTL_RUNNER_H
#define UIPSEC_CTL_RUNNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "net/addr.h"

#define RUNNER_MSG_MAX 32768   /* the largest request */
#define RUNNER_ENV_MAX 127     /* environment strings of one updown request */
#define RUNNER_DNS_MAX 16      /* servers in one DNS request */
#define RUNNER_NAME_MAX 127    /* a DNS request's record or link name */
#define RUNNER_UPDOWN_TIMEOUT_S 30
#define RUNNER_DNS_TIMEOUT_S 10
#define RUNNER_KILL_S 3        /* from SIGTERM to SIGKILL */

enum runner_kind { RUNNER_UPDOWN = 'U', RUNNER_DNS = 'D' };
enum runner_tool { RUNNER_TOOL_NONE, RUNNER_TOOL_RESOLVCONF, RUNNER_TOOL_RESOLVECTL };

/* A decoded request; its strings point into the message. */
struct runner_req {
	enum runner_kind kind;
	const char *cmd;                          /* RUNNER_UPDOWN */
	const char *env[RUNNER_ENV_MAX + 1];      /* NULL-ended */
	unsigned nenv;
	const char *name;                         /* RUNNER_DNS */
	struct ip_addr dns[RUNNER_DNS_MAX];
	unsigned ndns;
};

/* Decode a request of len bytes. Pure: no allocation, no I/O, no spawn.
 * 0, or -EINVAL (unknown kind, a string not ended within len, an empty
 * command, an environment string without '=', a name empty, too long or
 * starting with '-' or holding a '/' or a control character or a space, a
 * family not AF_INET/AF_INET6, a length that does not match the count),
 * -E2BIG (more than RUNNER_ENV_MAX strings or RUNNER_DNS_MAX servers). */
int runner_decode(const uint8_t *buf, size_t len, struct runner_req *req);

/* Encode a DNS request into buf; its length, or -ENOSPC, -EINVAL (as
 * runner_decode would refuse it). */
int runner_encode_dns(uint8_t *buf, size_t len, const char *name, const struct ip_addr *dns,
                      unsigned n);

/* One program run by the helper. */
struct runner_spawn {
	const char *path;          /* the program */
	char *const *argv;
	char *const *envp;
	const char *in;            /* on its stdin (NULL: /dev/null) */
	const char *tag;           /* each output line logged as "TAG: line" */
	const char *what;          /* in the messages: "updown script 'x'" */
	unsigned timeout_s;        /* then SIGTERM to its group */
	unsigned kill_s;           /* then SIGKILL to its group */
};

/* Run s and wait for it (at most timeout_s + kill_s). Its wait status, or
 * -1 if it could not be run (logged). Status, signal and timeout are
 * logged as warnings. In the helper (or a test): SIGPIPE must be ignored
 * (a program that does not read its stdin). */
int runner_spawn(const struct runner_spawn *s);

struct runner {
	int fd;                      /* to the helper; -1: none */
	pid_t pid;
	enum runner_tool tool;       /* the resolver tool found at start */
	char tool_path[256];
};

/* Find the resolver tool on PATH (resolvconf, else resolvectl) and fork
 * the helper. The helper closes the nclose descriptors of close_fds (the
 * daemon's handed-over sockets and devices, -1 entries skipped), so that
 * it keeps none of them open past the daemon. 0 or -errno (then r->fd is
 * -1 and nothing is run). Call before threads, sockets and the privilege
 * drop. */
int runner_start(struct runner *r, const int *close_fds, size_t nclose);

/* Queue a request, without blocking. 0, or -errno (-ENOTCONN: no helper;
 * -EAGAIN: the queue is full; -EMSGSIZE). */
int runner_send(struct runner *r, const void *msg, size_t len);

/* Close our end for writing: the helper runs what it was sent, cleans up
 * and exits. Waits up to wait_ms for that (reading the socket's end, which
 * a sandboxed daemon may still do), then closes the socket. */
void runner_stop(struct runner *r, unsigned wait_ms);

#endif
