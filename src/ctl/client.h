/* The client side of the control socket, for the uipsec command line:
 * connect, send one VICI request, read packets. Blocking I/O. */
#ifndef UIPSEC_CTL_CLIENT_H
#define UIPSEC_CTL_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ctl/vici.h"

/* Connect to the daemon at path. Returns the socket or -errno; err gets a
 * one-line message ("cannot connect to uipsecd at PATH: ... (is uipsecd
 * running? --control PATH)"). */
int ctl_client_connect(const char *path, char *err, size_t errlen);

/* Send a finished packet (vici_end done). 0 or -errno. */
int ctl_client_send(int fd, const struct vici_buf *b);

/* Receive one packet into *buf (malloc'd, caller frees with
 * mem_free_wipe(buf, len)), parsed into *pk (pointing into *buf).
 * 0, -ECONNRESET (closed), -EBADMSG, -errno. */
int ctl_client_recv(int fd, uint8_t **buf, size_t *len, struct vici_packet *pk);

/* Run a uipsec command: register for "uipsec-output" events (large
 * answers come ahead of the response that way), send CMD_REQUEST cmd with
 * the list "argv", wait for the response, write the "output" of the events
 * and of the response to out and its "errmsg" to errbuf. Returns 0 if the daemon reported success,
 * 1 if it reported failure (errbuf set), -errno on transport errors
 * (errbuf set). */
int ctl_client_call(int fd, const char *cmd, int argc, char **argv, FILE *out,
                    char *errbuf, size_t errlen);

#endif
