/* Control socket client (blocking). See client.h. */
#include "ctl/client.h"
#include "util/bytes.h"
#include "util/mem.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int ctl_client_connect(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, r;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "control socket path too long: %s", path);
		return -ENAMETOOLONG;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return r;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot connect to uipsecd at %s: %s (is uipsecd running? "
		         "use --control PATH)", path, strerror(errno));
		close(fd);
		return r;
	}
	return fd;
}

static int write_all(int fd, const uint8_t *d, size_t n)
{
	while (n) {
		ssize_t w = send(fd, d, n, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		d += w;
		n -= (size_t)w;
	}
	return 0;
}

static int read_all(int fd, uint8_t *d, size_t n)
{
	while (n) {
		ssize_t r = recv(fd, d, n, 0);
		if (r == 0)
			return -ECONNRESET;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		d += r;
		n -= (size_t)r;
	}
	return 0;
}

int ctl_client_send(int fd, const struct vici_buf *b)
{
	if (b->err || b->len < 5)
		return -EINVAL;
	return write_all(fd, b->data, b->len);
}

int ctl_client_recv(int fd, uint8_t **buf, size_t *len, struct vici_packet *pk)
{
	uint8_t hdr[4];
	long n;
	int r;

	*buf = NULL;
	*len = 0;
	r = read_all(fd, hdr, 4);
	if (r < 0)
		return r;
	n = vici_frame_len(hdr);
	if (n < 0)
		return -EBADMSG;
	*buf = malloc((size_t)n);
	if (!*buf)
		return -ENOMEM;
	*len = (size_t)n;
	r = read_all(fd, *buf, (size_t)n);
	if (r == 0 && vici_packet_parse(*buf, (size_t)n, pk) < 0)
		r = -EBADMSG;
	if (r < 0) {
		mem_free_wipe(*buf, *len);
		*buf = NULL;
		*len = 0;
	}
	return r;
}

/* Print the items of the list "output" (and a key "output") of msg. */
static void print_output(const struct vici_packet *pk, FILE *out)
{
	struct vici_iter it;
	struct vici_elem e;
	bool in_output = false;

	if (!out)
		return;
	vici_iter_init(&it, pk->msg, pk->msg_len);
	while (vici_iter_next(&it, &e) == 1) {
		if (e.depth != 0)
			continue;
		if (e.type == VICI_LIST_START)
			in_output = strcmp(e.name, "output") == 0;
		else if (e.type == VICI_LIST_END)
			in_output = false;
		else if (e.type == VICI_LIST_ITEM && in_output)
			fwrite(e.value, 1, e.value_len, out);
		else if (e.type == VICI_KEY_VALUE && strcmp(e.name, "output") == 0)
			fwrite(e.value, 1, e.value_len, out);
	}
}

int ctl_client_call(int fd, const char *cmd, int argc, char **argv, FILE *out,
                    char *errbuf, size_t errlen)
{
	struct vici_buf b;
	struct vici_packet pk;
	uint8_t *buf = NULL;
	size_t len = 0;
	char ok[8] = "";
	int i, r;

	errbuf[0] = '\0';
	vici_buf_init(&b);
	/* Large answers arrive as "uipsec-output" events ahead of the
	 * response: register first (a daemon without them says
	 * EVENT_UNKNOWN, which is fine). */
	vici_begin(&b, VICI_EVENT_REGISTER, "uipsec-output");
	r = vici_end(&b);
	if (r == 0)
		r = ctl_client_send(fd, &b);
	if (r == 0) {
		vici_begin(&b, VICI_CMD_REQUEST, cmd);
		vici_list_start(&b, "argv");
		for (i = 0; i < argc; i++)
			vici_list_item_str(&b, argv[i]);
		vici_list_end(&b);
		r = vici_end(&b);
	}
	if (r == 0)
		r = ctl_client_send(fd, &b);
	vici_buf_free(&b);     /* wiped: argv may hold keys */
	if (r < 0) {
		snprintf(errbuf, errlen, "cannot send command to uipsecd: %s", strerror(-r));
		return r;
	}
	for (;;) {
		r = ctl_client_recv(fd, &buf, &len, &pk);
		if (r < 0) {
			snprintf(errbuf, errlen, "no answer from uipsecd: %s", strerror(-r));
			return r;
		}
		if (pk.type == VICI_EVENT && strcmp(pk.name, "uipsec-output") == 0)
			print_output(&pk, out);
		else if (pk.type != VICI_EVENT_CONFIRM && pk.type != VICI_EVENT_UNKNOWN &&
		         pk.type != VICI_EVENT)
			break;
		mem_free_wipe(buf, len);
		buf = NULL;
	}
	if (pk.type == VICI_CMD_UNKNOWN) {
		snprintf(errbuf, errlen, "uipsecd does not know the command '%s'", cmd);
		r = 1;
		goto out;
	}
	if (pk.type != VICI_CMD_RESPONSE) {
		snprintf(errbuf, errlen, "unexpected answer from uipsecd (packet type %u)", pk.type);
		r = -EPROTO;
		goto out;
	}
	print_output(&pk, out);
	vici_get_str(pk.msg, pk.msg_len, "errmsg", errbuf, errlen);
	vici_get_str(pk.msg, pk.msg_len, "success", ok, sizeof(ok));
	r = strcmp(ok, "no") == 0 ? 1 : 0;
	if (r && !errbuf[0])
		snprintf(errbuf, errlen, "command failed");
out:
	mem_free_wipe(buf, len);
	return r;
}
