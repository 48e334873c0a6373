/* The control socket: a UNIX stream socket (mode 0600) speaking the VICI
 * wire format (ctl/vici.h). Commands are VICI CMD_REQUESTs answered by one
 * CMD_RESPONSE (or CMD_UNKNOWN); events are VICI EVENT_REGISTER /
 * EVENT_CONFIRM and then EVENT packets until EVENT_UNREGISTER or close.
 *
 * Ownership: the server owns its connections and their buffers; command
 * handlers get the request (valid during the call) and append their answer
 * to a response the server has started and sends afterwards.
 *
 * Bounds: at most CTL_MAX_CONNS connections; a request larger than
 * VICI_MAX_PACKET or malformed closes its connection (after a one-line
 * log); a client that does not read its events has them dropped (counted)
 * once CTL_TX_MAX bytes are queued, never buffered without bound.
 *
 * Threading: the control loop only. */
#ifndef UIPSEC_CTL_CTL_H
#define UIPSEC_CTL_CTL_H

#include <stdbool.h>
#include <stdint.h>

#include "ctl/vici.h"

#define CTL_DEFAULT_PATH "/run/uipsec/uipsecd.sock"
#define CTL_MAX_CONNS 64
#define CTL_TX_MAX (4 * 1024 * 1024)

struct loop;
struct ctl_server;
struct ctl_conn;

/* A command: req is the parsed request; resp has been started as a
 * CMD_RESPONSE, the handler adds its elements. */
typedef void (*ctl_cmd_fn)(void *ctx, struct ctl_conn *c, const struct vici_packet *req,
                           struct vici_buf *resp);
/* Called when the number of connections registered for an event changes
 * (for example to attach the tracer for the first listener). */
typedef void (*ctl_event_fn)(void *ctx, const char *event, unsigned listeners);

/* Listen on path. If a daemon answers there already: -EADDRINUSE (logged
 * clearly); a stale socket file (nobody answers) is replaced. Creates the
 * parent directory (0700) if missing. NULL on failure, *err = -errno. */
struct ctl_server *ctl_server_new(struct loop *loop, const char *path, int *err);
/* Close every connection, remove the socket file, free. */
void ctl_server_free(struct ctl_server *s);

int ctl_server_add_cmd(struct ctl_server *s, const char *name, ctl_cmd_fn fn, void *ctx);
int ctl_server_add_event(struct ctl_server *s, const char *name, ctl_event_fn fn, void *ctx);

/* Send an event packet (built with vici_begin(b, VICI_EVENT, name) ...
 * vici_end) to each connection registered for name for which filter
 * returns true (filter NULL: all). Returns the number it was queued to. */
unsigned ctl_server_emit(struct ctl_server *s, const char *name, const struct vici_buf *ev,
                         bool (*filter)(struct ctl_conn *c, void *arg), void *arg);
unsigned ctl_server_listeners(const struct ctl_server *s, const char *name);
uint64_t ctl_server_events_dropped(const struct ctl_server *s);

/* True if c registered for event name. */
bool ctl_conn_registered(const struct ctl_conn *c, const char *name);
/* Queue a finished packet to c alone (from a command handler: for example
 * output events ahead of the response). Never dropped: -ENOBUFS if more
 * than CTL_TX_MAX bytes would wait for the client. 0 or -errno. */
int ctl_conn_send(struct ctl_conn *c, const struct vici_buf *b);

/* From inside a command handler: the answer comes later. The response
 * the server started is dropped; the handler (or whoever it hands the
 * connection to) sends one with ctl_conn_respond, which must happen
 * unless the connection closes first (see ctl_server_set_close_hook).
 * Nothing more is read from c meanwhile (VICI clients wait for each
 * answer), so requests stay in order; events are still sent. */
void ctl_conn_defer(struct ctl_conn *c);
/* Finish the deferred answer: resp was started with vici_begin(resp,
 * VICI_CMD_RESPONSE, NULL); it is ended (vici_end) and queued, and c reads
 * requests again. 0 or -errno. */
int ctl_conn_respond(struct ctl_conn *c, struct vici_buf *resp);
bool ctl_conn_is_deferred(const struct ctl_conn *c);
/* fn is called for every connection just before it is freed (a client
 * that left while its answer was deferred). One hook per server. */
void ctl_server_set_close_hook(struct ctl_server *s, void (*fn)(void *ctx, struct ctl_conn *c),
                               void *ctx);

/* Per-connection data for command handlers (one slot), freed with the
 * connection by free_fn. */
void ctl_conn_set_data(struct ctl_conn *c, void *data, void (*free_fn)(void *));
void *ctl_conn_get_data(const struct ctl_conn *c);

#endif
